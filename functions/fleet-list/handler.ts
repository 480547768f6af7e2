/**
 * The list step of the Distributed Map sweep (infra/sweep-engine.ts): writes the managed secrets
 * (the managed tag with tag discovery, else the stack's ids: functions/lib/runtime.ts fleetSource)
 * as JSON Lines (`{"secretId": "<arn>"}` per line) to `s3://<bucket>/<key>`, streamed, and returns
 * `{bucket, key, count, plan}`: the map reads the object, batches `plan.batchSize` ids, runs at most
 * `plan.maxConcurrency` workers (the scheduled-refresh function) and hands each its share of the
 * budgets, `plan.perWorker` (core/operations/fleet-plan.ts planMap, with the settings' budgets).
 *
 * Event (from the state machine): `{"bucket": "...", "key": "fleet/<execution>.jsonl", "batchSize"?: n}`.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { toValidationError } from '../../core/errors.js';
import { listFleet, planFleetMap } from '../../core/operations/fleet-list.js';
import type { MapPlan } from '../../core/operations/fleet-plan.js';
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
}

async function run(event: unknown, context: ContextWithSettings): Promise<FleetListResult> {
  const started = performance.now();
  const parsed = eventSchema.safeParse(event ?? {});
  if (!parsed.success) throw toValidationError('fleet-list event', parsed.error);
  const { bucket, key, batchSize } = parsed.data;
  const source = fleetSource();
  const store = new SecretStore(secretsManagerClient());
  logger.info('listing the fleet', { bucket, key, source: source.kind, ...(source.kind === 'ids' ? { secrets: source.ids.length } : {}) });

  const { count } = await uploadLines(s3Client(), { bucket, key }, (sink) =>
    listFleet(source, store, sink, {
      onProgress: (listed) => logger.debug('fleet listed so far', { listed }),
      onForeign: (arn) => logger.warn('a tagged secret outside this deployment is left out', { secretId: arn }),
    }),
  );

  const plan = planFleetMap({ count, batchSize, settings: context.settings, tagDiscovery: source.kind === 'tag' });
  const failedChecks = plan.checks.filter((c) => !c.ok);
  if (failedChecks.length > 0) logger.warn('the plan exceeds a quota, or a batch may not fit one invocation', { checks: failedChecks });
  logger.info('fleet listed', {
    bucket,
    key,
    count,
    durationMs: Math.round(performance.now() - started),
    batchSize: plan.batchSize,
    batches: plan.batches,
    maxConcurrency: plan.maxConcurrency,
    perWorker: plan.perWorker,
    expectedSeconds: Math.round(plan.expectedSeconds),
  });
  return { bucket, key, count, plan };
}

export const handler = middy(run).use(injectLambdaContext(logger)).use(settingsMiddleware());
