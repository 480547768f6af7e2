/**
 * The refresh and the settle as every trigger runs them (the sweep, on-demand `refresh` and
 * `delete`): refresh.ts and settle.ts do the work; this module tells the world. Each transition
 * becomes a change event (core/events.ts) and the outcome is recorded on the secret
 * (records.ts), both best effort: neither ever fails the operation.
 *
 *   renewal   'refresh' -> Token Refreshed, last-refresh `refreshed`; a failure -> Refresh Failed
 *             (Credential Not Set for a credential secret not filled in yet), last-refresh `failed`.
 *             A rotation tells its own story: the rotation function emits Token Rotated or
 *             Rotation Failed (core/rotation/steps.ts).
 *   settle    each replaced token -> Token Revoked ('revoked' or 'already-gone'), Token Left To
 *             Expire, or Revoke Failed; last-revoke records the worst of them.
 * A renewal a pause or a window held back, made anyway because the token would expire
 * (routine.ts `override`), carries that reason: in Token Refreshed directly, and for a rotation
 * through RENEWAL_REASON_TAG, which finishSecret puts into Token Rotated.
 */
import type { Deps } from '../deps.js';
import { CredentialNotSetError, RotationStateError } from '../errors.js';
import { renewalFailureTag } from '../rotation/failure-record.js';
import { emitChange, reasonOf } from '../events.js';
import { LAST_REFRESH_TAG, LAST_REVOKE_TAG, RENEWAL_REASON_TAG } from '../names.js';
import { recordedExpiry } from '../secrets/token-secret.js';
import type { ManagedSecret } from './managed-secret.js';
import { recordOutcome, tagText, type RevokeRecordOutcome } from './records.js';
import { refreshOrRotate, type RefreshResult } from './refresh.js';
import { RotationFailedError } from './rotate-now.js';
import { settle, type SettleOptions, type SettleReport } from './settle.js';

export type RenewOptions = NonNullable<Parameters<typeof refreshOrRotate>[2]> & {
  /** Why a renewal that a pause or a window held back goes ahead (routine.ts). */
  override?: string;
};

/** refreshOrRotate, reported. */
export async function renew(managed: ManagedSecret, deps: Deps, options: RenewOptions = {}): Promise<RefreshResult> {
  const { override, ...refreshOptions } = options;
  const base = { secretArn: managed.arn, provider: managed.secret.provider };
  if (override) {
    // Read by finishSecret if this becomes a rotation; removed below if it becomes a refresh.
    await deps.store.tag(managed.arn, { [RENEWAL_REASON_TAG]: tagText(override) }).catch((e: unknown) => deps.log?.('renewal reason not recorded', { secretId: managed.arn, error: reasonOf(e) }));
  }
  let result: RefreshResult;
  try {
    result = await refreshOrRotate(managed, deps, refreshOptions);
  } catch (e) {
    // A rotation that failed was reported by the rotation function, which saw why.
    if (!(e instanceof RotationFailedError)) {
      await emitChange(deps, e instanceof CredentialNotSetError ? 'Credential Not Set' : 'Refresh Failed', { ...base, reason: reasonOf(e) });
      // The failure record too (status `failing`, issue 22), in the same TagResource; a rotation in
      // progress is not a failure of this step.
      const failure = e instanceof RotationStateError ? {} : await renewalFailureTag(deps.store, managed.arn, 'refresh', e);
      await recordOutcome(deps, managed.arn, LAST_REFRESH_TAG, 'failed', reasonOf(e), failure);
    }
    throw e;
  }
  if (result.method === 'refresh') {
    await emitChange(deps, 'Token Refreshed', {
      ...base,
      versionId: result.versionId,
      previousVersionId: managed.current.versionId,
      expiresAt: result.expiresAt,
      ...(override ? { reason: override } : {}),
    });
    await recordOutcome(deps, managed.arn, LAST_REFRESH_TAG, 'refreshed');
    if (override) await deps.store.untag(managed.arn, [RENEWAL_REASON_TAG]).catch(() => undefined);
  }
  return result;
}

/** settle, reported: one event per replaced token, and the settle's outcome recorded when it acted on any. */
export async function settleReported(managed: ManagedSecret, deps: Deps, options: SettleOptions): Promise<SettleReport> {
  const report = await settle(managed, deps, options);
  const base = { secretArn: managed.arn, provider: managed.secret.provider };
  let worst: RevokeRecordOutcome | undefined;
  for (const { versionId, fate } of report.fates) {
    if (fate === 'revoked' || fate === 'already-gone') {
      await emitChange(deps, 'Token Revoked', { ...base, versionId, outcome: fate });
      worst ??= 'revoked';
    } else if (fate === 'expiring') {
      await emitChange(deps, 'Token Left To Expire', { ...base, versionId, ...(await expiryOf(managed, versionId, deps)) });
      // Worse than a revoke whatever the order of the fates: a token of this secret is still live.
      if (worst !== 'failed') worst = 'left-to-expire';
    } else if (fate === 'failed') {
      await emitChange(deps, 'Revoke Failed', { ...base, versionId, reason: reasonOf(report.error) });
      worst = 'failed';
    }
  }
  if (worst) await recordOutcome(deps, managed.arn, LAST_REVOKE_TAG, worst, worst === 'failed' ? reasonOf(report.error) : undefined);
  return report;
}

/** The expiry a version records, read only when an event will carry it. */
async function expiryOf(managed: ManagedSecret, versionId: string, deps: Deps): Promise<{ expiresAt?: string | null }> {
  if (!deps.events) return {};
  const value = await deps.store.tryGet(managed.arn, { versionId }).catch(() => undefined);
  const expiresAt = recordedExpiry(value?.secretString);
  return expiresAt === undefined ? {} : { expiresAt };
}
