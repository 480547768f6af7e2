/**
 * Token state of the fake: 3.x opaque tokens (32 lowercase alphanumerics, stored with their
 * expiry) and 4.x HS256 JWTs (stateless like the real server; per-user block lists for deletes).
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../../core/clock.js';
import { BlockLists } from './blocklist.js';

export interface StoredToken3 {
  expiresAtSec: number;
  /** When it was minted (the fake's clock), for the freshTokenRefusedSeconds quirk. */
  mintedAtMs: number;
  user: string;
  graph?: string;
}

export interface JwtPayload {
  sub: string;
  iat: number;
  exp: number;
  iss: string;
  graph?: string;
  /** Only with the `uniqueClaim` quirk: the documented payload has no unique claim. */
  jti?: string;
}

export type TokenState = 'live' | 'expired' | 'unknown';

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function newToken3(): string {
  let out = '';
  for (let i = 0; i < 32; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** Java `Date.toString()` rendered in UTC, e.g. "Fri Dec 20 09:07:39 UTC 2024". */
export function javaDateString(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(
    d.getUTCSeconds(),
  )} UTC ${d.getUTCFullYear()}`;
}

export class TokenStore {
  readonly tokens3 = new Map<string, StoredToken3>();
  /** 4.x tokens this server minted, for inspection only (validation is by signature). */
  readonly minted4 = new Map<string, JwtPayload>();
  readonly blockLists = new BlockLists();
  private readonly jwtKey = randomBytes(32);
  minted = 0;

  constructor(private readonly clock: Clock) {}

  nowSec(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  mint3(lifetimeSec: number, user: string, graph: string | undefined): { token: string; expiresAtSec: number } {
    const token = newToken3();
    const expiresAtSec = this.nowSec() + lifetimeSec;
    const mintedAtMs = this.clock.now();
    this.tokens3.set(token, graph === undefined ? { expiresAtSec, mintedAtMs, user } : { expiresAtSec, mintedAtMs, user, graph });
    this.minted++;
    return { token, expiresAtSec };
  }

  state3(token: string): TokenState {
    const t = this.tokens3.get(token);
    if (!t) return 'unknown';
    return t.expiresAtSec * 1000 > this.clock.now() ? 'live' : 'expired';
  }

  /**
   * Without `unique`, the token is a pure function of (key, sub, iat, exp, graph): two mints in the
   * same second for the same user, graph and lifetime give the same bytes, as on a real server.
   */
  mint4(lifetimeSec: number, sub: string, graph: string | undefined, unique = false): { token: string; payload: JwtPayload } {
    const iat = this.nowSec();
    const payload: JwtPayload = { sub, iat, exp: iat + Math.floor(lifetimeSec), iss: 'TigerGraph' };
    if (graph !== undefined) payload.graph = graph;
    if (unique) payload.jti = randomBytes(8).toString('hex');
    const head = b64url(JSON.stringify({ alg: 'HS256' }));
    const body = b64url(JSON.stringify(payload));
    const token = `${head}.${body}.${this.sign(`${head}.${body}`)}`;
    this.minted4.set(token, payload);
    this.minted++;
    return { token, payload };
  }

  /** Verifies signature, expiry and block-list, like the real stateless 4.x server. */
  state4(token: string): TokenState {
    const parts = token.split('.');
    if (parts.length !== 3) return 'unknown';
    const [head, body, sig] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(`${head}.${body}`));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'unknown';
    if (this.blockLists.has(token)) return 'unknown';
    let payload: Partial<JwtPayload>;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<JwtPayload>;
    } catch {
      return 'unknown';
    }
    return typeof payload.exp === 'number' && payload.exp * 1000 > this.clock.now() ? 'live' : 'expired';
  }

  /** When a token was minted: 3.x as stored, 4.x its `iat` (whole seconds); undefined for a token this server did not mint. */
  mintedAtMs(token: string): number | undefined {
    const stored = this.tokens3.get(token);
    if (stored) return stored.mintedAtMs;
    const iat = this.minted4.get(token)?.iat;
    return iat === undefined ? undefined : iat * 1000;
  }

  /** Whether a 4.x token's exp has passed (signature not checked: for block-list housekeeping). */
  expired4(token: string): boolean {
    try {
      const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Partial<JwtPayload>;
      return typeof payload.exp === 'number' && payload.exp * 1000 <= this.clock.now();
    } catch {
      return false;
    }
  }

  private sign(input: string): string {
    return createHmac('sha256', this.jwtKey).update(input).digest('base64url');
  }
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}
