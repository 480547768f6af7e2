/**
 * Direct invoke for operators and pipelines: request (rotate now), refresh, delete, status.
 * No response ever carries a token value; bad input fails with a ValidationError naming the field.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import * as z from 'zod/mini';
import { currentClock } from '../../core/clock.js';
import {
  concurrentChange,
  ManagedSecret,
  refreshOrRotate,
  revokeGiven,
  revokePrevious,
  rotateNow,
  statusOf,
  type OperationDeps,
  type TokenStatus,
} from '../../core/operations/token-ops.js';
import { toValidationError } from '../../core/token-secret.js';
import { createLogger, errorFields, openProvider, secretStore } from '../lib/runtime.js';

const logger = createLogger('on-demand');

export const onDemandEventSchema = z.strictObject({
  action: z.enum(['request', 'refresh', 'delete', 'status']),
  secretId: z.string().check(z.minLength(1)),
  lifetimeSeconds: z.optional(z.number().check(z.int(), z.minimum(60), z.maximum(10 * 365 * 86400))),
  token: z.optional(z.string().check(z.minLength(1))),
  force: z.optional(z.boolean()),
});

export type OnDemandEvent = z.infer<typeof onDemandEventSchema>;
export type OnDemandResult =
  | { versionId: string; expiresAt: string | null }
  | { expiresAt: string | null; method: 'refresh' | 'rotate' }
  | { deleted: boolean }
  | TokenStatus;

export function parseOnDemandEvent(event: unknown): OnDemandEvent {
  const parsed = onDemandEventSchema.safeParse(event);
  if (!parsed.success) throw toValidationError('on-demand event', parsed.error);
  return parsed.data;
}

export async function perform(event: OnDemandEvent, deps: OperationDeps): Promise<OnDemandResult> {
  const managed = await ManagedSecret.load(event.secretId, deps);
  switch (event.action) {
    case 'status':
      return statusOf(managed);
    case 'request': {
      if (event.lifetimeSeconds !== undefined && event.lifetimeSeconds !== managed.secret.lifetimeSeconds) {
        // The rotation reads the lifetime from AWSCURRENT, so a new lifetime is recorded there first (same token).
        const next = JSON.stringify({ ...(JSON.parse(managed.current.secretString) as object), lifetimeSeconds: event.lifetimeSeconds });
        const written = await deps.store.putIfCurrent(event.secretId, next, managed.current.versionId);
        if (written === undefined) throw concurrentChange(event.secretId, 'recording the new lifetime');
      }
      const result = await rotateNow(event.secretId, deps);
      return { versionId: result.versionId, expiresAt: result.expiresAt ?? null };
    }
    case 'refresh': {
      const result = await refreshOrRotate(managed, deps, event.lifetimeSeconds ? { lifetimeSeconds: event.lifetimeSeconds } : {});
      return { expiresAt: result.expiresAt ?? null, method: result.method };
    }
    case 'delete': {
      if (event.token) return { deleted: await revokeGiven(managed, event.token, event.force === true) };
      const outcome = await revokePrevious(managed, deps, { graceSeconds: 0, force: true });
      return { deleted: outcome === 'revoked' };
    }
  }
}

async function run(event: unknown): Promise<OnDemandResult> {
  const started = performance.now();
  const parsed = parseOnDemandEvent(event);
  const store = secretStore();
  try {
    const result = await perform(parsed, { store, openProvider: openProvider(store), clock: currentClock() });
    logger.info('on-demand done', { action: parsed.action, secretId: parsed.secretId, durationMs: Math.round(performance.now() - started) });
    return result;
  } catch (error) {
    logger.error('on-demand failed', { action: parsed.action, secretId: parsed.secretId, ...errorFields(error) });
    throw error;
  }
}

// Never log the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: a `delete` event carries a token.
export const handler = middy(run).use(injectLambdaContext(logger, { logEvent: false }));
