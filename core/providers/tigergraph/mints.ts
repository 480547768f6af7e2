/**
 * Keeps 4.x mints for different secrets from being the same token. A 4.x JWT has no unique claim
 * (`sub`, `iat`, `exp`, `iss`, `graph`): two tokens minted for the same user and graph in the same
 * second with the same lifetime are byte-identical, so two secrets rotated together could share
 * one token, and revoking it for one would cut off the other. Two defences:
 *
 * - Every mint asks for a slightly different lifetime: the requested lifetime minus a random
 *   offset of 0 to 59 seconds (at most a tenth of the lifetime, for very short ones). The expiry
 *   is therefore within a minute of the requested lifetime, never later: negligible against token
 *   lifetimes of hours to days, and the stored expiresAt is read from the token's `exp`, so
 *   nothing downstream is misled. Two mints in the same second then differ unless their offsets
 *   match (1 in 60): this is the only defence across processes (Lambda containers), where the
 *   core's `tokensMayCollide` check before a revoke covers the rest.
 * - An in-process record of recent mints, per deployment, user and graph, holding fingerprints
 *   (never tokens) for a few seconds: a token this process already handed out is not handed out
 *   again; the client mints again with an offset not yet tried. The duplicate is never revoked:
 *   it is the current token of whoever got it first.
 */
import { createHash } from 'node:crypto';

/** Largest offset subtracted from a requested lifetime, seconds. */
export const MAX_LIFETIME_OFFSET_SECONDS = 59;

/**
 * How long a fingerprint is kept. Identical tokens need the same `iat` second, so a few seconds
 * cover any request latency and skew between the answers of one server.
 */
export const RECENT_MINT_WINDOW_MS = 10_000;

/** Number of distinct offsets usable for `lifetime` (offsets 0 .. n-1). */
export function offsetCount(lifetimeSeconds: number): number {
  return Math.max(1, Math.min(MAX_LIFETIME_OFFSET_SECONDS + 1, Math.floor(lifetimeSeconds / 10)));
}

/** A random offset not in `tried`, or undefined when all were tried. */
export function pickOffset(lifetimeSeconds: number, tried: ReadonlySet<number>, random: () => number): number | undefined {
  const free: number[] = [];
  for (let i = 0; i < offsetCount(lifetimeSeconds); i++) if (!tried.has(i)) free.push(i);
  if (free.length === 0) return undefined;
  return free[Math.min(free.length - 1, Math.floor(random() * free.length))];
}

export class RecentMints {
  /** `scope|fingerprint` -> when recorded (ms); insertion order is recording order. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly windowMs = RECENT_MINT_WINDOW_MS) {}

  /**
   * Records `token` as handed out in `scope` (deployment, user, graph) and returns true, or returns
   * false when this process already handed it out within the window.
   */
  claim(scope: string, token: string, nowMs: number): boolean {
    this.prune(nowMs);
    const key = `${scope}|${createHash('sha256').update(token).digest('base64url')}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, nowMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(nowMs: number): void {
    for (const [key, at] of this.seen) {
      // A clock moved backwards (tests) must not keep entries forever: drop those "from the future" too.
      if (nowMs - at < this.windowMs && at <= nowMs) break;
      this.seen.delete(key);
    }
  }
}

/**
 * The process-wide record (a warm Lambda container serves many secrets). Not cleared by the
 * definition's resetCaches: it is a safety record, not a cache of server state, and it forgets by
 * itself within seconds.
 */
export const recentMints = new RecentMints();
