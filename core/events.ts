/**
 * Change events: every transition of a token secret (rotated, refreshed, revoked, left to expire,
 * a failure, a pause, a rollback) is one event on EventBridge, `source` EVENT_SOURCE, so other
 * systems learn when a credential changed without polling (docs/CONTRACT.md "Change events").
 *
 * core/ builds the event; the functions put it (functions/lib/events.ts implements
 * ChangeEventSink with PutEvents). Delivery is best effort: `emitChange` never throws and never
 * delays an operation past the put; a failed put is logged here and counted by the sink.
 *
 * A detail never carries a token, a credential or a fingerprint of either: its fields are ids,
 * instants and reasons, and the schema refuses any other field.
 */
import * as z from 'zod/mini';
import type { Deps } from './deps.js';
import { EVENT_SOURCE } from './names.js';

export const CHANGE_EVENT_TYPES = [
  'Token Rotated',
  'Token Refreshed',
  'Token Revoked',
  'Token Left To Expire',
  'Token Rolled Back',
  'Rotation Failed',
  'Refresh Failed',
  'Revoke Failed',
  'Connection Paused',
  'Connection Resumed',
  'Credential Not Set',
] as const;
export type ChangeEventType = (typeof CHANGE_EVENT_TYPES)[number];

/** Longest `reason` an event carries: enough for any message of this product, short of EventBridge's 256 KB. */
export const MAX_REASON_LENGTH = 1_000;

const isoInstant = z.iso.datetime({ offset: true });

export const changeEventDetailSchema = z.strictObject({
  /** The token secret's ARN. */
  secretArn: z.string().check(z.minLength(1)),
  /** The connection: the secret's name without a trailing `/token` and the path before it (the construct's connection name). */
  connection: z.string().check(z.minLength(1)),
  /** The token API (tigergraph, trifacta, ica), when known. */
  provider: z.optional(z.string()),
  /** The version the event is about: the new AWSCURRENT, or the version whose token was revoked or left to expire. */
  versionId: z.optional(z.string()),
  /** The version AWSCURRENT moved from (rotated, refreshed, rolled back). */
  previousVersionId: z.optional(z.string()),
  /** Rolled back: the version whose token is current again. */
  restoredVersionId: z.optional(z.string()),
  /** The token's expiry (of the new token, or of the one left to expire); null: it never expires. */
  expiresAt: z.optional(z.nullable(isoInstant)),
  /** Revoked: 'revoked', or 'already-gone' (proven unusable when tried). */
  outcome: z.optional(z.string()),
  /** Why: a failure's message, a pause's or a rollback's reason, why a held-back renewal happened anyway. */
  reason: z.optional(z.string().check(z.maxLength(MAX_REASON_LENGTH))),
  /** Paused: when the pause ends on its own. */
  pausedUntil: z.optional(isoInstant),
  /** Ties together what one invocation did (the Lambda request id; a rotation's version id for its steps). */
  correlationId: z.string().check(z.minLength(1)),
});

export type ChangeEventDetail = z.infer<typeof changeEventDetailSchema>;

export interface ChangeEvent {
  detailType: ChangeEventType;
  detail: ChangeEventDetail;
  /** When the transition happened (the operations' clock). */
  time: Date;
}

/** Where events go; implemented by the functions (PutEvents). It should not throw; if it does, the operation goes on. */
export interface ChangeEventSink {
  put(event: ChangeEvent): Promise<void>;
}

/** What an operation knows of a transition; emitChange adds the connection and the correlation id. */
export type ChangeFacts = Omit<ChangeEventDetail, 'connection' | 'correlationId'>;

/**
 * Puts one change event through `deps.events`, if any. Never throws: a failure to put is logged
 * (deps.log) and the operation that made the change goes on as if it had been delivered.
 */
export async function emitChange(deps: Pick<Deps, 'events' | 'log' | 'clock' | 'correlationId'>, detailType: ChangeEventType, facts: ChangeFacts): Promise<void> {
  const sink = deps.events;
  if (!sink) return;
  const detail: ChangeEventDetail = {
    ...facts,
    ...(facts.reason !== undefined ? { reason: facts.reason.slice(0, MAX_REASON_LENGTH) } : {}),
    connection: connectionName(facts.secretArn),
    correlationId: deps.correlationId ?? 'none',
  };
  try {
    await sink.put({ detailType, detail, time: new Date(deps.clock.now()) });
  } catch (e) {
    deps.log?.('change event not delivered', { detailType, secretArn: facts.secretArn, error: e instanceof Error ? e.message : String(e) });
  }
}

/** The message of an error, for a `reason` (this product's messages never carry a token or a credential). */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The connection a token secret belongs to, from its ARN or name: the name without Secrets
 * Manager's 6-character ARN suffix and a trailing `/token`, and only its last path segment
 * (`tg-token-rotation/analytics/token` is connection `analytics`, as the construct names it).
 */
export function connectionName(secretArnOrName: string): string {
  const fromArn = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(secretArnOrName)?.[1];
  const name = (fromArn ?? secretArnOrName).replace(/\/token$/, '');
  return name.slice(name.lastIndexOf('/') + 1) || name;
}

/** The envelope PutEvents receives for an event (also the shape of the samples under events/emitted/). */
export function putEventsEntry(event: ChangeEvent, eventBusName: string): { Source: string; DetailType: string; Detail: string; Time: Date; EventBusName: string; Resources: string[] } {
  return {
    Source: EVENT_SOURCE,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Time: event.time,
    EventBusName: eventBusName,
    Resources: [event.detail.secretArn],
  };
}
