/**
 * On-demand `status` of one secret: status.ts's view of its token (no provider call, no token
 * value), plus what one DescribeSecret tells: whether it is paused (with the reason and the time
 * left), the last rotation, refresh and revoke with their instants and outcomes (records.ts), its
 * rotation window (open now, or the next one), the last failure not yet cleared (the failure
 * record, core/rotation/failure-record.ts, with the attempts at a refused pending token), and how
 * old the credential is (issue 22; one more DescribeSecret, of the credential secret).
 */
import type { Deps } from '../deps.js';
import { ROTATION_ERROR_TAG } from '../names.js';
import { parseFailureRecord, type RotationFailureRecord } from '../rotation/failure-record.js';
import { credentialAge, type CredentialAge } from './credential-age.js';
import type { ManagedSecret } from './managed-secret.js';
import { activePause, lastOutcomes, type LastOutcomes } from './records.js';
import { secretWindow } from './routine.js';
import { statusOf, type TokenStatus } from './status.js';

export interface DetailedStatus extends TokenStatus, LastOutcomes {
  paused: boolean;
  /** The pause in force: its reason, when it began and ends, and seconds until it ends on its own. */
  pause: { reason: string; pausedAt: string; until: string; secondsLeft: number } | null;
  /** The rotation window open now, or the next one; null without a rotationSchedule. */
  rotationWindow: { open: boolean; opensAt: string; closesAt: string } | null;
  /** The last rotation or refresh failure not yet cleared by one that finished; null when there is none. */
  rotationFailure: RotationFailureRecord | null;
  /** How old the credential this token is minted with is; null when it cannot be described. */
  credential: CredentialAge | null;
}

export async function detailedStatus(managed: ManagedSecret, deps: Deps): Promise<DetailedStatus> {
  const description = await deps.store.describe(managed.arn);
  const now = deps.clock.now();
  const pause = activePause(description.tags, now);
  const window = secretWindow(managed.secret, now);
  return {
    ...statusOf(managed, deps.providers.definition(managed.secret), deps.clock),
    paused: pause !== undefined,
    pause: pause ? { ...pause, secondsLeft: Math.max(0, Math.floor((Date.parse(pause.until) - now) / 1000)) } : null,
    ...lastOutcomes(description),
    rotationWindow: window ? { open: window.open, opensAt: window.opensAt.toISOString(), closesAt: window.closesAt.toISOString() } : null,
    rotationFailure: parseFailureRecord(description.tags[ROTATION_ERROR_TAG]) ?? null,
    credential: await credentialAge(deps.store, managed.secret.credentialSecretId, deps.clock).catch(() => null),
  };
}
