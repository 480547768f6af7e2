/**
 * Secrets Manager rotation hook. Thin: validate the event, run one step of the provider-agnostic
 * rotation (core/rotation/steps.ts), log one structured line. A failing step throws, leaving
 * AWSCURRENT untouched; Secrets Manager retries it.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { CredentialNotSetError, toValidationError } from '../../core/errors.js';
import { METRICS_NAMESPACE } from '../../core/names.js';
import { PendingTokenRefusedError } from '../../core/rotation/pending-attempts.js';
import { ROTATION_STEPS, runRotationStep, type RotationRequest, type StepResult } from '../../core/rotation/steps.js';
import { eventSink } from '../lib/events.js';
import { coreDeps, createLogger, errorFields, fleetSource } from '../lib/runtime.js';
import { settingsMiddleware, type ContextWithSettings } from '../lib/settings.js';

const logger = createLogger('rotation');
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE });

const rotationEventSchema = z.object({
  SecretId: z.string().check(z.minLength(1)),
  ClientRequestToken: z.string().check(z.minLength(1)),
  Step: z.enum(ROTATION_STEPS),
  RotationToken: z.optional(z.string().check(z.minLength(1))),
});

export type RotationEvent = z.input<typeof rotationEventSchema>;

export function parseRotationEvent(event: unknown): RotationRequest {
  const parsed = rotationEventSchema.safeParse(event);
  if (!parsed.success) throw toValidationError('rotation event', parsed.error);
  const { SecretId, ClientRequestToken, Step, RotationToken } = parsed.data;
  return { secretId: SecretId, clientRequestToken: ClientRequestToken, step: Step, ...(RotationToken ? { rotationToken: RotationToken } : {}) };
}

// Typed as Lambda's Context, so callers (the local endpoint's invoker, tests) pass a plain one: the settings middleware adds `settings`.
async function rotate(event: unknown, context: Context): Promise<StepResult> {
  const { settings } = context as ContextWithSettings;
  const request = parseRotationEvent(event);
  const started = performance.now();
  // The RotationToken is an opaque id of the rotation, not a secret; it is still not logged.
  const base = { secretId: request.secretId, step: request.step, versionId: request.clientRequestToken };
  try {
    // The fleet: createSecret's clean-up checks that a token it could not store is no other secret's current one.
    // The steps of one rotation are separate invocations: its version id ties their events together.
    const deps = coreDeps({ log: (message, fields) => logger.warn(message, fields), events: eventSink(logger, 'rotation'), correlationId: request.clientRequestToken });
    const result = await runRotationStep(request, deps, {
      fleet: fleetSource(),
      settings,
      ...(typeof context.getRemainingTimeInMillis === 'function' ? { remainingTimeMs: () => context.getRemainingTimeInMillis() } : {}),
    });
    logger.info('rotation step done', { ...base, outcome: result.outcome, durationMs: Math.round(performance.now() - started) });
    return result;
  } catch (error) {
    // The rotation-errors alarm watches RotationFailures: a credential secret not filled in yet (a
    // fresh deploy) is expected, and counted apart so it does not page anyone.
    metrics.addMetric(error instanceof CredentialNotSetError ? 'RotationsAwaitingCredential' : 'RotationFailures', MetricUnit.Count, 1);
    if (error instanceof PendingTokenRefusedError) {
      // Which attempt at one pending version this was (Maximum shows a rotation heading for abandonment).
      metrics.addMetric('PendingTokenAttempts', MetricUnit.Count, error.attempt);
      if (error.abandoned) metrics.addMetric('PendingTokensAbandoned', MetricUnit.Count, 1);
    }
    // Published here, not by logMetrics: a successful step has no metric, and an empty flush warns.
    metrics.publishStoredMetrics();
    logger.error('rotation step failed', { ...base, outcome: 'failed', durationMs: Math.round(performance.now() - started), ...errorFields(error) });
    throw error;
  }
}

// Never log the event: it names no token, but a RotationToken has no business in logs either.
// The settings middleware adds `settings` to the context; callers still pass a plain Context.
const withSettings = settingsMiddleware() as unknown as middy.MiddlewareObj<unknown, unknown, Error, Context>;
export const handler = middy(rotate).use(injectLambdaContext(logger, { logEvent: false })).use(withSettings);
