/**
 * On-demand `pause` and `resume` of one connection. A pause is a tag on the token secret
 * (PAUSED_TAG, records.ts), so it takes one call whatever the secret's versions are doing: an
 * incident is when a failed rotation may hold AWSPENDING, and a value write would then be refused.
 * While paused the sweep does no routine work on the secret, but never lets its token expire
 * (routine.ts). Rotations Secrets Manager starts on its own schedule, and on-demand `request`,
 * `refresh` and `delete`, go on as usual: a pause holds back the routine, nothing else.
 * A pause ends on its own after `durationSeconds` (default a day, at most 30 days), so a
 * forgotten one cannot hold renewals back to the last minute for good.
 */
import type { Deps } from '../deps.js';
import { emitChange } from '../events.js';
import { PAUSED_TAG } from '../names.js';
import type { ManagedSecret } from './managed-secret.js';
import { activePause, formatPause, parsePause, tagText } from './records.js';

export const DEFAULT_PAUSE_SECONDS = 86_400;
export const MAX_PAUSE_SECONDS = 30 * 86_400;

export interface PauseResult {
  paused: true;
  reason: string;
  pausedAt: string;
  until: string;
  /** Seconds until the pause ends on its own. */
  secondsLeft: number;
}

export interface ResumeResult {
  /** False when the secret was not paused (or its pause had ended): nothing changed. */
  resumed: boolean;
}

export async function pause(managed: ManagedSecret, deps: Deps, options: { reason: string; durationSeconds?: number }): Promise<PauseResult> {
  const now = deps.clock.now();
  const seconds = options.durationSeconds ?? DEFAULT_PAUSE_SECONDS;
  const record = { reason: tagText(options.reason), pausedAt: new Date(now).toISOString(), until: new Date(now + seconds * 1000).toISOString() };
  const value = formatPause(record);
  await deps.store.tag(managed.arn, { [PAUSED_TAG]: value });
  // The reason as stored: tags keep letters, digits, spaces and _ . : / = + - @ only.
  const stored = parsePause(value) ?? record;
  await emitChange(deps, 'Connection Paused', { secretArn: managed.arn, provider: managed.secret.provider, reason: stored.reason, pausedUntil: stored.until });
  return { paused: true, reason: stored.reason, pausedAt: stored.pausedAt, until: stored.until, secondsLeft: seconds };
}

export async function resume(managed: ManagedSecret, deps: Deps): Promise<ResumeResult> {
  const tags = (await deps.store.describe(managed.arn)).tags;
  if (tags[PAUSED_TAG] === undefined) return { resumed: false };
  const wasActive = activePause(tags, deps.clock.now()) !== undefined;
  await deps.store.untag(managed.arn, [PAUSED_TAG]);
  if (wasActive) await emitChange(deps, 'Connection Resumed', { secretArn: managed.arn, provider: managed.secret.provider });
  return { resumed: wasActive };
}
