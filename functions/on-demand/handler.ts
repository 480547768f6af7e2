/**
 * Direct invoke for operators and pipelines: request (rotate now), refresh, delete, status
 * (core/operations/on-demand.ts). Thin: parse, call, log. No response ever carries a token value;
 * bad input fails with a ValidationError naming the field.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parseOnDemandEvent, performOnDemand, usesSettings, type OnDemandResult } from '../../core/operations/on-demand.js';
import { eventSink } from '../lib/events.js';
import { coreDeps, createLogger, errorFields, fleetSource } from '../lib/runtime.js';
import { settingsMiddleware, type ContextWithOptionalSettings } from '../lib/settings.js';

export { onDemandEventSchema, parseOnDemandEvent, type OnDemandEvent, type OnDemandResult } from '../../core/operations/on-demand.js';

const logger = createLogger('on-demand');

/** Longest wait for a rotation's outcome; less when the invocation has less time left. */
const MAX_ROTATION_WAIT_MS = 45_000;

async function run(event: unknown, context: ContextWithOptionalSettings): Promise<OnDemandResult> {
  const started = performance.now();
  const parsed = parseOnDemandEvent(event);
  const remaining = typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : MAX_ROTATION_WAIT_MS + 5_000;
  const fields = { action: parsed.action, ...(parsed.secretId ? { secretId: parsed.secretId } : {}) };
  try {
    const deps = coreDeps({ log: (message, logged) => logger.warn(message, logged), events: eventSink(logger, 'on-demand'), correlationId: context.awsRequestId });
    const result = await performOnDemand(parsed, deps, {
      ...(context.settings ? { settings: context.settings } : {}),
      fleet: fleetSource(),
      wait: { timeoutMs: Math.max(0, Math.min(MAX_ROTATION_WAIT_MS, remaining - 5_000)) },
    });
    logger.info('on-demand done', { ...fields, durationMs: Math.round(performance.now() - started) });
    return result;
  } catch (error) {
    logger.error('on-demand failed', { ...fields, ...errorFields(error) });
    throw error;
  }
}

// Never log the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: `delete` refuses a raw `token`,
// but an event that carries one has still arrived with it, and must not be copied into the logs.
/** The SSM read only for the actions that use the settings; a bad event is left for run() to refuse and log. */
function readsSettings(event: unknown): boolean {
  try {
    return usesSettings(parseOnDemandEvent(event));
  } catch {
    return false;
  }
}

export const handler = middy(run)
  .use(injectLambdaContext(logger, { logEvent: false }))
  .use(settingsMiddleware<ContextWithOptionalSettings>({ when: readsSettings }));
