/**
 * Secrets Manager rotation hook. Thin: validate the event, run one step of the provider-agnostic
 * rotation (core/rotation/steps.ts), log one structured line. A failing step throws, leaving
 * AWSCURRENT untouched; Secrets Manager retries it.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import * as z from 'zod/mini';
import { toValidationError } from '../../core/errors.js';
import { ROTATION_STEPS, runRotationStep, type RotationRequest, type StepResult } from '../../core/rotation/steps.js';
import { coreDeps, createLogger, errorFields } from '../lib/runtime.js';

const logger = createLogger('rotation');

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

async function rotate(event: unknown): Promise<StepResult> {
  const request = parseRotationEvent(event);
  const started = performance.now();
  // The RotationToken is an opaque id of the rotation, not a secret; it is still not logged.
  const base = { secretId: request.secretId, step: request.step, versionId: request.clientRequestToken };
  try {
    const result = await runRotationStep(request, coreDeps({ log: (message, fields) => logger.warn(message, fields) }));
    logger.info('rotation step done', { ...base, outcome: result.outcome, durationMs: Math.round(performance.now() - started) });
    return result;
  } catch (error) {
    logger.error('rotation step failed', { ...base, outcome: 'failed', durationMs: Math.round(performance.now() - started), ...errorFields(error) });
    throw error;
  }
}

// Never log the event: it names no token, but a RotationToken has no business in logs either.
export const handler = middy(rotate).use(injectLambdaContext(logger, { logEvent: false }));
