/**
 * The operational state of a token secret, kept in its tags (core/names.ts says why tags): a pause,
 * and the last refresh's and the last settle's outcomes. The last rotation needs no record of its
 * own: Secrets Manager keeps LastRotatedDate, and the rotation function tags a failure
 * (ROTATION_ERROR_TAG). Records are written best effort: a tag that cannot be written is logged and
 * never fails the operation it describes. No record holds a token.
 */
import type { Deps } from '../deps.js';
import { LAST_REFRESH_TAG, LAST_REVOKE_TAG, PAUSED_TAG, ROTATION_ERROR_TAG } from '../names.js';
import type { SecretDescription } from '../secrets/store.js';

/** Secrets Manager's longest tag value. */
const TAG_VALUE_MAX = 256;

/** Text made fit for a tag value: tags allow letters, digits, spaces and `_ . : / = + - @` only. */
export function tagText(text: string, max = TAG_VALUE_MAX): string {
  return text.replace(/[^\p{L}\p{N}\s_.:/=+\-@]/gu, ' ').replace(/\s+/g, ' ').trim().slice(0, max);
}

export interface PauseRecord {
  reason: string;
  pausedAt: string;
  /** The pause ends on its own at this instant. */
  until: string;
}

export function formatPause(record: PauseRecord): string {
  const head = `${record.until} ${record.pausedAt} `;
  return head + tagText(record.reason, TAG_VALUE_MAX - head.length);
}

/** The pause a tag value records, or undefined when it is not one (or is malformed). */
export function parsePause(value: string | undefined): PauseRecord | undefined {
  const m = value === undefined ? null : /^(\S+) (\S+) ?(.*)$/.exec(value);
  if (!m || Number.isNaN(Date.parse(m[1] as string)) || Number.isNaN(Date.parse(m[2] as string))) return undefined;
  return { until: m[1] as string, pausedAt: m[2] as string, reason: m[3] as string };
}

/** The pause in force at `now` (one whose `until` has passed is over, tag or not). */
export function activePause(tags: Readonly<Record<string, string>>, now: number): PauseRecord | undefined {
  const pause = parsePause(tags[PAUSED_TAG]);
  return pause && Date.parse(pause.until) > now ? pause : undefined;
}

export type RefreshOutcome = 'refreshed' | 'failed';
export type RevokeRecordOutcome = 'revoked' | 'left-to-expire' | 'failed';

export interface OutcomeRecord<O extends string = string> {
  outcome: O;
  at: string;
  reason?: string;
}

export function formatOutcome(record: OutcomeRecord): string {
  const head = `${record.outcome} ${record.at}`;
  return record.reason ? `${head} ${tagText(record.reason, TAG_VALUE_MAX - head.length - 1)}` : head;
}

export function parseOutcome(value: string | undefined): OutcomeRecord | undefined {
  const m = value === undefined ? null : /^(\S+) (\S+) ?(.*)$/.exec(value);
  if (!m || Number.isNaN(Date.parse(m[2] as string))) return undefined;
  return { outcome: m[1] as string, at: m[2] as string, ...(m[3] ? { reason: m[3] } : {}) };
}

/** Records the outcome of a refresh or a settle on the secret (best effort: a failure is logged, not thrown). */
export async function recordOutcome(
  deps: Pick<Deps, 'store' | 'clock' | 'log'>,
  secretId: string,
  tag: typeof LAST_REFRESH_TAG | typeof LAST_REVOKE_TAG,
  outcome: RefreshOutcome | RevokeRecordOutcome,
  reason?: string,
  /** Other tags written in the same call (the failure record of a failed renewal). */
  alongside: Readonly<Record<string, string>> = {},
): Promise<void> {
  const value = formatOutcome({ outcome, at: new Date(deps.clock.now()).toISOString(), ...(reason ? { reason } : {}) });
  await deps.store.tag(secretId, { ...alongside, [tag]: value }).catch((e: unknown) => {
    deps.log?.('outcome not recorded', { secretId, tag, error: e instanceof Error ? e.message : String(e) });
  });
}

export interface LastOutcomes {
  lastRotation: OutcomeRecord<'finished' | 'failed'> | null;
  lastRefresh: OutcomeRecord | null;
  lastRevoke: OutcomeRecord | null;
}

/**
 * The last rotation, refresh and revoke, from a DescribeSecret: the rotation from LastRotatedDate
 * and the rotation function's failure tag (whichever is later), the others from their records.
 */
export function lastOutcomes(description: Pick<SecretDescription, 'tags' | 'lastRotatedDate'>): LastOutcomes {
  const failure = description.tags[ROTATION_ERROR_TAG];
  // `<versionId> <step> <message> at <instant>` (core/rotation/steps.ts recordRotationFailure).
  const failedAt = failure ? / at (\S+)$/.exec(failure)?.[1] : undefined;
  const finishedAt = description.lastRotatedDate?.toISOString();
  let lastRotation: LastOutcomes['lastRotation'] = null;
  if (failure && failedAt && !(finishedAt && Date.parse(finishedAt) > Date.parse(failedAt))) {
    lastRotation = { outcome: 'failed', at: failedAt, reason: failure.slice(0, failure.length - failedAt.length - 4) };
  } else if (finishedAt) {
    lastRotation = { outcome: 'finished', at: finishedAt };
  }
  return {
    lastRotation,
    lastRefresh: parseOutcome(description.tags[LAST_REFRESH_TAG]) ?? null,
    lastRevoke: parseOutcome(description.tags[LAST_REVOKE_TAG]) ?? null,
  };
}
