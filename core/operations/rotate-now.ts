/**
 * Starts a rotation through Secrets Manager (so the rotation hook's four steps and guarantees
 * apply) and, when asked, waits a bounded time for its outcome. On AWS, RotateSecret only starts
 * the rotation and answers at once: the outcome shows later, as the new version becoming AWSCURRENT
 * or as the rotation function's failure tag (core/names.ts ROTATION_ERROR_TAG) naming the version.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deps } from '../deps.js';
import { RotationStateError } from '../errors.js';
import { ROTATION_ERROR_TAG } from '../names.js';
import { AWSCURRENT, AWSPENDING, isServiceError, type SecretDescription } from '../secrets/store.js';
import { recordedExpiry } from '../secrets/token-secret.js';

export interface RotationWait {
  /** Longest time to wait for the outcome, in (real) milliseconds. */
  timeoutMs: number;
  /** Longest delay between two looks (they start at 25 ms and double). Default 500 ms. */
  pollMs?: number;
}

export interface RotationStarted {
  method: 'rotate';
  versionId: string;
  /** 'finished': the new token is AWSCURRENT; 'pending': still running when the wait ended (or not waited for). */
  state: 'finished' | 'pending';
  /** The new token's expiry once stored (null: never expires). */
  expiresAt?: string | null;
  /** A re-driven rotation: the failure record that named its version before (not this run's outcome). */
  staleFailure?: string;
}

/** A rotation that the rotation function reported as failed; the message says why. */
export class RotationFailedError extends RotationStateError {}

export interface RotateOptions {
  /**
   * Rotate to this AWSPENDING version, which already holds its value (the deployment's new
   * settings with a token minted for them: core/operations/connection-settings.ts): createSecret
   * finds it created, testSecret and finishSecret do the rest. Refused like any RotateSecret while
   * another rotation is in progress (a RotationStateError then; no other version is re-driven).
   */
  versionId?: string;
  /** Called once Secrets Manager has accepted the rotation, before the wait. */
  onStarted?: (versionId: string) => void;
}

export async function rotateNow(secretId: string, deps: Deps, wait?: RotationWait, options: RotateOptions = {}): Promise<RotationStarted> {
  let versionId: string;
  let staleFailure: string | undefined;
  // Look before asking for a rotation: one left pending by a failure is re-driven on its own version
  // with one RotateSecret (a request for a new one would be refused first, every sweep: a wasted
  // RotateSecret and its write slots), and one still running is reported without any.
  const redrive = options.versionId ? undefined : pendingRotation(await deps.store.describe(secretId));
  if (redrive?.kind === 'running') throw new RotationStateError(`A rotation of ${secretId} is already in progress; try again when it has finished`);
  try {
    if (redrive?.kind === 'failed') staleFailure = redrive.record;
    versionId = await deps.store.rotate(secretId, options.versionId ?? redrive?.versionId);
  } catch (e) {
    if (redrive) throw e;
    const message = (e as Error).message ?? '';
    if (!(isServiceError(e, 'InvalidRequestException') && /previous rotation isn't complete|rotation.*in progress/i.test(message))) throw e;
    if (options.versionId) throw new RotationStateError(`A rotation of ${secretId} is already in progress; version ${options.versionId} was not rotated to`);
    // A rotation that failed leaves AWSPENDING on its version, and Secrets Manager refuses a new
    // one until that one completes. When the rotation function recorded the failure of that very
    // version, run it again (RotateSecret with its ClientRequestToken, as Secrets Manager's own
    // retry does): a step that failed for a passing reason then completes, and one that can never
    // pass (its token expired) abandons the version, so the next sweep starts afresh.
    const failed = failedPendingVersion(await deps.store.describe(secretId));
    if (!failed) throw new RotationStateError(`A rotation of ${secretId} is already in progress; try again when it has finished`);
    // The old record names this version too: only a different one reports the retry's outcome.
    staleFailure = failed.record;
    versionId = await deps.store.rotate(secretId, failed.versionId);
  }
  options.onStarted?.(versionId);
  // Not waited for: the caller looks at the outcome later (the sweep does, for every rotation it started).
  if (!wait) return { method: 'rotate', versionId, state: 'pending', ...(staleFailure !== undefined ? { staleFailure } : {}) };
  const started = performance.now();
  for (let look = 0; ; look++) {
    const description = await deps.store.describe(secretId);
    const stages = description.versions[versionId] ?? [];
    const waitLeft = wait !== undefined && performance.now() - started < wait.timeoutMs;
    // finishSecret moves AWSCURRENT, then takes AWSPENDING off: while a wait allows, report the
    // rotation finished once that is done too, so a request right after this one is not told
    // "a rotation is in progress" by a rotation that has in effect finished.
    const current = stages.includes(AWSCURRENT);
    if (current && !(stages.includes(AWSPENDING) && waitLeft)) return finished(secretId, versionId, deps);
    const failure = description.tags[ROTATION_ERROR_TAG];
    if (!current && failure?.startsWith(`${versionId} `) && failure !== staleFailure) {
      throw new RotationFailedError(`The rotation of ${secretId} (version ${versionId}) failed: ${failure.slice(versionId.length + 1)}`);
    }
    if (!wait || performance.now() - started >= wait.timeoutMs) return current ? finished(secretId, versionId, deps) : { method: 'rotate', versionId, state: 'pending' };
    // Most rotations take a few seconds: look early, then back off to pollMs.
    const delay = Math.min(wait.pollMs ?? 500, 25 * 2 ** look);
    await sleep(Math.min(delay, Math.max(0, wait.timeoutMs - (performance.now() - started))));
  }
}

/** The AWSPENDING version (not AWSCURRENT): failed (its failure recorded) or still running; undefined when there is none. */
function pendingRotation(description: SecretDescription): { kind: 'failed'; versionId: string; record: string } | { kind: 'running' } | undefined {
  const failed = failedPendingVersion(description);
  if (failed) return { kind: 'failed', ...failed };
  return Object.values(description.versions).some((stages) => stages.includes(AWSPENDING) && !stages.includes(AWSCURRENT)) ? { kind: 'running' } : undefined;
}

/** The AWSPENDING version (not AWSCURRENT) whose rotation the rotation function recorded as failed, if any. */
export function failedPendingVersion(description: SecretDescription): { versionId: string; record: string } | undefined {
  const pending = Object.entries(description.versions).find(([, stages]) => stages.includes(AWSPENDING) && !stages.includes(AWSCURRENT))?.[0];
  const record = description.tags[ROTATION_ERROR_TAG];
  return pending && record?.startsWith(`${pending} `) ? { versionId: pending, record } : undefined;
}

async function finished(secretId: string, versionId: string, deps: Deps): Promise<RotationStarted> {
  const stored = await deps.store.tryGet(secretId, { versionId });
  const expiresAt = recordedExpiry(stored?.secretString);
  return { method: 'rotate', versionId, state: 'finished', ...(expiresAt !== undefined ? { expiresAt } : {}) };
}
