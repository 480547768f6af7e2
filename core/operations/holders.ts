/**
 * Who else holds a token. Two tokens minted for different secrets can be byte-identical where the
 * provider's tokens may collide (JWTs without a unique claim: TigerGraph 4.x, ICA), so a token is
 * revoked only once no other managed secret is known to hold it as its current token. This module
 * holds the fleet index (fingerprints of every current token, never a token), the check, and
 * `revokeUnstored`, what every path that minted a token it could not store does with it. The
 * Distributed Map's list step writes such an index for its workers (holders-index.ts).
 */
import { createHash } from 'node:crypto';
import type { Deps } from '../deps.js';
import type { IssuedToken, TokenProvider } from '../providers/provider.js';
import { secretJson } from '../secrets/token-secret.js';
import { isUnread, scanFleet, type FleetSource } from './fleet.js';

/** Which tokens other managed secrets hold as current (fingerprints only: no token is kept). */
export interface CurrentTokenIndex {
  heldElsewhere(token: string, secretArn: string): Promise<boolean>;
}

/** A short, one-way fingerprint of a token: enough to compare, never enough to use. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('base64url').slice(0, 22);
}

/** An index built from values already read (a sweep's batched reads). */
export class FingerprintIndex implements CurrentTokenIndex {
  private readonly holders = new Map<string, string | string[]>();

  add(token: string, secretArn: string): void {
    this.addFingerprint(tokenFingerprint(token), secretArn);
  }

  /** Adds a holder by the token's fingerprint (an index written by the list step: holders-index.ts). */
  addFingerprint(fp: string, secretArn: string): void {
    const existing = this.holders.get(fp);
    if (existing === undefined) this.holders.set(fp, secretArn);
    else if (typeof existing === 'string') {
      if (existing !== secretArn) this.holders.set(fp, [existing, secretArn]);
    } else if (!existing.includes(secretArn)) existing.push(secretArn);
  }

  async heldElsewhere(token: string, secretArn: string): Promise<boolean> {
    const holders = this.holders.get(tokenFingerprint(token));
    if (holders === undefined) return false;
    return typeof holders === 'string' ? holders !== secretArn : holders.some((h) => h !== secretArn);
  }
}

/**
 * A CurrentTokenIndex of the whole fleet, read (one scan, batched) only when a check first needs
 * it: for callers that have not read the fleet themselves (on-demand `delete`, a sweep over a
 * subset of it, createSecret's clean-up). Callers pass the ARN of the secret they act for.
 */
export function lazyFleetIndex(fleet: FleetSource, deps: Pick<Deps, 'store'>): CurrentTokenIndex {
  let built: Promise<{ index: FingerprintIndex; unreadable: number }> | undefined;
  const build = async () => {
    const index = new FingerprintIndex();
    let unreadable = 0;
    for await (const page of scanFleet(fleet, deps.store)) {
      for (const entry of page) {
        const token = secretJson(entry.value?.secretString)?.token;
        if (typeof token === 'string' && entry.value) index.add(token, entry.value.arn);
        else if (isUnread(entry)) unreadable++;
      }
    }
    return { index, unreadable };
  };
  return {
    async heldElsewhere(token, secretArn) {
      built ??= build();
      const { index, unreadable } = await built;
      // The fleet is indexed by ARN; callers pass the ARN of the secret they act for. A secret that
      // could not be read (fleet.ts isUnread: not a deleted or a foreign one) may hold the token: then
      // it counts as held elsewhere, and the token is left to expire rather than risk its holder's.
      return (await index.heldElsewhere(token, secretArn)) || unreadable > 0;
    },
  };
}

/**
 * An index loaded once, by the first check that needs it (the list step's holders object, for a
 * Distributed Map worker: holders-index.ts), or `fallback` when `load` fails (a missing or
 * unreadable object, an index the list step could not complete). `onFallback` hears why, once.
 *
 * Why the loaded index answers correctly or conservatively for a token the worker is about to
 * revoke as a REPLACED token (settle.ts), although it was read when the fleet was listed (T0),
 * minutes before the check (T1):
 *   - a secret that held the token at T0 and no longer does at T1: the index says "held" and the
 *     token is left to that secret (held-elsewhere), which replaced it, so tracks it as its own
 *     previous token and revokes it when it settles: conservative, and no orphan;
 *   - a secret that did not hold it at T0 and does at T1: a token becomes a secret's current one
 *     only when minted for that secret. A replaced token was minted at least the revoke grace
 *     period (settle.ts) before T1, so a twin (same second, same credentials) minted then for
 *     another secret was stored, as AWSCURRENT, long before T0, unless a rotation kept it in
 *     AWSPENDING from that instant to past T0 and finished between T0 and T1. Reading the fleet at
 *     T1 instead (lazyFleetIndex) has the same gap, narrowed to the instants the scan reads; and
 *     the execution never outlives one schedule period (infra/sweep-engine.ts).
 *   - a secret the list step could not read: the index is incomplete, so it is not loaded at all
 *     (holders-index.ts parseHoldersIndex) and the fallback answers.
 * A token minted in this very sweep (revokeUnstored) is not in the index and was minted after
 * T0, the gap above at its widest: callers must not ask this index about it (sweep.ts).
 */
export function loadedIndex(load: () => Promise<CurrentTokenIndex>, fallback: CurrentTokenIndex, onFallback?: (reason: string) => void): CurrentTokenIndex {
  let loaded: Promise<CurrentTokenIndex> | undefined;
  const resolve = () =>
    load().catch((e: unknown) => {
      onFallback?.(e instanceof Error ? e.message : String(e));
      return fallback;
    });
  return {
    async heldElsewhere(token, secretArn) {
      loaded ??= resolve();
      return (await loaded).heldElsewhere(token, secretArn);
    },
  };
}

/** Held elsewhere by the first index's reckoning, or else by the second's (asked only when the first says no). */
export function eitherIndex(first: CurrentTokenIndex, second: CurrentTokenIndex): CurrentTokenIndex {
  return {
    async heldElsewhere(token, secretArn) {
      return (await first.heldElsewhere(token, secretArn)) || second.heldElsewhere(token, secretArn);
    },
  };
}

/**
 * For a caller with no index of the fleet: it cannot tell, so a token that can collide counts as
 * possibly held elsewhere and is left to expire.
 */
export const HOLDERS_UNKNOWN: CurrentTokenIndex = {
  heldElsewhere: () => Promise.reject(new Error('no index of the fleet to ask')),
};

/** For a caller outside any deployment (a rotation run without a fleet: tests, one-off scripts): no other secret exists. */
export const NO_OTHER_HOLDERS: CurrentTokenIndex = {
  heldElsewhere: () => Promise.resolve(false),
};

/**
 * Whether another secret may hold `token` as its current token: never where the provider's tokens
 * cannot collide; otherwise the index's answer, or 'unknown' when it cannot give one.
 */
export async function mayBeHeldElsewhere(token: string, secretArn: string, tokensMayCollide: boolean, index: CurrentTokenIndex): Promise<boolean | 'unknown'> {
  if (!tokensMayCollide) return false;
  return index.heldElsewhere(token, secretArn).catch(() => 'unknown' as const);
}

/** What became of a token minted but not stored. */
export interface UnstoredOutcome {
  /** Whether the provider can revoke at all (false also when its capabilities could not be read). */
  revocable: boolean;
  /** Whether another secret may hold the token: then it is left to expire rather than risk that secret's token. */
  heldElsewhere: boolean | 'unknown';
  /** Whether the revoke was made and answered. A failed revoke is not retried: the token expires on its own. */
  revoked: boolean;
}

/**
 * Revokes a token this secret minted but could not store, so no orphan stays valid at the provider,
 * unless the provider cannot revoke or another secret may hold the very same token as its current
 * one (`index` decides, for the secret `secretArn`). Never throws: the caller's own failure is what
 * it reports.
 */
export async function revokeUnstored(provider: TokenProvider, issued: IssuedToken, holder: { secretArn: string; index: CurrentTokenIndex }): Promise<UnstoredOutcome> {
  const capabilities = await provider.capabilities().catch(() => undefined);
  if (capabilities === undefined || capabilities.revoke === 'none') return { revocable: false, heldElsewhere: false, revoked: false };
  const heldElsewhere = await mayBeHeldElsewhere(issued.token, holder.secretArn, capabilities.tokensMayCollide, holder.index);
  if (heldElsewhere !== false) return { revocable: true, heldElsewhere, revoked: false };
  const revoked = await provider.revoke({ token: issued.token, fields: issued.fields ?? {}, expiresAt: issued.expiresAt }).then(
    () => true,
    () => false,
  );
  return { revocable: true, heldElsewhere, revoked };
}
