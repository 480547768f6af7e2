/**
 * JWT state of the fake ICA: HS256 JWTs signed with a key random per server. Claims are sub, iat,
 * exp (unless omitted by quirk), tenant and amr, and by default nothing unique: two JWTs minted for
 * the same subject, tenant and method in the same second are byte-identical, the least forgiving
 * reading. Unlike a stateless JWT server, the fake remembers what it minted (expiry, how it was
 * minted, invalidation by refresh) so it can expire JWTs without `exp` and answer `isLive`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../../core/clock.js';
import { refusedWhileFresh } from '../shared/fresh.js';

/** How a JWT was minted: refresh is refused for 'api-key'. */
export type MintedVia = 'api-key' | 'password';

export interface MintedJwt {
  sub: string;
  tenant: string;
  via: MintedVia;
  expSec: number;
  /** When it was (last) minted, the fake's clock: for the freshTokenRefusedSeconds quirk. */
  mintedAtMs: number;
}

export type JwtState = 'live' | 'expired' | 'unknown';

export class JwtStore {
  private readonly key = randomBytes(32);
  private readonly tokens = new Map<string, MintedJwt>();
  /** JWTs given up for a refreshed one (quirk refreshKeepsOldValid false). */
  private readonly invalidated = new Set<string>();
  /** Mints since start, identical JWTs counted each time. */
  minted = 0;

  constructor(private readonly clock: Clock) {}

  nowSec(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  mint(jwt: Omit<MintedJwt, 'expSec' | 'mintedAtMs'>, lifetimeSec: number, options: { omitExp: boolean; uniqueClaim: boolean }): string {
    const iat = this.nowSec();
    const expSec = iat + lifetimeSec;
    const payload: Record<string, unknown> = { sub: jwt.sub, iat };
    if (!options.omitExp) payload.exp = expSec;
    payload.tenant = jwt.tenant;
    payload.amr = [jwt.via === 'api-key' ? 'apikey' : 'pwd'];
    if (options.uniqueClaim) payload.jti = randomBytes(8).toString('hex');
    const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const body = b64url(JSON.stringify(payload));
    const token = `${head}.${body}.${this.sign(`${head}.${body}`)}`;
    this.tokens.set(token, { ...jwt, expSec, mintedAtMs: this.clock.now() });
    // A byte-identical JWT minted again is valid again, whatever happened to its twin.
    this.invalidated.delete(token);
    this.minted++;
    return token;
  }

  invalidate(token: string): void {
    this.invalidated.add(token);
  }

  /** Invalidates every JWT of `sub` in `tenant` but `keep` (passwordMintInvalidatesEarlier). */
  invalidateOthersOf(sub: string, tenant: string, keep: string): void {
    for (const [token, jwt] of this.tokens) if (token !== keep && jwt.sub === sub && jwt.tenant === tenant) this.invalidated.add(token);
  }

  /** The JWT's record when its signature is ours and we minted it (expired or not). */
  lookup(token: string): MintedJwt | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [head, body, sig] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(`${head}.${body}`));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    return this.tokens.get(token);
  }

  state(token: string): JwtState {
    const jwt = this.lookup(token);
    if (!jwt || this.invalidated.has(token)) return 'unknown';
    return jwt.expSec * 1000 > this.clock.now() ? 'live' : 'expired';
  }

  /** 'live', but within the first `seconds` after minting: refused where it authenticates. */
  stateWhenUsed(token: string, seconds: number): JwtState {
    const state = this.state(token);
    return state === 'live' && refusedWhileFresh(this.tokens.get(token)?.mintedAtMs, this.clock.now(), seconds) ? 'unknown' : state;
  }

  liveCount(): number {
    let n = 0;
    for (const token of this.tokens.keys()) if (this.state(token) === 'live') n++;
    return n;
  }

  private sign(input: string): string {
    return createHmac('sha256', this.key).update(input).digest('base64url');
  }
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}
