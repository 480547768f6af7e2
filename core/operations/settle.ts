/**
 * Settling a token secret: once the grace period after a rotation has passed, every token the
 * current one replaced (the AWSPREVIOUS version, and older ones listed in `retiredVersionIds`) is
 * revoked at the provider, proven gone, or left to expire where the provider cannot (ICA) or should
 * not (TigerGraph 4.x block-lists, for short-lived leftovers) revoke it. Then the SETTLED label goes
 * onto the current version, so later sweeps see from one batched read that nothing is left to do.
 *
 * Never revoked: a token equal to the current one (after an in-place refresh both versions hold
 * it), and, for providers whose tokens can collide, a token another managed secret holds as its
 * current token (holders.ts): that secret tracks it and revokes it once it replaces it.
 * A revoke that fails or cannot be confirmed leaves the secret unsettled, so the next sweep retries.
 */
import type { Deps } from '../deps.js';
import type { HeldToken, ProviderCapabilities, TokenProvider } from '../providers/provider.js';
import type { OperationalSettings } from '../settings.js';
import { AWSCURRENT, AWSPREVIOUS, isServiceError, SETTLED, versionWithStage } from '../secrets/store.js';
import { heldToken } from '../secrets/token-secret.js';
import type { CurrentTokenIndex } from './holders.js';
import type { ManagedSecret } from './managed-secret.js';

/** What happened to one replaced token. */
export type TokenFate = 'revoked' | 'already-gone' | 'expiring' | 'expired' | 'same-as-current' | 'held-elsewhere' | 'no-token' | 'failed';

export interface SettleReport {
  /** 'not-due': settled already or within the grace period; 'settled': done now; 'unsettled': a revoke failed (retried next time). */
  state: 'not-due' | 'settled' | 'unsettled';
  fates: Array<{ versionId: string; fate: TokenFate }>;
  /** The first failure, when a revoke failed; the secret stays unsettled. */
  error?: unknown;
}

export interface SettleOptions {
  settings: Pick<OperationalSettings, 'revokeGraceSeconds' | 'routineRevokeMinRemainingSeconds'>;
  /** Revoke now, whatever the grace period and the routine-revoke policy say (on-demand `delete`). */
  force?: boolean;
  /** Which tokens other managed secrets hold as current; checked before revoking a token that can collide. */
  index: CurrentTokenIndex;
}

/** Whether a settle is due: not settled yet, and the grace period since the current version was written is over. */
export function isSettleDue(managed: ManagedSecret, graceSeconds: number, now: number): boolean {
  if (managed.current.stages.includes(SETTLED)) return false;
  const rotatedAt = managed.current.createdDate?.getTime() ?? Date.parse(managed.secret.issuedAt ?? '');
  return !(Number.isFinite(rotatedAt) && now - rotatedAt < graceSeconds * 1000);
}

export async function settle(managed: ManagedSecret, deps: Deps, options: SettleOptions): Promise<SettleReport> {
  const now = deps.clock.now();
  if (!options.force && !isSettleDue(managed, options.settings.revokeGraceSeconds, now)) return { state: 'not-due', fates: [] };
  const { store } = deps;
  const id = managed.secretId;
  const description = await store.describe(id);
  const currentId = versionWithStage(description.versions, AWSCURRENT);
  // A rotation or refresh finished since the read: the next sweep settles the newer version.
  if (currentId !== managed.current.versionId) return { state: 'not-due', fates: [] };

  const tokenFields = deps.providers.definition(managed.secret).tokenFields;
  const previousId = versionWithStage(description.versions, AWSPREVIOUS);
  const candidates = [...new Set([...(previousId && previousId !== currentId ? [previousId] : []), ...(managed.secret.retiredVersionIds ?? [])])];
  let provider: TokenProvider | undefined;
  let capabilities: ProviderCapabilities | undefined;
  const open = async () => {
    provider ??= await deps.providers.open(managed.secret, { arn: managed.arn, what: `token secret ${id}` });
    capabilities ??= await provider.capabilities();
    return { provider, capabilities };
  };

  const fates: SettleReport['fates'] = [];
  const seen = new Set<string>();
  let error: unknown;
  let previousRevoked = false;
  for (const versionId of candidates) {
    const value = await store.tryGet(id, { versionId });
    const held = heldToken(value?.secretString, tokenFields);
    let fate: TokenFate;
    if (!held) fate = 'no-token';
    else if (held.token === managed.secret.token) fate = 'same-as-current';
    else if (seen.has(held.token)) continue;
    else {
      seen.add(held.token);
      try {
        fate = await settleToken(held, managed.arn, await open(), options, now);
      } catch (e) {
        error ??= e;
        fate = 'failed';
      }
    }
    if (versionId === previousId && (fate === 'revoked' || fate === 'already-gone' || fate === 'expired' || fate === 'no-token' || fate === 'held-elsewhere')) {
      previousRevoked = true;
    }
    fates.push({ versionId, fate });
  }
  if (error !== undefined) return { state: 'unsettled', fates, error };

  // Dealt with: the label comes off a token that no longer works (one expiring on its own keeps it).
  if (previousRevoked && previousId) await removeLabel(deps, id, AWSPREVIOUS, previousId);
  const settledHolder = versionWithStage(description.versions, SETTLED);
  await store.moveStage(id, SETTLED, managed.current.versionId, settledHolder);
  return { state: 'settled', fates };
}

async function settleToken(
  held: HeldToken,
  secretArn: string,
  { provider, capabilities }: { provider: TokenProvider; capabilities: ProviderCapabilities },
  options: SettleOptions,
  now: number,
): Promise<TokenFate> {
  const expired = held.expiresAt instanceof Date && held.expiresAt.getTime() <= now;
  if (capabilities.revoke === 'none') return expired ? 'expired' : 'expiring';
  if (!options.force && capabilities.routineRevoke === 'long-lived-only' && held.expiresAt instanceof Date) {
    const remainingSeconds = (held.expiresAt.getTime() - now) / 1000;
    if (remainingSeconds <= options.settings.routineRevokeMinRemainingSeconds) return expired ? 'expired' : 'expiring';
  }
  if (capabilities.tokensMayCollide && (await options.index.heldElsewhere(held.token, secretArn))) return 'held-elsewhere';
  return provider.revoke(held);
}

/** Removes `stage` from `versionId`; a label already gone (a concurrent sweep got there first) is not a failure. */
async function removeLabel(deps: Deps, secretId: string, stage: string, versionId: string): Promise<void> {
  try {
    await deps.store.removeStage(secretId, stage, versionId);
  } catch (e) {
    if (!isServiceError(e, 'InvalidParameterException')) throw e;
    const stages = (await deps.store.describe(secretId)).versions[versionId] ?? [];
    if (stages.includes(stage)) throw e;
  }
}
