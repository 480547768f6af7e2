/**
 * CloudFormation custom resource that owns a token secret's settings (one per connection of the
 * CDK construct): Create writes the initial JSON, Update merges the new settings and rotates when
 * the token became useless, Delete revokes the connection's live tokens
 * (core/operations/connection-settings.ts). Thin: parse, call, answer CloudFormation, log.
 *
 * Properties: `SecretId` (the token secret's ARN) and `Settings` (token secret fields, as the
 * token secret JSON names them), sent as one JSON string because CloudFormation turns every
 * number and boolean of a nested property into a string (an object is accepted too). A rotation or revoke that fails is reported in the response Data
 * and the logs, and does not fail the deploy; bad properties do fail it, with the field named.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { checkSettings, createSettings, deleteSettings, updateSettings, type SettingsResult } from '../../core/operations/connection-settings.js';
import { ValidationError } from '../../core/errors.js';
import { sendResponse, type CustomResourceEvent } from '../lib/cfn-response.js';
import { coreDeps, createLogger, errorFields } from '../lib/runtime.js';

const logger = createLogger('connection-settings');

/** Longest wait for a rotation's outcome; the function's timeout leaves room for the answer. */
const MAX_ROTATION_WAIT_MS = 120_000;

function propertiesOf(props: Record<string, unknown> | undefined): { secretId: string; settings: Record<string, unknown> } {
  const secretId = props?.SecretId;
  if (typeof secretId !== 'string' || !secretId) throw new ValidationError('SecretId: expected the token secret ARN', 'SecretId');
  return { secretId, settings: checkSettings(settingsValue(props?.Settings)) };
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

async function apply(event: CustomResourceEvent, context: Context): Promise<{ physicalId: string; result: SettingsResult }> {
  const remaining = typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : MAX_ROTATION_WAIT_MS + 30_000;
  const options = { wait: { timeoutMs: Math.max(0, Math.min(MAX_ROTATION_WAIT_MS, remaining - 30_000)), pollMs: 1_000 } };
  const deps = coreDeps({ log: (message, fields) => logger.warn(message, fields) });
  if (event.RequestType === 'Delete') {
    // A create that failed before it returned an id has nothing to clean up.
    const secretId = typeof event.ResourceProperties.SecretId === 'string' ? event.ResourceProperties.SecretId : undefined;
    if (!secretId || event.PhysicalResourceId !== secretId) return { physicalId: event.PhysicalResourceId ?? 'none', result: emptyResult() };
    return { physicalId: secretId, result: await deleteSettings(secretId, deps) };
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

async function run(event: CustomResourceEvent, context: Context): Promise<void> {
  const fields = { requestType: event.RequestType, logicalId: event.LogicalResourceId, secretId: event.ResourceProperties?.SecretId };
  try {
    const { physicalId, result } = await apply(event, context);
    logger.info('settings applied', { ...fields, rotation: result.rotation, revoked: result.revoked, revokeFailures: result.revokeFailures, messages: result.messages });
    if (result.rotation === 'failed' || result.revokeFailures > 0) logger.error('settings applied with failures', { ...fields, messages: result.messages });
    await sendResponse(event, {
      Status: 'SUCCESS',
      PhysicalResourceId: physicalId,
      ...(result.messages.length ? { Reason: result.messages.join('; ') } : {}),
      Data: { Rotation: result.rotation, Revoked: result.revoked, RevokeFailures: result.revokeFailures, ...(result.versionId ? { VersionId: result.versionId } : {}) },
    });
  } catch (error) {
    logger.error('settings not applied', { ...fields, ...errorFields(error) });
    await sendResponse(event, {
      Status: 'FAILED',
      Reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      PhysicalResourceId: event.PhysicalResourceId ?? (typeof event.ResourceProperties?.SecretId === 'string' ? event.ResourceProperties.SecretId : event.LogicalResourceId),
    });
  }
}

// The event carries settings, never a token or a credential value; still, it is not logged whole.
export const handler = middy(run).use(injectLambdaContext(logger, { logEvent: false }));
