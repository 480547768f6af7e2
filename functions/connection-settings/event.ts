/**
 * The custom resource event as the handler receives it: whatever the invoker sent. Checked for the
 * fields CloudFormation always sends before anything else looks at it; a ValidationError names the
 * first field that is missing or of the wrong type.
 */
import { ValidationError } from '../../core/errors.js';
import type { CustomResourceEvent } from '../lib/cfn-response.js';

const REQUEST_TYPES: ReadonlySet<string> = new Set(['Create', 'Update', 'Delete']);
const REQUIRED_STRINGS = ['ResponseURL', 'StackId', 'RequestId', 'LogicalResourceId', 'ResourceType'] as const;

export function parseEvent(raw: unknown): CustomResourceEvent {
  if (!isRecord(raw)) throw new ValidationError('event: expected a CloudFormation custom resource request (a JSON object)', 'event');
  if (typeof raw.RequestType !== 'string' || !REQUEST_TYPES.has(raw.RequestType)) {
    throw new ValidationError('RequestType: expected "Create", "Update" or "Delete"', 'RequestType');
  }
  for (const field of REQUIRED_STRINGS) {
    if (typeof raw[field] !== 'string' || raw[field] === '') throw new ValidationError(`${field}: expected a non-empty string, as CloudFormation sends it`, field);
  }
  if (raw.PhysicalResourceId !== undefined && typeof raw.PhysicalResourceId !== 'string') {
    throw new ValidationError('PhysicalResourceId: expected a string', 'PhysicalResourceId');
  }
  if (raw.RequestType !== 'Create' && typeof raw.PhysicalResourceId !== 'string') {
    throw new ValidationError(`PhysicalResourceId: a ${raw.RequestType} always carries the resource's physical id`, 'PhysicalResourceId');
  }
  if (!isRecord(raw.ResourceProperties)) throw new ValidationError('ResourceProperties: expected an object', 'ResourceProperties');
  if (raw.OldResourceProperties !== undefined && !isRecord(raw.OldResourceProperties)) {
    throw new ValidationError('OldResourceProperties: expected an object', 'OldResourceProperties');
  }
  return raw as unknown as CustomResourceEvent;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
