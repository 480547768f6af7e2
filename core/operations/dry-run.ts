/**
 * On-demand `plan`: what the next sweep would do, without doing any of it. It reads as the sweep
 * reads (the batched values, the tags, the replaced versions) and decides as the sweep decides
 * (refresh point, settle due, pause and window: routine.ts), per secret with the reason, then
 * counts the Secrets Manager calls and the time the sweep would need at the configured budgets
 * (fleet-plan.ts). It writes nothing, opens no provider and calls no token API: whether a token
 * would be refreshed or rotated, revoked or left to expire, comes from the provider's plan hints
 * (ProviderDefinition.planHints) and the recorded fields, or is reported as undecided.
 */
import type { Deps } from '../deps.js';
import { settingsFor, type OperationalSettings } from '../settings.js';
import { AWSCURRENT, AWSPREVIOUS, versionWithStage } from '../secrets/store.js';
import { heldToken, secretJson } from '../secrets/token-secret.js';
import { assertOwned, scanFleet, type FleetEntry, type FleetSource } from './fleet.js';
import { planSweep, type FleetPlan } from './fleet-plan.js';
import { isRefreshDue, managedFrom, secondsLeft, type ManagedSecret } from './managed-secret.js';
import { routineDecision, type HeldBack } from './routine.js';
import { isSettleDue } from './settle.js';

export type PlannedRenewal = 'refresh' | 'rotate' | 'refresh-or-rotate' | 'none';
export type PlannedFate = 'revoke' | 'leave-to-expire' | 'nothing';

export interface PlannedSecret {
  secretId: string;
  provider: string;
  /** What the next sweep would do with the current token ('refresh-or-rotate': only the server can tell). */
  renew: PlannedRenewal;
  /** Each replaced token the next sweep would settle, and how. */
  replaced: Array<{ versionId: string; action: PlannedFate; why: string }>;
  /** Due work a pause or the rotation window holds back. */
  heldBack?: HeldBack;
  reason: string;
  secondsLeft: number | null;
  /** The rotation window open now, or the next one. */
  window?: { open: boolean; opensAt: string; closesAt: string };
}

export interface PlanResult {
  /** Secrets read. */
  checked: number;
  counts: { refresh: number; rotate: number; refreshOrRotate: number; revoke: number; leaveToExpire: number; paused: number; outsideWindow: number };
  /** The secrets the next sweep would act on or hold back (with `secretId`: that secret, whatever it is). */
  secrets: PlannedSecret[];
  unreadable: Array<{ secretId: string; error: string }>;
  /** Secrets Manager calls the sweep would make, and the seconds it would take at the budgets (fleet-plan.ts). */
  calls: FleetPlan['calls'];
  expectedSeconds: number;
  boundBy: FleetPlan['boundBy'];
}

type PlanOptions = { settings: OperationalSettings; fleet: FleetSource; everySecret?: boolean };

/** One secret's plan, and what the counts need beyond it. */
interface SecretPlan {
  planned: PlannedSecret;
  settles: boolean;
  /** Held back by a pause or the window with a reason to count (not only a routine wait). */
  counted?: HeldBack;
}

export async function planNextSweep(source: FleetSource, deps: Deps, options: PlanOptions): Promise<PlanResult> {
  const counts: PlanResult['counts'] = { refresh: 0, rotate: 0, refreshOrRotate: 0, revoke: 0, leaveToExpire: 0, paused: 0, outsideWindow: 0 };
  const secrets: PlannedSecret[] = [];
  const unreadable: PlanResult['unreadable'] = [];
  const credentials = new Set<string>();
  // One instant for the whole plan, as the sweep decides with one.
  const now = deps.clock.now();
  let checked = 0;
  let settles = 0;
  for await (const page of scanFleet(source, deps.store)) {
    for (const entry of page) {
      checked++;
      let managed: ManagedSecret;
      try {
        if (!entry.value) throw new Error(entry.error?.errorCode ?? 'unreadable');
        assertOwned(options.fleet, entry.value.arn);
        managed = managedFrom(entry.value.arn, entry.value);
      } catch (e) {
        unreadable.push({ secretId: entry.secretId, error: e instanceof Error ? e.message : String(e) });
        continue;
      }
      credentials.add(managed.secret.credentialSecretId);
      const plan = await planSecret(managed, entry.listed, deps, options, now);
      if (!plan) continue;
      tally(counts, plan);
      if (plan.settles) settles++;
      secrets.push(plan.planned);
    }
  }
  const n = Math.max(1, checked);
  const plan = planSweep({
    secrets: checked,
    refreshFraction: counts.refresh / n,
    // Undecided renewals are counted as rotations, the costlier of the two.
    rotateFraction: (counts.rotate + counts.refreshOrRotate) / n,
    settleFraction: settles / n,
    writesPerSecond: options.settings.writesPerSecond,
    rotationsPerSecond: options.settings.rotationsPerSecond,
    tagDiscovery: source.kind === 'tag',
    credentialSecrets: credentials.size,
  });
  return { checked, counts, secrets, unreadable, calls: plan.calls, expectedSeconds: Math.round(plan.expectedSeconds * 10) / 10, boundBy: plan.boundBy };
}

/** What the next sweep would do with one secret; undefined when nothing is due (unless every secret is asked for). */
async function planSecret(managed: ManagedSecret, listed: FleetEntry['listed'], deps: Deps, options: PlanOptions, now: number): Promise<SecretPlan | undefined> {
  const settings = settingsFor(managed.secret, options.settings);
  const refreshDue = isRefreshDue(managed, settings, deps.clock);
  const settleDue = isSettleDue(managed, settings.revokeGraceSeconds, now);
  if (!refreshDue && !settleDue && !options.everySecret) return undefined;
  const described = listed ?? (await deps.store.describe(managed.arn));
  const decision = routineDecision({ secret: managed.secret, tags: described.tags, refreshDue, settleDue, settings, now });
  const hints = deps.providers.definition(managed.secret).planHints?.(secretJson(managed.current.secretString) ?? {});
  const left = secondsLeft(managed.secret, deps.clock);
  const renew: PlannedRenewal = !decision.renew ? 'none' : typeof left !== 'number' || left <= 0 ? 'rotate' : (hints?.renew ?? 'refresh-or-rotate');
  const replaced = decision.settle ? await replacedTokens(managed, described.versions, deps, hints?.revoke, settings.routineRevokeMinRemainingSeconds, now) : [];
  const heldBack = decision.heldBack && (decision.reason !== undefined || decision.override !== undefined) ? decision.heldBack : undefined;
  const counted = heldBack && decision.reason ? heldBack : undefined;
  const planned: PlannedSecret = {
    secretId: managed.secretId,
    provider: managed.secret.provider,
    renew,
    replaced,
    ...(heldBack ? { heldBack } : {}),
    reason: reasonFor(refreshDue, settleDue, decision),
    secondsLeft: left ?? null,
    ...(decision.window ? { window: { open: decision.window.open, opensAt: decision.window.opensAt.toISOString(), closesAt: decision.window.closesAt.toISOString() } } : {}),
  };
  return { planned, settles: decision.settle, ...(counted ? { counted } : {}) };
}

function tally(counts: PlanResult['counts'], plan: SecretPlan): void {
  const { renew, replaced } = plan.planned;
  if (renew === 'refresh') counts.refresh++;
  if (renew === 'rotate') counts.rotate++;
  if (renew === 'refresh-or-rotate') counts.refreshOrRotate++;
  for (const r of replaced) {
    if (r.action === 'revoke') counts.revoke++;
    if (r.action === 'leave-to-expire') counts.leaveToExpire++;
  }
  if (plan.counted === 'paused') counts.paused++;
  if (plan.counted === 'outside-window') counts.outsideWindow++;
}

function reasonFor(refreshDue: boolean, settleDue: boolean, decision: ReturnType<typeof routineDecision>): string {
  if (decision.override) return decision.override;
  if (decision.reason) return decision.reason;
  const parts = [refreshDue ? 'the token is past its refresh point' : undefined, settleDue ? 'the grace period after its last rotation is over' : undefined].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : 'nothing is due';
}

/** The replaced tokens a settle would look at (AWSPREVIOUS, retiredVersionIds), read but never touched. */
async function replacedTokens(
  managed: ManagedSecret,
  versions: Record<string, string[]>,
  deps: Deps,
  revoke: 'revoke' | 'none' | 'long-lived-only' | undefined,
  minRemainingSeconds: number,
  now: number,
): Promise<PlannedSecret['replaced']> {
  const currentId = versionWithStage(versions, AWSCURRENT) ?? managed.current.versionId;
  const previousId = versionWithStage(versions, AWSPREVIOUS);
  const candidates = [...new Set([...(previousId && previousId !== currentId ? [previousId] : []), ...(managed.secret.retiredVersionIds ?? [])])];
  const tokenFields = deps.providers.definition(managed.secret).tokenFields;
  const out: PlannedSecret['replaced'] = [];
  for (const versionId of candidates) {
    const held = heldToken((await deps.store.tryGet(managed.arn, { versionId }))?.secretString, tokenFields);
    if (!held) out.push({ versionId, action: 'nothing', why: 'the version holds no token' });
    else if (held.token === managed.secret.token) out.push({ versionId, action: 'nothing', why: 'the same token as AWSCURRENT (refreshed in place)' });
    else if (held.expiresAt instanceof Date && held.expiresAt.getTime() <= now) out.push({ versionId, action: 'nothing', why: `expired at ${held.expiresAt.toISOString()}` });
    else if (revoke === 'none') out.push({ versionId, action: 'leave-to-expire', why: `${managed.secret.provider} cannot revoke tokens` });
    else if (revoke === 'long-lived-only' && held.expiresAt instanceof Date && (held.expiresAt.getTime() - now) / 1000 <= minRemainingSeconds) {
      out.push({ versionId, action: 'leave-to-expire', why: `expires within routineRevokeMinRemainingSeconds (${minRemainingSeconds} s): not worth a block-list entry` });
    } else out.push({ versionId, action: 'revoke', why: revoke === undefined ? 'revoked where the server allows it (its version is not recorded yet)' : 'revoked at its server' });
  }
  return out;
}
