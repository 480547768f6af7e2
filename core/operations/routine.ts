/**
 * What holds a due secret's routine work back: a pause (on-demand `pause`) or its rotation window
 * (`rotationSchedule`). Shared by the sweep, which acts on the answer, and `plan`, which reports it.
 *
 * Routine refreshes, rotations and revokes of a paused secret, or of one outside its window, wait.
 * A renewal never waits past safety: a token that would expire before two more sweeps (the next,
 * and one more should it fail) is renewed whatever the pause says, and one that would expire before
 * its next window opens (plus the same margin) is renewed outside the window; `override` says why,
 * and the change event carries it. Revokes have no such urgency: a replaced token that waits is
 * still tracked, and is revoked in the next window or once the pause ends.
 */
import { parseRotationSchedule, windowAt, type Window } from '../rotation-schedule.js';
import type { OperationalSettings } from '../settings.js';
import type { TokenSecret } from '../secrets/token-secret.js';
import { secondsLeft } from './managed-secret.js';
import { activePause, type PauseRecord } from './records.js';

export type HeldBack = 'paused' | 'outside-window';

export interface RoutineDecision {
  /** Refresh or rotate now. */
  renew: boolean;
  /** Revoke the replaced tokens now. */
  settle: boolean;
  /** Set when due work was held back, or goes ahead only because it cannot wait. */
  heldBack?: HeldBack;
  /** Why a held-back renewal goes ahead anyway (the token would otherwise expire). */
  override?: string;
  /** Why work waits, for reports and `plan`. */
  reason?: string;
  pause?: PauseRecord;
  /** The window open now, or the next one; absent without a rotationSchedule. */
  window?: Window & { open: boolean };
}

export interface RoutineInput {
  secret: TokenSecret;
  /** The secret's tags (ListSecrets, or DescribeSecret). */
  tags: Readonly<Record<string, string>>;
  refreshDue: boolean;
  settleDue: boolean;
  settings: Pick<OperationalSettings, 'sweepIntervalSeconds'>;
  now: number;
}

/** The window of a secret's rotationSchedule at `now` (the secret's parse has checked the schedule). */
export function secretWindow(secret: TokenSecret, now: number): (Window & { open: boolean }) | undefined {
  return secret.rotationSchedule ? windowAt(parseRotationSchedule(secret.rotationSchedule), now) : undefined;
}

export function routineDecision(input: RoutineInput): RoutineDecision {
  const { secret, now } = input;
  const pause = activePause(input.tags, now);
  const window = secretWindow(secret, now);
  const context = { ...(pause ? { pause } : {}), ...(window ? { window } : {}) };
  const heldBack: HeldBack | undefined = pause ? 'paused' : window && !window.open ? 'outside-window' : undefined;
  if (!heldBack) return { renew: input.refreshDue, settle: input.settleDue, ...context };

  const margin = 2 * input.settings.sweepIntervalSeconds;
  const left = secondsLeft(secret, { now: () => now });
  const expires = typeof secret.expiresAt === 'string' ? secret.expiresAt : undefined;
  const why =
    heldBack === 'paused'
      ? `paused until ${pause?.until} (${pause?.reason || 'no reason given'})`
      : `outside its rotation window (the next opens at ${window?.opensAt.toISOString()})`;
  let override: string | undefined;
  if (input.refreshDue) {
    // A pause holds a renewal back to the last safe sweep; a window until it opens, if the token lasts that long.
    const opensIn = heldBack === 'outside-window' ? ((window?.opensAt.getTime() ?? now) - now) / 1000 : 0;
    if (left === undefined) override = `${why}, but the secret holds no token with a known expiry`;
    else if (left !== null && left <= margin) override = `${why}, but the token expires at ${expires}, before two more sweeps could renew it`;
    else if (left !== null && left <= opensIn + margin) override = `${why}, but the token expires at ${expires}, before that window and two more sweeps`;
  }
  const deferred = [input.refreshDue && !override ? 'renewal' : undefined, input.settleDue ? 'revoke' : undefined].filter(Boolean).join(' and ');
  return {
    renew: override !== undefined,
    settle: false,
    heldBack,
    ...(override ? { override } : {}),
    ...(deferred ? { reason: `${deferred} held back: ${why}` } : {}),
    ...context,
  };
}
