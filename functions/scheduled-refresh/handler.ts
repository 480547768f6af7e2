/**
 * EventBridge schedule: keeps every managed token from expiring (see core/operations/sweep.ts).
 * Event: any scheduled event (discovers secrets by tag) or `{"secretIds": [...]}`.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import * as z from 'zod/mini';
import { currentClock } from '../../core/clock.js';
import { sweep, type SweepSummary } from '../../core/operations/sweep.js';
import { MANAGED_TAG } from '../../core/settings.js';
import { toValidationError } from '../../core/token-secret.js';
import { createLogger, openProvider, secretStore } from '../lib/runtime.js';
import { settingsMiddleware, type ContextWithSettings } from '../lib/settings.js';


const logger = createLogger('scheduled-refresh');
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'TgTokenRotation' });

const eventSchema = z.looseObject({ secretIds: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))) });

export type ScheduledRefreshResult = Omit<SweepSummary, 'minSecondsToExpiry'>;

async function run(event: unknown, context: ContextWithSettings): Promise<ScheduledRefreshResult> {
  const parsed = eventSchema.safeParse(event ?? {});
  if (!parsed.success) throw toValidationError('scheduled-refresh event', parsed.error);
  const store = secretStore();
  const secretIds = parsed.data.secretIds ?? (await store.listTagged(MANAGED_TAG, 'true'));
  logger.info('sweep started', { secrets: secretIds.length, source: parsed.data.secretIds ? 'event' : 'tag', settings: context.settings });

  const { minSecondsToExpiry, ...summary } = await sweep(
    secretIds,
    { store, openProvider: openProvider(store), clock: currentClock() },
    {
      settings: context.settings,
      remainingTimeMs: typeof context.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() : undefined,
      onSecret: (report) => (report.outcome === 'failed' ? logger.error('secret failed', { ...report }) : logger.info('secret checked', { ...report })),
    },
  );

  metrics.addMetric('TokensRefreshed', MetricUnit.Count, summary.refreshed);
  metrics.addMetric('TokensRotated', MetricUnit.Count, summary.rotated);
  metrics.addMetric('TokensRevoked', MetricUnit.Count, summary.revoked);
  metrics.addMetric('Failures', MetricUnit.Count, summary.failed.length);
  if (minSecondsToExpiry !== null) metrics.addMetric('MinSecondsToExpiry', MetricUnit.Seconds, minSecondsToExpiry);
  logger.info('sweep finished', { ...summary, failed: summary.failed.length, minSecondsToExpiry });
  return summary;
}

export const handler = middy(run).use(injectLambdaContext(logger)).use(logMetrics(metrics)).use(settingsMiddleware());
