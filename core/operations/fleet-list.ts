/**
 * The list step of the Step Functions Distributed Map sweep (infra/sweep-engine.ts): the managed
 * secrets, one JSON line each (`{"secretId": "<arn>"}`, what the map's JSONL ItemReader hands its
 * ItemBatcher), streamed to a line sink page by page, and the map's plan for that many secrets.
 *
 * No S3 here: functions/fleet-list/ puts the sink on an S3 upload, tests on an array. The sink's
 * `write` may return a promise: the next line waits for it, so a slow sink slows the listing
 * instead of buffering the fleet (memory stays flat however many secrets there are). Only ids are
 * listed: values are read by the workers, in their batches (core/operations/sweep.ts).
 */
import { MANAGED_TAG } from '../names.js';
import type { OperationalSettings } from '../settings.js';
import type { SecretStore } from '../secrets/store.js';
import { ownsSecret, type FleetSource } from './fleet.js';
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
}

/**
 * Writes one line per managed secret to `sink` and resolves how many it wrote. Ids are written as
 * given, once each; listed secrets (tag discovery) by ARN, in ListSecrets' order, page by page
 * (never the whole fleet in memory, so not de-duplicated across pages: ListSecrets pages do not
 * repeat a secret).
 */
export async function listFleet(
  source: FleetSource,
  store: Pick<SecretStore, 'listTagged'>,
  sink: LineSink,
  options: ListFleetOptions = {},
): Promise<{ count: number }> {
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
