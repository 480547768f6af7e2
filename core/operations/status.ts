/**
 * Status without a token value: of one secret (from its AWSCURRENT version, no provider call), and
 * of the whole fleet (counts by state and the soonest expiries, paged), for on-demand `status`.
 */
import type { Clock } from '../clock.js';
import type { Deps } from '../deps.js';
import { ROTATION_ERROR_TAG } from '../names.js';
import type { ProviderDefinition } from '../providers/provider.js';
import { settingsFor, type OperationalSettings } from '../settings.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, versionWithStage } from '../secrets/store.js';
import { secretJson } from '../secrets/token-secret.js';
import { scanFleet, type FleetEntry, type FleetSource } from './fleet.js';
import { isRefreshDue, managedFrom, secondsLeft, type ManagedSecret } from './managed-secret.js';
import { activePause } from './records.js';
import { isSettleDue } from './settle.js';

export interface TokenStatus {
  secretId: string;
  versionId: string;
  provider: string;
  /** The API version the provider spoke when the token was minted; null before the first rotation. */
  providerVersion: string | null;
  /** null when there is no token yet, or the token never expires (see `neverExpires`). */
  expiresAt: string | null;
  secondsLeft: number | null;
  issuedAt: string | null;
  neverExpires: boolean;
  /** Provider extras, e.g. TigerGraph's `tigergraphVersion`. */
  [extra: string]: unknown;
}

/** Metadata and expiry only: no provider call, no token value. */
export function statusOf(managed: ManagedSecret, definition: ProviderDefinition<unknown, unknown>, clock: Clock): TokenStatus {
  const { secret } = managed;
  const json = secretJson(managed.current.secretString) ?? {};
  const providerVersion = typeof json.providerVersion === 'string' ? json.providerVersion : null;
  return {
    secretId: managed.secretId,
    versionId: managed.current.versionId,
    provider: definition.name,
    providerVersion,
    expiresAt: typeof secret.expiresAt === 'string' ? secret.expiresAt : null,
    secondsLeft: secondsLeft(secret, clock) ?? null,
    issuedAt: secret.issuedAt ?? null,
    neverExpires: Boolean(secret.token) && secret.expiresAt === null,
    ...definition.statusFields?.(json, providerVersion ?? undefined),
  };
}

export type FleetState = 'healthy' | 'due' | 'expired' | 'rotationPending' | 'revokeOutstanding' | 'failing' | 'paused';

export interface FleetStatus {
  /** Secrets looked at on this page (or in total when there is no `nextToken`). */
  secrets: number;
  counts: Record<FleetState, number>;
  /** Soonest expiries first, at most `limit`. */
  soonest: Array<{ secretId: string; provider: string; expiresAt: string | null; secondsLeft: number | null; states: FleetState[] }>;
  /** Secrets that could not be read or parsed (id and reason, never a value). */
  unreadable: Array<{ secretId: string; error: string }>;
  /** Pass back as `nextToken` for the next page of secrets; absent on the last page. */
  nextToken?: string;
}

/**
 * The fleet's state: each secret is counted under every state that applies (a failing rotation
 * can also be due). Pages of `pageSize` secrets (the fleet is streamed, never held), continued
 * with `nextToken` (an offset into the fleet's order).
 */
export async function fleetStatus(
  source: FleetSource,
  deps: Deps,
  options: { settings: OperationalSettings; limit?: number; pageSize?: number; nextToken?: string },
): Promise<FleetStatus> {
  const limit = options.limit ?? 20;
  const pageSize = options.pageSize ?? 1_000;
  const skip = options.nextToken ? Number(options.nextToken) : 0;
  const counts: Record<FleetState, number> = { healthy: 0, due: 0, expired: 0, rotationPending: 0, revokeOutstanding: 0, failing: 0, paused: 0 };
  const soonest: FleetStatus['soonest'] = [];
  const unreadable: FleetStatus['unreadable'] = [];
  const now = deps.clock.now();
  let seen = 0;
  let looked = 0;
  let more = false;
  outer: for await (const page of scanFleet(source, deps.store)) {
    for (const entry of page) {
      if (seen++ < skip) continue;
      if (looked >= pageSize) {
        more = true;
        break outer;
      }
      looked++;
      if (!entry.value) {
        unreadable.push({ secretId: entry.secretId, error: entry.error?.errorCode ?? 'unreadable' });
        continue;
      }
      let managed: ManagedSecret;
      try {
        managed = managedFrom(entry.value.arn, entry.value);
      } catch (e) {
        unreadable.push({ secretId: entry.secretId, error: e instanceof Error ? e.message : String(e) });
        continue;
      }
      const left = secondsLeft(managed.secret, deps.clock);
      const states = await statesOf(managed, left, entry.listed, deps, settingsFor(managed.secret, options.settings), now);
      for (const s of states) counts[s]++;
      insertSoonest(soonest, limit, {
        secretId: managed.secretId,
        provider: managed.secret.provider,
        expiresAt: typeof managed.secret.expiresAt === 'string' ? managed.secret.expiresAt : null,
        secondsLeft: left ?? null,
        states,
      });
    }
  }
  return { secrets: looked, counts, soonest, unreadable, ...(more ? { nextToken: String(skip + looked) } : {}) };
}

/** Every state that applies to one secret (a failing rotation can also be due). */
async function statesOf(
  managed: ManagedSecret,
  left: ReturnType<typeof secondsLeft>,
  listed: FleetEntry['listed'],
  deps: Deps,
  settings: OperationalSettings,
  now: number,
): Promise<FleetState[]> {
  const states: FleetState[] = [];
  if (typeof left === 'number' && left <= 0) states.push('expired');
  else if (isRefreshDue(managed, settings, deps.clock)) states.push('due');
  const versions = listed?.versions;
  const pending = versions ? versionWithStage(versions, AWSPENDING) : undefined;
  if (pending && pending !== versionWithStage(versions ?? {}, AWSCURRENT)) states.push('rotationPending');
  const hasPrevious = versions ? versionWithStage(versions, AWSPREVIOUS) !== undefined : true;
  if ((hasPrevious || (managed.secret.retiredVersionIds ?? []).length > 0) && isSettleDue(managed, settings.revokeGraceSeconds, now)) {
    states.push('revokeOutstanding');
  }
  // The failure record (a rotation step's, or the sweep's failed refresh: issue 22); listed
  // secrets carry their tags, the stack's ids are described (the batched read has none).
  const tags = listed?.tags ?? (await deps.store.describe(managed.arn).catch(() => undefined))?.tags ?? {};
  if (tags[ROTATION_ERROR_TAG] !== undefined) states.push('failing');
  if (activePause(tags, now)) states.push('paused');
  if (states.length === 0) states.push('healthy');
  return states;
}

/** Keeps the `limit` soonest expiries, soonest first; unknown expiries sort first (they need attention), never-expiring last. */
function insertSoonest(list: FleetStatus['soonest'], limit: number, item: FleetStatus['soonest'][number]): void {
  const key = (x: FleetStatus['soonest'][number]) => (x.secondsLeft === null ? (x.expiresAt === null && !x.states.includes('due') ? Infinity : -Infinity) : x.secondsLeft);
  const at = list.findIndex((x) => key(item) < key(x));
  if (at === -1) list.push(item);
  else list.splice(at, 0, item);
  if (list.length > limit) list.pop();
}
