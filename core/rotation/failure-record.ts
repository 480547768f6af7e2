/**
 * The failure record (issue 22 made it shared): the ROTATION_ERROR_TAG value
 * `<versionId> <step> <Name>: <message> at <instant>` (no token: messages of this product never
 * carry one), written by the rotation function when a step fails and by the sweep when a refresh
 * (TigerGraph 3.x in place) or the start of a rotation fails, so the failure shows in `status`
 * and fleet status (`failing`) whichever path failed. The instant ends the record, so the same
 * failure again is a new record (rotate-now.ts tells a re-driven rotation's outcome from the old
 * one, and an operator sees the failure is current). A finished rotation or refresh removes it.
 */
import { ROTATION_ERROR_TAG } from '../names.js';
import { AWSCURRENT, AWSPENDING, type SecretStore } from '../secrets/store.js';

/** Tag values allow few characters (the rest become spaces) and 256 of them. */
const TAG_VALUE_LIMIT = 256;

export function formatFailureRecord(versionId: string, step: string, error: unknown, at: Date = new Date()): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const instant = ` at ${at.toISOString()}`;
  const reason = `${versionId} ${step} ${message}`.replace(/[^\p{L}\p{N}\s_.:/=+\-@]/gu, ' ').replace(/\s+/g, ' ');
  return reason.slice(0, TAG_VALUE_LIMIT - instant.length) + instant;
}

/** The parts of a failure record that status reports. */
export interface RotationFailureRecord {
  versionId: string;
  step: string;
  /** The sanitized reason, as tagged. */
  reason: string;
  /** When the failure was recorded (the function's clock), when the record says. */
  at?: string;
  /** Refusals of the pending token so far and the bound, for a refused pending token (pending-attempts.ts). */
  pendingTokenAttempts?: { attempt: number; of: number; abandoned: boolean };
}

const RECORD = /^(\S+) (\S+) (.*?)(?: at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z))?$/;
const REFUSAL = /^PendingTokenRefusedError: attempt (\d+) of (\d+)( abandoned)?:/;

export function parseFailureRecord(record: string | undefined): RotationFailureRecord | undefined {
  const m = record === undefined ? null : RECORD.exec(record);
  if (!m) return undefined;
  const [, versionId, step, reason, at] = m as unknown as [string, string, string, string, string | undefined];
  const refusal = step === 'testSecret' ? REFUSAL.exec(reason) : null;
  return {
    versionId,
    step,
    reason,
    ...(at ? { at } : {}),
    ...(refusal ? { pendingTokenAttempts: { attempt: Number(refusal[1]), of: Number(refusal[2]), abandoned: refusal[3] !== undefined } } : {}),
  };
}

/**
 * Records a failure of the sweep's own step (a refresh, the start of a rotation) on the secret's
 * current version. Never over a record of a pending rotation: that one says more (and re-drives
 * by it), and the rotation records its own next failure. Best effort: the failure is reported
 * anyway (the sweep's `failed` and its metric).
 */
export async function recordSweepFailure(store: SecretStore, secretId: string, step: string, error: unknown): Promise<void> {
  try {
    const description = await store.describe(secretId);
    const current = Object.entries(description.versions).find(([, stages]) => stages.includes(AWSCURRENT))?.[0];
    const existing = parseFailureRecord(description.tags[ROTATION_ERROR_TAG]);
    if (existing && (description.versions[existing.versionId] ?? []).includes(AWSPENDING) && existing.versionId !== current) return;
    if (current === undefined) return;
    await store.tag(description.arn, { [ROTATION_ERROR_TAG]: formatFailureRecord(current, step, error) });
  } catch {
    // Best effort, as the rotation function's own record.
  }
}

/** Removes the record once a refresh succeeded (only when `tags` show one: no call otherwise). Best effort. */
export async function clearFailureRecord(store: SecretStore, secretId: string, tags: Readonly<Record<string, string>>): Promise<void> {
  if (tags[ROTATION_ERROR_TAG] === undefined) return;
  await store.untag(secretId, [ROTATION_ERROR_TAG]).catch(() => undefined);
}
