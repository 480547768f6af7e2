/**
 * Bounded re-drive of a refused pending token (issue 22). createSecret reuses the token already in
 * AWSPENDING, so a token the server refuses for good (revoked by an admin, minted under a
 * credential rotated since, a server restored from backup) would be re-tested by every re-drive and
 * the rotation would never complete, until the current token expired. Each refusal is counted in
 * the rotation's failure record (the ROTATION_ERROR_TAG value, `<versionId> testSecret
 * PendingTokenRefusedError: attempt <n> of <K>: ...`), so the count survives between invocations
 * without another write; the K-th refusal (`pendingTokenAttempts`) abandons the version: its token
 * is revoked where the API can (and should: the routine-revoke policy and the collision guard
 * apply as in a settle), AWSPENDING is removed and the next rotation mints afresh. AWSCURRENT is
 * never touched.
 */
import type { Deps } from '../deps.js';
import { TokenNotFoundError } from '../errors.js';
import { ROTATION_ERROR_TAG } from '../names.js';
import { lazyFleetIndex, mayBeHeldElsewhere } from '../operations/holders.js';
import type { FleetSource } from '../operations/fleet.js';
import type { HeldToken, TokenProvider } from '../providers/provider.js';
import { AWSPENDING, type SecretDescription } from '../secrets/store.js';
import type { OperationalSettings } from '../settings.js';
import { parseFailureRecord } from './failure-record.js';


/** A pending token the server refused; `abandoned` once the version was given up. */
export class PendingTokenRefusedError extends TokenNotFoundError {
  constructor(
    message: string,
    /** Refusals of this version so far, this one included. */
    readonly attempt: number,
    /** The bound (`pendingTokenAttempts`). */
    readonly attempts: number,
    readonly abandoned: boolean,
  ) {
    super(message);
    this.name = 'PendingTokenRefusedError';
  }
}

/** What became of the token of an abandoned version. */
export type AbandonedTokenFate = 'revoked' | 'already-gone' | 'expiring' | 'held-elsewhere' | 'revoke-failed';

/** Refusals of `versionId`'s pending token recorded so far (0 when the record is of another version or failure). */
export function pendingRefusals(record: string | undefined, versionId: string): number {
  const parsed = parseFailureRecord(record);
  return parsed?.versionId === versionId ? (parsed.pendingTokenAttempts?.attempt ?? 0) : 0;
}

export interface RefusedPending {
  versionId: string;
  description: SecretDescription;
  held: HeldToken;
  provider: TokenProvider;
  settings: Pick<OperationalSettings, 'pendingTokenAttempts' | 'routineRevokeMinRemainingSeconds'>;
  /** The managed secrets: a token that can collide is revoked only when no other secret holds it. */
  fleet?: FleetSource;
}

/**
 * Called when the server refused the pending token (after testSecret's patience): throws a
 * PendingTokenRefusedError counting the attempt, after abandoning the version on the last one.
 */
export async function refusedPendingToken(refused: RefusedPending, deps: Deps): Promise<never> {
  const { versionId, description, provider } = refused;
  const limit = refused.settings.pendingTokenAttempts;
  const attempt = pendingRefusals(description.tags[ROTATION_ERROR_TAG], versionId) + 1;
  const refusedBy = `the ${provider.name} server refused the pending token of secret ${description.name} on an authenticated call`;
  const check = 'check the host, the account the credential belongs to and, for TigerGraph, that REST++ authentication is enabled and the graph is right';
  if (attempt < limit) {
    throw new PendingTokenRefusedError(`attempt ${attempt} of ${limit}: ${refusedBy}; the rotation is re-driven, and abandoned for a new token after ${limit} refusals; ${check}`, attempt, limit, false);
  }
  const fate = await revokeAbandoned(refused, deps);
  await deps.store.removeStage(description.arn, AWSPENDING, versionId);
  deps.log?.('pending token refused on every attempt: rotation abandoned, the next one mints a new token', {
    secretId: description.name,
    versionId,
    attempts: attempt,
    orphan: fate,
    ...(fate === 'revoked' || fate === 'already-gone' ? {} : { orphanExpiresAt: refused.held.expiresAt?.toISOString() ?? null }),
  });
  throw new PendingTokenRefusedError(
    // "abandoned" before the colon: the record is cut at 256 characters, the status reads it there.
    `attempt ${attempt} of ${limit} abandoned: ${refusedBy} ${attempt} times; AWSPENDING removed, its token ${FATE_WORDS[fate]}; ` +
      `AWSCURRENT is unchanged and the next rotation mints a new token; ${check}`,
    attempt,
    limit,
    true,
  );
}

const FATE_WORDS: Record<AbandonedTokenFate, string> = {
  revoked: 'revoked',
  'already-gone': 'already gone at the server',
  expiring: 'left to expire: the provider cannot or by policy should not revoke it',
  'held-elsewhere': 'left to expire: another secret may hold the same token',
  'revoke-failed': 'not revoked: the revoke failed, it expires on its own',
};

/** Revokes the abandoned token where the API can and the policy allows, never one another secret may hold. */
async function revokeAbandoned(refused: RefusedPending, deps: Deps): Promise<AbandonedTokenFate> {
  const { provider, held } = refused;
  try {
    const capabilities = await provider.capabilities();
    if (capabilities.revoke === 'none') return 'expiring';
    if (capabilities.routineRevoke === 'long-lived-only' && held.expiresAt instanceof Date) {
      // A block-list entry is spent only on a token that would live long (TigerGraph 4.x).
      if ((held.expiresAt.getTime() - deps.clock.now()) / 1000 <= refused.settings.routineRevokeMinRemainingSeconds) return 'expiring';
    }
    const heldElsewhere = refused.fleet
      ? await mayBeHeldElsewhere(held.token, refused.description.arn, capabilities.tokensMayCollide, lazyFleetIndex(refused.fleet, deps))
      : capabilities.tokensMayCollide;
    if (heldElsewhere !== false) return 'held-elsewhere';
    return await provider.revoke(held);
  } catch {
    return 'revoke-failed';
  }
}
