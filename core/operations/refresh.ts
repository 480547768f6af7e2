/**
 * Refresh-or-rotate for one managed secret, shared by the sweep and on-demand `refresh`: where the
 * provider can refresh without taking the old token away (TigerGraph 3.x in place; 'new-token'), the
 * token is refreshed and stored as a new AWSCURRENT version; everywhere else, and when a refresh is
 * refused as unsupported or the token is gone, a rotation through Secrets Manager replaces it.
 * A refresh that may retire the token it was given (ICA `tokens:refresh`) is never used here: apps
 * would hold a dead token from the refresh until the new one is stored, for good if that write
 * fails, and a secret holding the same JWT (tokens may collide) would lose its token too. Minting
 * costs the same one call with the same credential, and takes nothing away.
 */
import type { Deps } from '../deps.js';
import { RefreshUnsupportedError, TokenNotFoundError } from '../errors.js';
import { clearFailureRecord } from '../rotation/failure-record.js';
import { heldToken, withIssuedToken } from '../secrets/token-secret.js';
import { HOLDERS_UNKNOWN, revokeUnstored, type CurrentTokenIndex } from './holders.js';
import { secondsLeft, type ManagedSecret } from './managed-secret.js';
import { rotateNow, type RotationStarted, type RotationWait } from './rotate-now.js';
import { RotationPendingError, writeCurrent } from './write-current.js';

export interface Refreshed {
  method: 'refresh';
  versionId: string;
  expiresAt: string | null;
}

export type RefreshResult = Refreshed | RotationStarted;

export async function refreshOrRotate(
  managed: ManagedSecret,
  deps: Deps,
  options: {
    lifetimeSeconds?: number;
    wait?: RotationWait;
    /** Every secret's current token: a new token that could not be stored is revoked only if no other secret holds it. */
    index?: CurrentTokenIndex;
  } = {},
): Promise<RefreshResult> {
  const { secret, current } = managed;
  const definition = deps.providers.definition(secret);
  // The provider's fields first: a malformed one fails here, naming the field, instead of starting a
  // rotation that fails at once in the rotation function while the sweep reports it started (issue 22).
  definition.parseConfig(secret, `token secret ${managed.secretId}`);
  const lifetimeSeconds = options.lifetimeSeconds ?? secret.lifetimeSeconds ?? definition.defaultLifetimeSeconds;
  const left = secondsLeft(secret, deps.clock);
  const held = heldToken(current.secretString, definition.tokenFields);
  if (held && typeof left === 'number' && left > 0) {
    const provider = await deps.providers.open(secret, { arn: managed.arn, what: `token secret ${managed.secretId}` });
    const capabilities = await provider.capabilities();
    if (capabilities.refresh === 'in-place' || capabilities.refresh === 'new-token') {
      try {
        const issued = await provider.refresh(held, lifetimeSeconds !== undefined ? { lifetimeSeconds } : {});
        // In place, the token was issued earlier: keep that instant and record the refresh beside it.
        const inPlace = issued.token === held.token;
        const next = withIssuedToken(
          current.secretString,
          inPlace && secret.issuedAt ? { ...issued, issuedAt: new Date(secret.issuedAt) } : issued,
          { tokenFields: definition.tokenFields, extra: { refreshedAt: inPlace ? issued.issuedAt.toISOString() : undefined } },
        );
        try {
          let tags: Readonly<Record<string, string>> = {};
          const versionId = await writeCurrent(managed, deps, next, 'refreshing', (d) => (tags = d.tags));
          // A failure recorded by an earlier sweep (failure-record.ts) no longer describes the secret.
          await clearFailureRecord(deps.store, managed.arn, tags);
          return { method: 'refresh', versionId, expiresAt: issued.expiresAt?.toISOString() ?? null };
        } catch (e) {
          if (!inPlace) {
            // A new token that could not be stored must not stay live and untracked. Without an
            // index of the fleet, a token that can collide is left to expire: it may be another
            // secret's current one.
            await revokeUnstored(provider, issued, { secretArn: managed.arn, index: options.index ?? HOLDERS_UNKNOWN });
            throw e;
          }
          // A rotation left AWSPENDING behind (failed, awaiting a retry): an in-place refresh
          // changed nothing at the server but the expiry, so hand over to the rotation, which
          // re-drives the failed version (rotate-now.ts) or says one is running.
          if (!(e instanceof RotationPendingError)) throw e;
          return rotateNow(managed.secretId, deps, options.wait);
        }
      } catch (e) {
        if (!(e instanceof RefreshUnsupportedError) && !(e instanceof TokenNotFoundError)) throw e;
        // Refused as unsupported, or the token is gone: fall through to a rotation.
      }
    }
  }
  return rotateNow(managed.secretId, deps, options.wait);
}
