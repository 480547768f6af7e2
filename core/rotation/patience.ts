/**
 * Patience for a new token (issue 22): a token minted a moment ago can be refused by the API that
 * is to accept it (the issuer's clock ahead of the API's, a token that takes seconds to propagate;
 * a rotator for ICA in the wild sleeps 30 s after minting for this reason). A single refusal would
 * turn seconds of delay into a failed rotation and an alarm, so the proof of a fresh token retries
 * a refusal with exponential back-off for `newTokenPatienceSeconds`, never past the invocation's
 * remaining time less a margin (the failure must still be recorded in time). Faults other than a
 * refusal (transport, 5xx) are thrown at once, as before: the transport has its own retries.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { HeldToken, TokenProvider } from '../providers/provider.js';

/** Time kept back from the invocation's end, for recording a failure and answering. */
export const PATIENCE_MARGIN_MS = 10_000;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;

export interface Patience {
  /** How long to keep trying after the first refusal, in seconds (the setting). */
  seconds: number;
  /** Milliseconds the invocation has left (Lambda's getRemainingTimeInMillis); unbounded without. */
  remainingTimeMs?: () => number;
  /** Waits `ms` (tests). Default a real timer. */
  wait?: (ms: number) => Promise<void>;
  /** Monotonic milliseconds (tests). Default performance.now. */
  now?: () => number;
}

export interface Proof {
  accepted: boolean;
  /** Calls made to prove the token. */
  tries: number;
  /** Real milliseconds spent between the first try and the last. */
  waitedMs: number;
}

/** Proves a freshly minted token, retrying refusals with back-off within the patience. */
export async function proveFreshToken(provider: Pick<TokenProvider, 'verify'>, held: HeldToken, patience: Patience): Promise<Proof> {
  const now = patience.now ?? (() => performance.now());
  const wait = patience.wait ?? ((ms: number) => sleep(ms));
  const started = now();
  const bySetting = patience.seconds * 1000;
  const byInvocation = patience.remainingTimeMs ? patience.remainingTimeMs() - PATIENCE_MARGIN_MS : Number.POSITIVE_INFINITY;
  const deadline = started + Math.max(0, Math.min(bySetting, byInvocation));
  let delay = FIRST_DELAY_MS;
  for (let tries = 1; ; tries++) {
    if (await provider.verify(held)) return { accepted: true, tries, waitedMs: now() - started };
    const left = deadline - now();
    if (left <= 0) return { accepted: false, tries, waitedMs: now() - started };
    // The last try falls on the deadline itself rather than a back-off step beyond it.
    await wait(Math.min(delay, left));
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}
