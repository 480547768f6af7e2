/**
 * CloudFormation custom resource that owns a token secret's settings (one per connection of the
 * CDK construct): Create writes the initial JSON, Update applies the new settings (a change that
 * needs a new token rotates to a token minted with them), Delete revokes the connection's replaced
 * tokens (core/operations/connection-settings.ts). Thin: check, call, answer CloudFormation, log.
 *
 * Properties: `SecretId` (the token secret's ARN) and `Settings` (token secret fields, as the
 * token secret JSON names them), sent as one JSON string because CloudFormation turns every
 * number and boolean of a nested property into a string (an object is accepted too).
 *
 * Whoever may invoke the function can send it any event, so before anything is read, written or
 * revoked:
 *   - the ResponseURL must be CloudFormation's answer bucket in the stack's region
 *     (functions/lib/cfn-response.ts): otherwise nothing is sent anywhere, and the invocation
 *     fails with the reason;
 *   - the event must be confirmed by CloudFormation (confirm.ts: this stack, this resource type,
 *     the resource in the matching *_IN_PROGRESS state with this physical id): otherwise it is
 *     answered FAILED and the invocation fails with the reason (RefusedEventError).
 * Every event that passed the URL check is answered exactly once, and before the function's
 * timeout: when time runs low, whatever the work is doing, the answer goes out (SUCCESS with the
 * rotation pending once a rotation to the new settings has started, SUCCESS for a Delete that was
 * confirmed, FAILED otherwise) rather than leaving the stack waiting for an hour.
 *
 * A revoke that fails is reported in the response Data and the logs and does not fail the deploy;
 * settings that cannot be applied (bad properties, no token could be had with them) fail it, with
 * the reason.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { checkSettings, createSettings, deleteSettings, updateSettings, type SettingsOptions, type SettingsResult } from '../../core/operations/connection-settings.js';
import { ValidationError } from '../../core/errors.js';
import { answerTarget, checkResponseUrl, RESPONSE_TIMEOUT_MS, sendResponse, type CustomResourceEvent, type CustomResourceResponse } from '../lib/cfn-response.js';
import { assertOwned } from '../../core/operations/fleet.js';
import { coreDeps, createLogger, errorFields, fleetSource } from '../lib/runtime.js';
import { confirmEvent, describeWithSdk, ownStack, RefusedEventError, type OwnStack } from './confirm.js';
import { parseEvent } from './event.js';

const logger = createLogger('connection-settings');

/** Longest wait for a rotation's outcome; the function's timeout leaves room for the answer. */
const MAX_ROTATION_WAIT_MS = 120_000;
/** Time kept for the answer at the end of the invocation: the PUT's own timeout and a margin. */
const ANSWER_RESERVE_MS = RESPONSE_TIMEOUT_MS + 2_000;
/** The rotation wait ends this long (at most half the time) before the answer is due, so a rotation still running is reported by the operation itself. */
const WAIT_MARGIN_MS = 15_000;
/** Time assumed left when the context cannot tell (a caller without a Lambda context). */
const DEFAULT_REMAINING_MS = MAX_ROTATION_WAIT_MS + 30_000;

/** How far the work got: what the answer says when the time runs out first. */
interface Progress {
  step: string;
  confirmed: boolean;
  /** The rotation to the new settings has started: it completes without this invocation. */
  rotationStarted?: string;
}

interface Applied {
  physicalId: string;
  result: SettingsResult;
}

function propertiesOf(props: Record<string, unknown>): { secretId: string; settings: Record<string, unknown> } {
  const secretId = props.SecretId;
  if (typeof secretId !== 'string' || !secretId) throw new ValidationError('SecretId: expected the token secret ARN', 'SecretId');
  return { secretId, settings: checkSettings(settingsValue(props.Settings)) };
}

/** `Settings` as sent: a JSON string (what the construct sends) or an object. */
function settingsValue(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    throw new ValidationError('Settings: expected a JSON object (as a JSON string) of token secret fields', 'Settings');
  }
}

async function confirmAndApply(event: CustomResourceEvent, stack: OwnStack, deadlineMs: number, progress: Progress, signal: AbortSignal): Promise<Applied> {
  progress.step = 'confirming the event with CloudFormation';
  const confirmation = await confirmEvent(event, stack, describeWithSdk);
  progress.confirmed = true;
  if (confirmation === 'replaced') {
    return {
      physicalId: event.PhysicalResourceId ?? event.LogicalResourceId,
      result: { ...emptyResult(), messages: ['this physical id is no longer the resource’s (it was replaced): nothing was revoked'] },
    };
  }
  progress.step = `applying the ${event.RequestType}`;
  return apply(event, deadlineMs, progress, signal);
}

async function apply(event: CustomResourceEvent, deadlineMs: number, progress: Progress, signal: AbortSignal): Promise<Applied> {
  const options: SettingsOptions = {
    signal,
    wait: { timeoutMs: Math.min(MAX_ROTATION_WAIT_MS, deadlineMs - Math.min(WAIT_MARGIN_MS, Math.floor(deadlineMs / 2))), pollMs: 1_000 },
    fleet: fleetSource(),
    onRotationStarted: (versionId) => {
      progress.rotationStarted = versionId;
      progress.step = 'waiting for the rotation to the new settings';
    },
  };
  const deps = coreDeps({ log: (message, fields) => logger.warn(message, fields) });
  // Only a token secret of this deployment, named by the ARN the construct passes (core/operations/fleet.ts).
  if (typeof event.ResourceProperties.SecretId === 'string') assertOwned(options.fleet ?? fleetSource(), event.ResourceProperties.SecretId);
  if (event.RequestType === 'Delete') {
    // A create that failed before it returned an id has nothing to clean up.
    const secretId = typeof event.ResourceProperties.SecretId === 'string' ? event.ResourceProperties.SecretId : undefined;
    if (!secretId || event.PhysicalResourceId !== secretId) return { physicalId: event.PhysicalResourceId ?? 'none', result: emptyResult() };
    return { physicalId: secretId, result: await deleteSettings(secretId, deps, options) };
  }
  const { secretId, settings } = propertiesOf(event.ResourceProperties);
  if (event.RequestType === 'Create') return { physicalId: secretId, result: await createSettings(secretId, settings, deps, options) };
  const old = (() => {
    try {
      return settingsValue(event.OldResourceProperties?.Settings);
    } catch {
      return undefined; // an unreadable old value only means fewer fields to remove
    }
  })();
  const oldSettings = typeof old === 'object' && old !== null && !Array.isArray(old) ? (old as Record<string, unknown>) : undefined;
  return { physicalId: secretId, result: await updateSettings(secretId, settings, oldSettings, deps, options) };
}

function emptyResult(): SettingsResult {
  return { rotation: 'none', revoked: 0, revokeFailures: 0, messages: [] };
}

function success({ physicalId, result }: Applied): CustomResourceResponse {
  return {
    Status: 'SUCCESS',
    PhysicalResourceId: physicalId,
    ...(result.messages.length ? { Reason: result.messages.join('; ') } : {}),
    Data: { Rotation: result.rotation, Revoked: result.revoked, RevokeFailures: result.revokeFailures, ...(result.versionId ? { VersionId: result.versionId } : {}) },
  };
}

function failedPhysicalId(event: CustomResourceEvent): string {
  return event.PhysicalResourceId ?? (typeof event.ResourceProperties.SecretId === 'string' ? event.ResourceProperties.SecretId : event.LogicalResourceId);
}

/** The answer when the time runs out before the work finished. */
function lateAnswer(event: CustomResourceEvent, progress: Progress): CustomResourceResponse {
  const secretId = typeof event.ResourceProperties.SecretId === 'string' ? event.ResourceProperties.SecretId : undefined;
  if (event.RequestType === 'Update' && progress.rotationStarted && secretId) {
    return success({
      physicalId: secretId,
      result: {
        rotation: 'pending',
        versionId: progress.rotationStarted,
        revoked: 0,
        revokeFailures: 0,
        messages: ['the function’s time ran out while the rotation to the new settings was running; it completes on its own, and the old settings’ tokens are left to the scheduled refresh to revoke'],
      },
    });
  }
  if (event.RequestType === 'Delete' && progress.confirmed) {
    return success({
      physicalId: event.PhysicalResourceId ?? event.LogicalResourceId,
      result: { ...emptyResult(), messages: ['the function’s time ran out while revoking the connection’s replaced tokens; those not revoked expire on their own'] },
    });
  }
  return { Status: 'FAILED', PhysicalResourceId: failedPhysicalId(event), Reason: `no outcome before the function's timeout (it was ${progress.step}); answered now rather than leaving the stack waiting` };
}

type Settled<T> = { kind: 'done'; value: T } | { kind: 'failed'; error: unknown } | { kind: 'late' };

/** The work's outcome, or 'late' once `ms` have passed (the work then goes on unobserved). */
async function settleWithin<T>(work: Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'late' }), ms);
  });
  try {
    return await Promise.race([work.then((value): Settled<T> => ({ kind: 'done', value }), (error: unknown): Settled<T> => ({ kind: 'failed', error })), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** When the answer is due: the time left, less what the answer PUT needs (at most half of it). */
function answerDeadlineMs(context: Context): number {
  const remaining = typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : DEFAULT_REMAINING_MS;
  return Math.max(0, remaining - Math.min(ANSWER_RESERVE_MS, Math.floor(remaining / 2)));
}

/** Fields safe to log of an event not checked yet: never the ResponseURL (pre-signed) or the properties. */
function eventFields(raw: unknown): Record<string, unknown> {
  const e = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const props = (typeof e.ResourceProperties === 'object' && e.ResourceProperties !== null ? e.ResourceProperties : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { requestType: str(e.RequestType), logicalId: str(e.LogicalResourceId), stackId: str(e.StackId), secretId: str(props.SecretId) };
}

async function run(raw: unknown, context: Context): Promise<void> {
  const fields = eventFields(raw);
  let event: CustomResourceEvent;
  let stack: OwnStack;
  let target: URL;
  try {
    stack = ownStack();
    event = parseEvent(raw);
    target = answerTarget(checkResponseUrl(event.ResponseURL, stack.region));
  } catch (error) {
    logger.error('event refused, no answer sent', { ...fields, ...errorFields(error) });
    throw error;
  }
  const progress: Progress = { step: 'starting', confirmed: false };
  const deadlineMs = answerDeadlineMs(context);
  const abandon = new AbortController();
  const settled = await settleWithin(confirmAndApply(event, stack, deadlineMs, progress, abandon.signal), deadlineMs);
  if (settled.kind === 'done') {
    const { result } = settled.value;
    logger.info('settings applied', { ...fields, rotation: result.rotation, revoked: result.revoked, revokeFailures: result.revokeFailures, messages: result.messages });
    if (result.revokeFailures > 0) logger.error('settings applied with failures', { ...fields, messages: result.messages });
    await sendResponse(event, success(settled.value), target);
    return;
  }
  if (settled.kind === 'late') {
    const answer = lateAnswer(event, progress);
    // Answered FAILED, CloudFormation rolls back: the work must not go on to apply the settings
    // (here, or when a frozen Lambda container thaws for a later invocation).
    if (answer.Status === 'FAILED') abandon.abort(new Error('answered FAILED: the function ran out of time'));
    logger.error('answered before the work finished: the function is about to time out', { ...fields, step: progress.step, status: answer.Status, rotationStarted: progress.rotationStarted });
    await sendResponse(event, answer, target);
    return;
  }
  const error = settled.error;
  const refused = error instanceof RefusedEventError;
  logger.error(refused ? 'event refused' : 'settings not applied', { ...fields, ...errorFields(error) });
  const answer: CustomResourceResponse = { Status: 'FAILED', Reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error), PhysicalResourceId: failedPhysicalId(event) };
  if (!refused) {
    await sendResponse(event, answer, target);
    return;
  }
  // A refused event fails the invocation too, whether or not its answer URL takes the answer (a
  // forger's copied URL may not): the caller, not CloudFormation as a rule, sees why.
  await sendResponse(event, answer, target).catch((putError: unknown) => logger.warn('refusal not delivered to the answer URL', { ...fields, ...errorFields(putError) }));
  throw error;
}

// The event carries settings and CloudFormation's pre-signed response URL, never a token or a
// credential value; still, it is not logged whole.
export const handler = middy(run).use(injectLambdaContext(logger, { logEvent: false }));
