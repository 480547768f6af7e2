/**
 * Every write the product makes to a token secret outside a rotation goes through here: a refresh
 * (a new expiry, or ICA's new token), a changed lifetime, the deployment's new settings. Writing a
 * version makes Secrets Manager move AWSPREVIOUS onto the version that was current, which would
 * silently take the label off an older, not yet revoked token. This module keeps every unrevoked
 * token tracked:
 *   - the same token written again: AWSPREVIOUS goes back to the version it was on while a replaced
 *     token waits for its settle, and a settled current stays settled (SETTLED moves along, and
 *     AWSPREVIOUS, which then marks nothing to revoke, is left where the write put it);
 *   - a new token: the old one is now AWSPREVIOUS, and an older unrevoked one is listed in the new
 *     value's `retiredVersionIds` (as the rotation does), so the sweep still revokes it.
 * It writes only over the version it read (compare-and-swap on AWSCURRENT) and never during a
 * rotation in flight, whose finishSecret would otherwise undo the write.
 */
import type { Deps } from '../deps.js';
import { RotationStateError } from '../errors.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, isServiceError, SETTLED, STAGED, versionWithStage, type SecretDescription } from '../secrets/store.js';
import { heldToken, secretJson } from '../secrets/token-secret.js';
import type { ManagedSecret } from './managed-secret.js';

/** AWSCURRENT moved between our read and our write; the newer version stays and nothing was overwritten. */
export function concurrentChange(secretId: string, doing: string): RotationStateError {
  return new RotationStateError(
    `AWSCURRENT of ${secretId} changed while ${doing} (a concurrent rotation or refresh); the newer version stays current and nothing was overwritten`,
  );
}

/** AWSPENDING sits on another version: a rotation is running, or failed and awaits a retry. */
export class RotationPendingError extends RotationStateError {}

export function rotationInProgress(secretId: string, doing: string): RotationPendingError {
  return new RotationPendingError(`A rotation of ${secretId} is in progress; ${doing} waits until it has finished (try again shortly)`);
}

/**
 * The versions whose tokens a new token replaces without their having been revoked: the current
 * value's list, plus the AWSPREVIOUS version, unless the current version is settled (everything
 * it replaced is revoked, gone or expiring). The rotation writes this into the pending value.
 */
export function retiredVersionIds(current: { versionId: string; secretString: string }, description: SecretDescription): string[] {
  const stages = description.versions[current.versionId] ?? [];
  if (stages.includes(SETTLED)) return [];
  const carried = secretJson(current.secretString)?.retiredVersionIds;
  const list = Array.isArray(carried) ? carried.filter((v): v is string => typeof v === 'string') : [];
  const previous = versionWithStage(description.versions, AWSPREVIOUS);
  if (previous && previous !== current.versionId) list.push(previous);
  return [...new Set(list)];
}

/**
 * Writes `nextValue` as the new AWSCURRENT over `managed.current` and resolves its version id.
 * Throws RotationStateError when AWSCURRENT moved since `managed` was read or a rotation is in
 * progress; nothing is overwritten then.
 */
export async function writeCurrent(
  managed: ManagedSecret,
  deps: Deps,
  nextValue: string,
  doing: string,
  /** Sees the description the write was checked against (its tags, say), at no extra call. */
  onDescribed?: (description: SecretDescription) => void,
): Promise<string> {
  const { store } = deps;
  const id = managed.secretId;
  const currentId = managed.current.versionId;
  const description = await store.describe(id);
  onDescribed?.(description);
  if (versionWithStage(description.versions, AWSCURRENT) !== currentId) throw concurrentChange(id, doing);
  const pending = versionWithStage(description.versions, AWSPENDING);
  if (pending && pending !== currentId) throw rotationInProgress(id, doing);

  const previousId = versionWithStage(description.versions, AWSPREVIOUS);
  const wasSettled = (description.versions[currentId] ?? []).includes(SETTLED);
  const sameToken = heldToken(nextValue)?.token === managed.secret.token;
  let value = nextValue;
  if (!sameToken) {
    const json = secretJson(nextValue) ?? {};
    const retired = retiredVersionIds(managed.current, description);
    if (retired.length > 0) json.retiredVersionIds = retired;
    else delete json.retiredVersionIds;
    value = JSON.stringify(json);
  }

  // SETTLED rides along in the same call when the token is unchanged and nothing was left to revoke.
  const versionId = await store.put(id, value, { stages: sameToken && wasSettled ? [STAGED, SETTLED] : [STAGED] });
  try {
    await store.moveStage(id, AWSCURRENT, versionId, currentId);
  } catch (e) {
    // The label only marks the write in flight; a failure to remove it changes nothing that matters.
    await store.removeStage(id, STAGED, versionId).catch(() => undefined);
    if (!isServiceError(e, 'InvalidParameterException')) throw e;
    const holder = versionWithStage((await store.describe(id)).versions, AWSCURRENT);
    if (holder === currentId) throw e;
    throw concurrentChange(id, doing);
  }
  // On success STAGED stays on the new current version: it marks nothing there, and the next
  // staged write moves it (PutSecretValue takes a label from whichever version has it).
  if (sameToken && !wasSettled && previousId && previousId !== currentId) {
    // The service moved AWSPREVIOUS onto the old current version, which holds the same token: put
    // it back on the replaced token the settle still has to revoke. On a settled current there is
    // none (the settle took the label off what it revoked; an in-place refresher's leftovers are
    // revoked or expired), so the move would be a third write per refresh for nothing.
    await store.moveStage(id, AWSPREVIOUS, previousId, currentId);
  }
  return versionId;
}
