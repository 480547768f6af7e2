/**
 * Tokens minted into a version that never became current (issue 22): an operator removed its
 * AWSPENDING, CancelRotateSecret stopped the rotation, or the rotation was abandoned
 * (pending-attempts.ts) and its token could not be revoked. Such a token is live at the server, and
 * no version that the settle looks at names it: once the next rotation had replaced what was
 * current, nothing would ever revoke it.
 *
 * createSecret labels the version it mints into MINTED (the PutSecretValue moves the label, no
 * extra call). The next createSecret reads where the label is: on a version that is neither
 * AWSCURRENT nor AWSPREVIOUS, that version's token never served. It joins the new value's
 * `retiredVersionIds` (with the versions that value itself tracked), so the settle revokes it
 * after the grace period where the API can, or tracks it until it expires where it cannot (ICA),
 * as any replaced token. A version whose token was revoked already (an abandoned rotation's) is
 * found gone by the settle; the cost is one revoke call.
 */
import type { Deps } from '../deps.js';
import { AWSCURRENT, AWSPREVIOUS, MINTED, versionWithStage, type SecretDescription } from '../secrets/store.js';
import { heldToken, secretJson } from '../secrets/token-secret.js';

/**
 * The versions to track because of an unfinished mint: the MINTED version when it never became
 * current and still holds an unexpired token other than `currentToken`, and what it tracked.
 */
export async function unfinishedMintVersionIds(
  description: SecretDescription,
  currentToken: string | undefined,
  deps: Pick<Deps, 'store' | 'clock'>,
  tokenFields: readonly string[],
): Promise<string[]> {
  const holder = versionWithStage(description.versions, MINTED);
  if (holder === undefined) return [];
  const stages = description.versions[holder] ?? [];
  // Current, or replaced after serving: tracked as every replaced token is (write-current.ts).
  if (stages.includes(AWSCURRENT) || stages.includes(AWSPREVIOUS)) return [];
  const value = await deps.store.tryGet(description.arn, { versionId: holder });
  const carried = secretJson(value?.secretString)?.retiredVersionIds;
  const tracked = Array.isArray(carried) ? carried.filter((v): v is string => typeof v === 'string') : [];
  const held = heldToken(value?.secretString, tokenFields);
  const live = held !== undefined && held.token !== currentToken && !(held.expiresAt instanceof Date && held.expiresAt.getTime() <= deps.clock.now());
  return [...(live ? [holder] : []), ...tracked];
}
