/**
 * The list step of the Step Functions Distributed Map sweep (infra/sweep-engine.ts): the managed
 * secrets, one JSON line each (`{"secretId": "<arn>"}`, what the map's JSONL ItemReader hands its
 * ItemBatcher), streamed to a line sink page by page, and the map's plan for that many secrets.
 *
 * No S3 here: functions/fleet-list/ puts the sink on an S3 upload, tests on an array. The sink's
 * `write` may return a promise: the next line waits for it, so a slow sink slows the listing
 * instead of buffering the fleet (memory stays flat however many secrets there are).
 *
 * With `holders`, the list step also reads each secret's current value (BatchGetSecretValue, 20 a
 * call, paced by the store's read budget: the sweep's own reads, fleet.ts scanFleet) and writes
 * the holders index (holders-index.ts: fingerprints of the tokens that may collide, never a token)
 * to a second sink, so no map worker reads the whole fleet to learn who holds a token it would
 * revoke. Without it, only ids are listed; the workers read the values, in their batches
 * (core/operations/sweep.ts).
 */
import { MANAGED_TAG } from '../names.js';
import type { OperationalSettings } from '../settings.js';
import { isForeign, isUnread, ownsSecret, scanFleet, type FleetReader, type FleetSource } from './fleet.js';
import { holdersLine, holdersTrailer, indexedToken, type MayCollide } from './holders-index.js';
import { planMap, type MapPlan } from './fleet-plan.js';

/** Ids per map batch (worker invocation) unless configured: planMap's default. */
export const DEFAULT_MAP_BATCH_SIZE = 1_000;

/**
 * What the list step assumes about a sweep when it plans, for the time estimates only (the map's
 * concurrency and each worker's budget shares do not depend on it): a fleet coming due within a
 * day (1/24 refreshed per hourly sweep) while a weekly rotation and its settle go on (1/168 each).
 */
export const LIST_PLAN_ASSUMPTION = { refreshFraction: 1 / 24, rotateFraction: 1 / 168, settleFraction: 1 / 168 } as const;

/** Where the lines go. A returned promise is waited for before the next line (back-pressure). */
export interface LineSink {
  write(line: string): void | Promise<void>;
}

/** The one item of the map per secret: what the worker reads from `Items[]`. */
export interface FleetItem {
  secretId: string;
}

/** A line of the fleet list, newline included. */
export function fleetLine(secretId: string): string {
  return `${JSON.stringify({ secretId } satisfies FleetItem)}\n`;
}

export interface ListFleetOptions {
  /** Called after each page with the secrets listed so far. */
  onProgress?: (count: number) => void;
  /** Called with each tagged secret left out because the deployment does not own it (fleet.ts ownsSecret). */
  onForeign?: (arn: string) => void;
  /** Also read the values and write the holders index to `sink`. */
  holders?: { sink: LineSink; mayCollide: MayCollide };
}

/** What the list step wrote. */
export interface ListedFleet {
  /** Lines of the fleet list: secrets listed. */
  count: number;
  /** With `holders`: tokens indexed, and secrets whose value could not be read (then the index is not used). */
  holders?: { indexed: number; unread: number };
}

/**
 * Writes one line per managed secret to `sink` and resolves how many it wrote. Ids are written as
 * given, once each; listed secrets (tag discovery) by ARN, in ListSecrets' order, page by page
 * (never the whole fleet in memory, so not de-duplicated across pages: ListSecrets pages do not
 * repeat a secret).
 */
export async function listFleet(
  source: FleetSource,
  store: FleetReader,
  sink: LineSink,
  options: ListFleetOptions = {},
): Promise<ListedFleet> {
  if (options.holders) return listWithHolders(source, store, sink, options, options.holders);
  let count = 0;
  if (source.kind === 'ids') {
    for (const id of new Set(source.ids)) {
      await sink.write(fleetLine(id));
      count++;
    }
    options.onProgress?.(count);
    return { count };
  }
  for await (const page of store.listTagged(MANAGED_TAG, 'true')) {
    for (const secret of page) {
      if (!ownsSecret(source, secret.arn)) {
        options.onForeign?.(secret.arn);
        continue;
      }
      await sink.write(fleetLine(secret.arn));
      count++;
    }
    options.onProgress?.(count);
  }
  return { count };
}

/**
 * The fleet list and the holders index, from one pass of the sweep's reading (scanFleet): the same
 * ids in the same order as listFleet without `holders`, a page (20 values) in memory at a time. A
 * secret that is gone (deleted, or no current value) holds no token; any other read error counts
 * as unread.
 */
async function listWithHolders(source: FleetSource, store: FleetReader, sink: LineSink, options: ListFleetOptions, holders: NonNullable<ListFleetOptions['holders']>): Promise<ListedFleet> {
  let count = 0;
  let indexed = 0;
  let unread = 0;
  for await (const page of scanFleet(source, store)) {
    for (const entry of page) {
      if (isForeign(entry)) {
        options.onForeign?.(entry.secretId);
        continue;
      }
      await sink.write(fleetLine(entry.secretId));
      count++;
      if (!entry.value) {
        if (isUnread(entry)) unread++;
        continue;
      }
      const token = indexedToken(entry.value.secretString, holders.mayCollide);
      if (token === undefined) continue;
      await holders.sink.write(holdersLine(token, entry.value.arn));
      indexed++;
    }
    options.onProgress?.(count);
  }
  await holders.sink.write(holdersTrailer({ secrets: count, unread }));
  return { count, holders: { indexed, unread } };
}

/** The error code of a secret `readsWhile` did not read. */
export const NOT_READ = 'NotRead';

/**
 * `store`, whose batch reads stop once `keepReading` says no: the ids of every later read come back
 * as errors (NOT_READ), so listWithHolders counts them unread and the workers do not use the index.
 * The list step stops reading when half its time is gone, so that the listing, which the sweep
 * needs, finishes however slow the reads were (a large fleet: 50,000 BatchGetSecretValue calls for
 * a million secrets take at least 625 s at 80/s).
 */
export function readsWhile(store: FleetReader, keepReading: () => boolean): FleetReader {
  return {
    listTagged: (key, value) => store.listTagged(key, value),
    batchGet: (ids) =>
      keepReading()
        ? store.batchGet(ids)
        : Promise.resolve({ values: [], errors: ids.map((secretId) => ({ secretId, errorCode: NOT_READ, message: 'not read: the list step keeps its time for the listing' })) }),
  };
}

export interface FleetMapPlanInput {
  /** Secrets listed. */
  count: number;
  /** Ids per batch. @default DEFAULT_MAP_BATCH_SIZE */
  batchSize?: number;
  /** The budgets of the whole sweep, from the settings (split between the workers). */
  settings: Pick<OperationalSettings, 'writesPerSecond' | 'rotationsPerSecond'>;
  tagDiscovery: boolean;
}

/**
 * The map's plan for `count` secrets (core/operations/fleet-plan.ts planMap): batch size, number
 * of batches, MaxConcurrency (enough workers to use the write budget, at most one per batch) and
 * each worker's share of the budgets. `maxConcurrency * perWorker.writesPerSecond` is the whole
 * write budget, so the map as a whole never exceeds it.
 */
export function planFleetMap(input: FleetMapPlanInput): MapPlan {
  return planMap({
    secrets: input.count,
    ...LIST_PLAN_ASSUMPTION,
    writesPerSecond: input.settings.writesPerSecond,
    rotationsPerSecond: input.settings.rotationsPerSecond,
    tagDiscovery: input.tagDiscovery,
    batchSize: input.batchSize ?? DEFAULT_MAP_BATCH_SIZE,
  });
}
