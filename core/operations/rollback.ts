/**
 * On-demand `rollback`: the token of AWSPREVIOUS becomes the current one again, for when the token
 * a rotation brought breaks something the previous one did not. Only a token that is safe to hand
 * back to apps is restored; each check refuses with its reason, before anything is written:
 *   - AWSPREVIOUS exists and holds a token other than the current one (after an in-place refresh
 *     both hold the same token: there is nothing to go back to);
 *   - it was issued for the connection's current settings (the same host, provider, credential and
 *     provider fields: a token of another server is never paired with this one);
 *   - it is not expired, and not within the refresh window (the sweep would replace it at once);
 *   - its server accepts it on an authenticated call (provider.verify): not revoked, still valid.
 * Then it is written as a new AWSCURRENT version over the current one (write-current.ts), the
 * current settings kept and the restored token's fields taken: the token it replaces moves to
 * AWSPREVIOUS and older unrevoked ones stay in `retiredVersionIds`, so the sweep revokes the
 * replaced token after the grace period, as after any rotation. A `Token Rolled Back` event
 * records it, with the operator's reason.
 */
import type { Deps } from '../deps.js';
import { ValidationError } from '../errors.js';
import { emitChange } from '../events.js';
import { settingsFor, type OperationalSettings } from '../settings.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, versionWithStage } from '../secrets/store.js';
import { heldToken, parseTokenSecret, secretJson } from '../secrets/token-secret.js';
import { HARMLESS_FIELDS, TOKEN_STATE_FIELDS } from './connection-settings.js';
import { refreshPointSeconds, type ManagedSecret } from './managed-secret.js';
import { concurrentChange, rotationInProgress, writeCurrent } from './write-current.js';

export interface RollbackResult {
  rolledBack: true;
  /** The new AWSCURRENT version, holding the restored token. */
  versionId: string;
  /** The version whose token was restored (AWSPREVIOUS before the rollback). */
  restoredVersionId: string;
  /** The version that was current: its token is now AWSPREVIOUS, revoked by the sweep after the grace period. */
  replacedVersionId: string;
  expiresAt: string | null;
}

export async function rollback(managed: ManagedSecret, deps: Deps, options: { reason: string; settings: OperationalSettings }): Promise<RollbackResult> {
  const refuse = (why: string): never => {
    throw new ValidationError(`secretId: ${managed.secretId} cannot be rolled back: ${why}; nothing was changed`, 'secretId');
  };
  const description = await deps.store.describe(managed.arn);
  const currentId = managed.current.versionId;
  if (versionWithStage(description.versions, AWSCURRENT) !== currentId) throw concurrentChange(managed.secretId, 'rolling back');
  const pending = versionWithStage(description.versions, AWSPENDING);
  if (pending && pending !== currentId) throw rotationInProgress(managed.secretId, 'a rollback');
  const previousId = versionWithStage(description.versions, AWSPREVIOUS);
  if (!previousId || previousId === currentId) refuse('there is no AWSPREVIOUS version to go back to');

  const definition = deps.providers.definition(managed.secret);
  const previous = await deps.store.tryGet(managed.arn, { versionId: previousId as string });
  const held = heldToken(previous?.secretString, definition.tokenFields);
  if (!held) return refuse(`AWSPREVIOUS (version ${previousId}) holds no token`);
  if (held.token === managed.secret.token) refuse('AWSPREVIOUS holds the same token as AWSCURRENT (it was refreshed in place): there is no other token to go back to');

  const before = secretJson(previous?.secretString) ?? {};
  const now = secretJson(managed.current.secretString) ?? {};
  const own = new Set([...TOKEN_STATE_FIELDS, ...HARMLESS_FIELDS, ...definition.tokenFields]);
  const changed = [...new Set([...Object.keys(before), ...Object.keys(now)])].filter((k) => !own.has(k) && JSON.stringify(before[k]) !== JSON.stringify(now[k])).sort();
  if (changed.length > 0) refuse(`AWSPREVIOUS's token was issued for other settings (${changed.join(', ')} changed since): it would be paired with a server that did not issue it`);

  const at = deps.clock.now();
  if (held.expiresAt instanceof Date) {
    const left = Math.floor((held.expiresAt.getTime() - at) / 1000);
    if (left <= 0) refuse(`AWSPREVIOUS's token expired at ${held.expiresAt.toISOString()}`);
    const point = refreshPointSeconds(parseTokenSecret(previous?.secretString, `token secret ${managed.secretId} (AWSPREVIOUS)`), settingsFor(managed.secret, options.settings), managed.secretId);
    if (left <= point) refuse(`AWSPREVIOUS's token expires at ${held.expiresAt.toISOString()}, within the refresh window (${point} s): the sweep would replace it at once`);
  }
  const provider = await deps.providers.open(managed.secret, { arn: managed.arn, what: `token secret ${managed.secretId}` });
  if (!(await provider.verify(held))) refuse(`the ${provider.name} server refused AWSPREVIOUS's token on an authenticated call (revoked, or no longer valid there)`);

  // The current settings, with the restored token and the fields written beside it.
  const value: Record<string, unknown> = Object.fromEntries(Object.entries(now).filter(([k]) => !TOKEN_STATE_FIELDS.has(k) && !definition.tokenFields.includes(k)));
  for (const k of [...TOKEN_STATE_FIELDS, ...definition.tokenFields]) if (k !== 'retiredVersionIds' && before[k] !== undefined) value[k] = before[k];
  const versionId = await writeCurrent(managed, deps, JSON.stringify(value), 'rolling back');
  const expiresAt = held.expiresAt === undefined ? null : (held.expiresAt?.toISOString() ?? null);
  await emitChange(deps, 'Token Rolled Back', {
    secretArn: managed.arn,
    provider: managed.secret.provider,
    versionId,
    restoredVersionId: previousId as string,
    previousVersionId: currentId,
    expiresAt,
    reason: options.reason,
  });
  return { rolledBack: true, versionId, restoredVersionId: previousId as string, replacedVersionId: currentId, expiresAt };
}
