/**
 * EventBridge schedule: keeps every managed token from expiring (core/operations/sweep.ts).
 * Event: any scheduled event (the fleet from the environment: the stack's ids, or the managed tag),
 * `{"secretIds": [...]}`, or a batch of a Step Functions Distributed Map
 * (`{"Items": [{"secretId": ...}], "BatchInput": {"writesPerSecond", "rotationsPerSecond", "batchGetPerSecond", "tagsPerSecond", "holders": {"bucket", "key"}}}`: the
 * same sweep on a batch of ids, with this worker's share of the budgets, asking the list step's
 * holders index, not the whole fleet, who else holds a token it revokes). Thin: parse, sweep
 * under the write budgets, log, publish the summary metrics.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import * as z from 'zod/mini';
import { toValidationError } from '../../core/errors.js';
import { METRICS_NAMESPACE } from '../../core/names.js';
import { DEFAULT_READ_SHARE, SECRETS_MANAGER_BATCH_GET_QUOTA, sweepTagsPerSecond } from '../../core/operations/fleet-plan.js';
import type { CredentialAge } from '../../core/operations/credential-age.js';
import type { CurrentTokenIndex } from '../../core/operations/holders.js';
import { sweep, type SweepSummary } from '../../core/operations/sweep.js';
import { sweepBudgets } from '../../core/secrets/budget.js';
import { eventSink } from '../lib/events.js';
import { coreDeps, createLogger, fleetSource } from '../lib/runtime.js';
import { settingsMiddleware, type ContextWithSettings } from '../lib/settings.js';
import { loadHoldersIndex, s3ObjectReader, type ObjectLocation } from './holders-object.js';

const logger = createLogger('scheduled-refresh');
/** How long a sweep keeps looking at the rotations it started, for their outcome (most take a few seconds). */
const ROTATION_OUTCOME_WAIT_MS = 20_000;
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE });

const secretIdList = () => z.array(z.string().check(z.minLength(1))).check(z.minLength(1));
const positive = () => z.number().check(z.positive());
const eventSchema = z.looseObject({
  secretIds: z.optional(secretIdList()),
  // A Distributed Map batch: one item per line of the fleet list.
  Items: z.optional(z.array(z.looseObject({ secretId: z.string().check(z.minLength(1)) })).check(z.minLength(1))),
  BatchInput: z.optional(
    z.looseObject({
      writesPerSecond: z.optional(positive()),
      rotationsPerSecond: z.optional(positive()),
      batchGetPerSecond: z.optional(positive()),
      tagsPerSecond: z.optional(positive()),
      // The list step's holders index (core/operations/holders-index.ts).
      holders: z.optional(z.looseObject({ bucket: z.string().check(z.minLength(3)), key: z.string().check(z.minLength(1)) })),
    }),
  ),
});

export type ScheduledRefreshResult = Omit<SweepSummary, 'minSecondsToExpiry' | 'credentialAges'>;

async function run(event: unknown, context: ContextWithSettings): Promise<ScheduledRefreshResult> {
  const started = performance.now();
  const parsed = eventSchema.safeParse(event ?? {});
  if (!parsed.success) throw toValidationError('scheduled-refresh event', parsed.error);
  const { settings } = context;
  // A map worker gets its share of the account-wide budgets; a single sweep the whole of them.
  const share = parsed.data.BatchInput;
  const budgets = sweepBudgets({
    writesPerSecond: share?.writesPerSecond ?? settings.writesPerSecond,
    rotationsPerSecond: share?.rotationsPerSecond ?? settings.rotationsPerSecond,
    // Reads: a map worker its share of BatchGetSecretValue's quota; one sweep alone the default share of it.
    batchGetPerSecond: share?.batchGetPerSecond ?? SECRETS_MANAGER_BATCH_GET_QUOTA * DEFAULT_READ_SHARE,
    // Tags (the outcome and failure records) have a quota of their own: a worker its share, as planned.
    tagsPerSecond: share ? (share.tagsPerSecond ?? share.writesPerSecond ?? settings.writesPerSecond) : sweepTagsPerSecond(settings.writesPerSecond),
  });
  const ids = parsed.data.secretIds ?? parsed.data.Items?.map((item) => item.secretId);
  const source = ids ? { kind: 'ids' as const, ids } : fleetSource();
  logger.info('sweep started', { source: source.kind, ...(source.kind === 'ids' ? { secrets: source.ids.length } : {}), settings });

  const deps = coreDeps({ budgets, log: (message, fields) => logger.warn(message, fields), events: eventSink(logger, 'scheduled-refresh'), correlationId: context.awsRequestId });
  const { minSecondsToExpiry, credentialAges, ...summary } = await sweep(source, deps, {
    settings,
    remainingTimeMs: typeof context.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() : undefined,
    onSecret: (report) => (report.outcome === 'failed' ? logger.error('secret failed', { ...report }) : logger.info('secret done', { ...report })),
    onProgress: (checked) => logger.debug('sweep progress', { checked }),
    // Before returning, look at the rotations it started: one that failed at once is reported failed.
    rotationOutcomeWaitMs: ROTATION_OUTCOME_WAIT_MS,
    // One DescribeSecret per credential secret per run: its age, for the credential-age alarm.
    credentialAges: true,
    // A subset of the fleet: a token it would revoke may be the current one of a secret outside it.
    ...(ids ? { fleet: fleetSource() } : {}),
    ...(ids && share?.holders ? { loadFleetIndex: holdersLoader(share.holders) } : {}),
  });

  metrics.addMetric('TokensRefreshed', MetricUnit.Count, summary.refreshed);
  metrics.addMetric('TokensRotated', MetricUnit.Count, summary.rotated);
  metrics.addMetric('RotationsStarted', MetricUnit.Count, summary.rotationsStarted);
  metrics.addMetric('RotationsPending', MetricUnit.Count, summary.rotationsPending);
  metrics.addMetric('TokensRevoked', MetricUnit.Count, summary.revoked);
  metrics.addMetric('TokensExpiring', MetricUnit.Count, summary.expiring);
  metrics.addMetric('RevokeFailures', MetricUnit.Count, summary.revokeFailures);
  metrics.addMetric('Failures', MetricUnit.Count, summary.failed.length);
  metrics.addMetric('SecretsChecked', MetricUnit.Count, summary.checked);
  metrics.addMetric('SecretsSkipped', MetricUnit.Count, summary.skipped);
  metrics.addMetric('SecretsDeferred', MetricUnit.Count, summary.deferred);
  metrics.addMetric('Throttles', MetricUnit.Count, budgets.writes.throttles + budgets.rotations.throttles + budgets.batchReads.throttles + budgets.tags.throttles);
  metrics.addMetric('SweepDuration', MetricUnit.Milliseconds, Math.round(performance.now() - started));
  if (minSecondsToExpiry !== null) metrics.addMetric('MinSecondsToExpiry', MetricUnit.Seconds, minSecondsToExpiry);
  publishCredentialAges(credentialAges ?? []);
  logger.info('sweep finished', { ...summary, failed: summary.failed.length, minSecondsToExpiry });
  return summary;
}

/** Loads the list step's holders index once, when a check first needs it. */
function holdersLoader(location: ObjectLocation): () => Promise<CurrentTokenIndex> {
  const read = s3ObjectReader();
  return () => loadHoldersIndex(read, location);
}

/**
 * Issue 22: the age of each credential secret, in days since it last changed: one metric per
 * credential (dimension `credential`, its ARN) for the dashboard, and the oldest in the run's
 * metrics for the credential-age alarm (infra/observability.ts).
 */
function publishCredentialAges(ages: readonly CredentialAge[]): void {
  let oldest: number | undefined;
  for (const age of ages) {
    if (age.ageDays === null) continue;
    oldest = Math.max(oldest ?? 0, age.ageDays);
    const single = metrics.singleMetric();
    single.addDimension('credential', age.credentialSecretId);
    single.addMetric('CredentialAgeDays', MetricUnit.Count, age.ageDays);
  }
  if (oldest !== undefined) metrics.addMetric('OldestCredentialAgeDays', MetricUnit.Count, oldest);
  if (ages.length > 0) logger.info('credential ages', { credentials: ages.map((a) => ({ credentialSecretId: a.credentialSecretId, ageDays: a.ageDays })) });
}

export const handler = middy(run).use(injectLambdaContext(logger)).use(logMetrics(metrics)).use(settingsMiddleware());
