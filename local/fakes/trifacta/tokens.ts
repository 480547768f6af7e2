/**
 * Token state of the fake: every token it minted, by id, with its value, owner, description and
 * expiry. The store hands values out only to the create answer and to authentication; the
 * inspection API (index.ts) sees `TokenView`s, which carry no value.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../../../core/clock.js';
import { refusedWhileFresh } from '../shared/fresh.js';

export interface StoredToken {
  tokenId: string;
  value: string;
  user: string;
  description: string | null;
  createdAtMs: number;
  /** null: never expires. */
  expiresAtMs: number | null;
  lastUsedMs: number | null;
}

/** What list and get answer for a token (never its value). */
export interface TokenInfoJson {
  tokenId: string;
  description: string | null;
  expiredAt: string | null;
  lastUsed: string | null;
  createdAt: string;
}

/** A token as tests inspect it: ids and descriptions, never values. */
export interface TokenView {
  tokenId: string;
  user: string;
  description: string | null;
  live: boolean;
  expiredAt: string | null;
}

export class TokenStore {
  private readonly byId = new Map<string, StoredToken>();
  private readonly idByValue = new Map<string, string>();
  minted = 0;

  constructor(private readonly clock: Clock) {}

  mint(user: string, lifetimeSeconds: number | null, description: string | null, format: 'opaque' | 'base64-json'): StoredToken {
    const tokenId = randomUUID();
    const secret = randomBytes(24).toString('hex');
    const value = format === 'opaque' ? randomBytes(32).toString('base64url') : Buffer.from(JSON.stringify({ tokenId, secret })).toString('base64');
    const now = this.clock.now();
    const token: StoredToken = {
      tokenId,
      value,
      user,
      description,
      createdAtMs: now,
      expiresAtMs: lifetimeSeconds === null ? null : now + Math.floor(lifetimeSeconds * 1000),
      lastUsedMs: null,
    };
    this.byId.set(tokenId, token);
    this.idByValue.set(value, tokenId);
    this.minted++;
    return token;
  }

  live(t: StoredToken): boolean {
    return t.expiresAtMs === null || t.expiresAtMs > this.clock.now();
  }

  /** The live token with this value (marking it used), or undefined: expired, deleted or unknown. */
  authenticate(value: string): StoredToken | undefined {
    const id = this.idByValue.get(value);
    const t = id === undefined ? undefined : this.byId.get(id);
    if (!t || !this.live(t)) return undefined;
    t.lastUsedMs = this.clock.now();
    return t;
  }

  isLiveValue(value: string): boolean {
    const id = this.idByValue.get(value);
    const t = id === undefined ? undefined : this.byId.get(id);
    return t !== undefined && this.live(t);
  }

  /** Whether the token with this value is within its first `seconds` (the freshTokenRefusedSeconds quirk). */
  refusedAsFresh(value: string, seconds: number): boolean {
    const id = this.idByValue.get(value);
    const t = id === undefined ? undefined : this.byId.get(id);
    return refusedWhileFresh(t?.createdAtMs, this.clock.now(), seconds);
  }

  get(tokenId: string): StoredToken | undefined {
    return this.byId.get(tokenId);
  }

  remove(tokenId: string): boolean {
    const t = this.byId.get(tokenId);
    if (!t) return false;
    this.byId.delete(tokenId);
    this.idByValue.delete(t.value);
    return true;
  }

  /** A user's tokens, expired ones included, oldest first. */
  ofUser(user: string): StoredToken[] {
    return [...this.byId.values()].filter((t) => t.user === user);
  }

  all(): StoredToken[] {
    return [...this.byId.values()];
  }

  info(t: StoredToken): TokenInfoJson {
    return {
      tokenId: t.tokenId,
      description: t.description,
      expiredAt: t.expiresAtMs === null ? null : new Date(t.expiresAtMs).toISOString(),
      lastUsed: t.lastUsedMs === null ? null : new Date(t.lastUsedMs).toISOString(),
      createdAt: new Date(t.createdAtMs).toISOString(),
    };
  }

  view(t: StoredToken): TokenView {
    return {
      tokenId: t.tokenId,
      user: t.user,
      description: t.description,
      live: this.live(t),
      expiredAt: t.expiresAtMs === null ? null : new Date(t.expiresAtMs).toISOString(),
    };
  }
}
