/**
 * What on-demand `status` reports of a secret's last failure (issue 22): the rotation function's
 * failure record (the ROTATION_ERROR_TAG value, core/rotation/failure-record.ts), with
 * how many times a refused pending token was tried. One DescribeSecret; never a token value.
 */
import type { Deps } from '../deps.js';
import { ROTATION_ERROR_TAG } from '../names.js';
import { parseFailureRecord, type RotationFailureRecord } from '../rotation/failure-record.js';

export interface FailureStatus {
  /** The last rotation failure not yet cleared by a rotation that finished; null when there is none. */
  rotationFailure: RotationFailureRecord | null;
}

export async function failureStatus(secretArn: string, deps: Pick<Deps, 'store'>): Promise<FailureStatus> {
  const description = await deps.store.describe(secretArn);
  return { rotationFailure: parseFailureRecord(description.tags[ROTATION_ERROR_TAG]) ?? null };
}
