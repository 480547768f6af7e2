/**
 * The list step of the Distributed Map sweep (infra/sweep-engine.ts): writes the managed secrets
 * (the managed tag with tag discovery, else the stack's ids: functions/lib/runtime.ts fleetSource)
 * as JSON Lines (`{"secretId": "<arn>"}` per line) to `s3://<bucket>/<key>`, streamed, reads their
 * values (paced within the read budget a sweep alone has) and writes the holders index beside it
 * (`<key without .jsonl>.holders.jsonl`: fingerprints only, core/operations/holders-index.ts), and
 * returns `{bucket, key, count, plan, holders}`: the map reads the fleet list, batches
 * `plan.batchSize` ids, runs at most `plan.maxConcurrency` workers (the scheduled-refresh function)
 * and hands each its share of the budgets, `plan.perWorker` (core/operations/fleet-plan.ts
 * planMap, with the settings' budgets), and where the holders index is, `holders`.
 *
 * Event (from the state machine): `{"bucket": "...", "key": "fleet/<execution>.jsonl", "batchSize"?: n}`.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { toValidationError } from '../../core/errors.js';
import { listFleet, planFleetMap, readsWhile } from '../../core/operations/fleet-list.js';
import { DEFAULT_READ_SHARE, SECRETS_MANAGER_BATCH_GET_QUOTA, type MapPlan } from '../../core/operations/fleet-plan.js';
import { holdersKeyFor, registryMayCollide } from '../../core/operations/holders-index.js';
import { batchReadBudget } from '../../core/secrets/budget.js';
import { SecretStore } from '../../core/secrets/store.js';
import { createLogger, fleetSource, secretsManagerClient } from '../lib/runtime.js';
import { settingsMiddleware, type ContextWithSettings } from '../lib/settings.js';
import { uploadLines } from './s3-lines.js';

const logger = createLogger('fleet-list');

let s3: { client: S3Client; endpoint: string | undefined } | undefined;

/** One client per container, created lazily; follows AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (local runs). */
export function s3Client(): S3Client {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  if (!s3 || s3.endpoint !== endpoint) s3 = { client: new S3Client({ maxAttempts: Number(process.env.AWS_MAX_ATTEMPTS ?? 5) }), endpoint };
  return s3.client;
}

const eventSchema = z.looseObject({
  bucket: z.string().check(z.minLength(3)),
  key: z.string().check(z.minLength(1)),
  batchSize: z.optional(z.number().check(z.int(), z.minimum(1))),
});

export interface FleetListResult {
  bucket: string;
  key: string;
  /** Secrets listed: lines in the object. */
  count: number;
  plan: MapPlan;
  /**
   * The holders index beside the fleet list (the map hands `bucket` and `key` to every worker in
   * BatchInput): tokens indexed, and secrets whose value could not be read (more than 0: the
   * workers do not use the index and read the fleet as without it).
   */
  holders: { bucket: string; key: string; indexed: number; unread: number };
}

async function run(event: unknown, context: ContextWithSettings): Promise<FleetListResult> {
  const started = performance.now();
  const parsed = eventSchema.safeParse(event ?? {});
  if (!parsed.success) throw toValidationError('fleet-list event', parsed.error);
  const { bucket, key, batchSize } = parsed.data;
  const source = fleetSource();
  // The list step runs before any worker: a sweep's whole share of the read quota is its own.
  const store = new SecretStore(secretsManagerClient(), { batchReads: batchReadBudget(SECRETS_MANAGER_BATCH_GET_QUOTA * DEFAULT_READ_SHARE) });
  const holdersKey = holdersKeyFor(key);
  // Values are read while more than half the invocation's time is left; the rest goes to listing.
  const remaining = typeof context.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() : undefined;
  const halfTime = (remaining?.() ?? 0) / 2;
  const reader = remaining ? readsWhile(store, () => remaining() > halfTime) : store;
  logger.info('listing the fleet', { bucket, key, source: source.kind, ...(source.kind === 'ids' ? { secrets: source.ids.length } : {}) });

  // Two objects written as the fleet is read: the holders index completes inside the fleet list's
  // upload, so a failure of either leaves neither (the upload aborts) and the step fails.
  const listed = await uploadLines(s3Client(), { bucket, key }, (sink) =>
    uploadLines(s3Client(), { bucket, key: holdersKey }, (holdersSink) =>
      listFleet(source, reader, sink, {
        onProgress: (listed) => logger.debug('fleet listed so far', { listed }),
        onForeign: (arn) => logger.warn('a tagged secret outside this deployment is left out', { secretId: arn }),
        holders: { sink: holdersSink, mayCollide: registryMayCollide },
      }),
    ),
  );
  const { count } = listed;
  const holders = { bucket, key: holdersKey, indexed: listed.holders?.indexed ?? 0, unread: listed.holders?.unread ?? 0 };
  if (holders.unread > 0) logger.warn('secrets the list step could not read: the workers will read the fleet to learn who holds a token', { unread: holders.unread });

  const plan = planFleetMap({ count, batchSize, settings: context.settings, tagDiscovery: source.kind === 'tag' });
  const failedChecks = plan.checks.filter((c) => !c.ok);
  if (failedChecks.length > 0) logger.warn('the plan exceeds a quota, or a batch may not fit one invocation', { checks: failedChecks });
  logger.info('fleet listed', {
    bucket,
    key,
    count,
    holdersKey,
    indexed: holders.indexed,
    durationMs: Math.round(performance.now() - started),
    batchSize: plan.batchSize,
    batches: plan.batches,
    maxConcurrency: plan.maxConcurrency,
    perWorker: plan.perWorker,
    expectedSeconds: Math.round(plan.expectedSeconds),
  });
  return { bucket, key, count, plan, holders };
}

export const handler = middy(run).use(injectLambdaContext(logger)).use(settingsMiddleware());
