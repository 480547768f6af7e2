/**
 * Whether a custom resource event really comes from CloudFormation, decided before anything is
 * read, written or revoked. Anyone allowed to invoke the function can send it any event: an Update
 * naming their own host would have the credential sent there, a Delete would revoke live tokens.
 * So an event is acted on only when
 *   - it is for this function's own stack (ENV.STACK_ID, set by the construct to AWS::StackId),
 *   - it is for a `Custom::TokenSecretSettings` resource, and
 *   - CloudFormation itself (DescribeStackResource on that stack) says the resource is being
 *     created, updated or deleted right now (`<TYPE>_IN_PROGRESS`, or a rollback state: see
 *     IN_PROGRESS), with the event's physical id.
 * A forger can copy a StackId, a logical id and a ResponseURL, but not make CloudFormation report
 * a deploy that is not happening. What remains (docs: SECURITY.md): an event forged during a real
 * deploy of that very resource passes these checks, which is why invoking the function stays an
 * administrative right.
 *
 * A Delete whose physical id is no longer the resource's (CloudFormation's clean-up of a replaced
 * resource after an update; or a forgery naming another id) is confirmed as `replaced`: it is
 * answered without touching anything.
 */
import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { ValidationError } from '../../core/errors.js';
import { ENV, TOKEN_SECRET_SETTINGS_TYPE } from '../../core/names.js';
import type { CustomResourceEvent } from '../lib/cfn-response.js';

/** An event refused as not CloudFormation's (or not this stack's): nothing was done. */
export class RefusedEventError extends ValidationError {
  constructor(message: string, field?: string) {
    super(`event refused, nothing was done: ${message}`, field);
    this.name = 'RefusedEventError';
  }
}

/** The function's own stack, from ENV.STACK_ID. */
export interface OwnStack {
  stackId: string;
  region: string;
}

/** A stack ARN: `arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<id>`. */
const STACK_ARN = /^arn:aws[a-z-]*:cloudformation:([a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:stack\/[A-Za-z][A-Za-z0-9-]*\/[A-Za-z0-9-]+$/;

export function ownStack(env: NodeJS.ProcessEnv = process.env): OwnStack {
  const stackId = env[ENV.STACK_ID];
  const region = stackId ? STACK_ARN.exec(stackId)?.[1] : undefined;
  if (!stackId || !region) {
    throw new ValidationError(
      `${ENV.STACK_ID}: expected the ARN of the stack this function serves (the construct sets it to AWS::StackId), got ${stackId ? 'something else' : 'nothing'}; every event is refused`,
      ENV.STACK_ID,
    );
  }
  return { stackId, region };
}

/** What CloudFormation reports of a resource (DescribeStackResource), or undefined when it has none by that logical id. */
export interface ResourceState {
  status: string;
  resourceType: string;
  physicalId?: string;
}

export type DescribeResource = (stackId: string, logicalId: string) => Promise<ResourceState | undefined>;

export type Confirmation = 'confirmed' | 'replaced';

/**
 * The states a resource is in while CloudFormation sends it each request. A rollback sends Update
 * (old properties) and Delete too; resources then report UPDATE_IN_PROGRESS and DELETE_IN_PROGRESS
 * as far as documented, and the rollback states the API also lists for resources are accepted in
 * case it reports those: each is still a deploy in progress, which a forger cannot start.
 */
const IN_PROGRESS: Readonly<Record<CustomResourceEvent['RequestType'], readonly string[]>> = {
  Create: ['CREATE_IN_PROGRESS'],
  Update: ['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS'],
  Delete: ['DELETE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS'],
};

/** Confirms `event` with CloudFormation, or throws RefusedEventError saying why not. */
export async function confirmEvent(event: CustomResourceEvent, stack: OwnStack, describe: DescribeResource): Promise<Confirmation> {
  if (event.StackId !== stack.stackId) {
    throw new RefusedEventError(`StackId: this function serves the custom resources of stack ${stack.stackId} only, and the event names ${event.StackId}`, 'StackId');
  }
  if (event.ResourceType !== TOKEN_SECRET_SETTINGS_TYPE) {
    throw new RefusedEventError(`ResourceType: expected ${TOKEN_SECRET_SETTINGS_TYPE}, got ${event.ResourceType}`, 'ResourceType');
  }
  let state: ResourceState | undefined;
  try {
    state = await describe(stack.stackId, event.LogicalResourceId);
  } catch (e) {
    throw new RefusedEventError(`could not ask CloudFormation whether the event is real (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)})`, 'LogicalResourceId');
  }
  const resource = `resource ${event.LogicalResourceId} of stack ${stack.stackId}`;
  if (!state) throw new RefusedEventError(`CloudFormation knows no ${resource}`, 'LogicalResourceId');
  if (state.resourceType !== TOKEN_SECRET_SETTINGS_TYPE) {
    throw new RefusedEventError(`CloudFormation says ${resource} is a ${state.resourceType}, not a ${TOKEN_SECRET_SETTINGS_TYPE}`, 'LogicalResourceId');
  }
  if (event.RequestType === 'Delete' && state.physicalId !== undefined && event.PhysicalResourceId !== state.physicalId) return 'replaced';
  const expected = IN_PROGRESS[event.RequestType];
  if (!expected.includes(state.status)) {
    throw new RefusedEventError(`a ${event.RequestType} needs ${resource} in ${expected.join(' or ')}, and CloudFormation reports ${state.status}`, 'RequestType');
  }
  if (event.RequestType !== 'Create' && event.PhysicalResourceId !== state.physicalId) {
    throw new RefusedEventError(`PhysicalResourceId: CloudFormation's ${resource} is ${state.physicalId ?? '(none)'}, not ${event.PhysicalResourceId ?? '(none)'}`, 'PhysicalResourceId');
  }
  return 'confirmed';
}

let cloudFormation: { client: CloudFormationClient; endpoint: string | undefined } | undefined;

/** DescribeStackResource through the SDK (endpoint from AWS_ENDPOINT_URL_CLOUDFORMATION / AWS_ENDPOINT_URL, as the SDK resolves it). */
export const describeWithSdk: DescribeResource = async (stackId, logicalId) => {
  const endpoint = process.env.AWS_ENDPOINT_URL_CLOUDFORMATION ?? process.env.AWS_ENDPOINT_URL;
  if (!cloudFormation || cloudFormation.endpoint !== endpoint) {
    cloudFormation = { client: new CloudFormationClient({ maxAttempts: Number(process.env.AWS_MAX_ATTEMPTS ?? 5) }), endpoint };
  }
  try {
    const out = await cloudFormation.client.send(new DescribeStackResourceCommand({ StackName: stackId, LogicalResourceId: logicalId }));
    const detail = out.StackResourceDetail;
    if (!detail?.ResourceStatus) return undefined;
    return { status: detail.ResourceStatus, resourceType: detail.ResourceType ?? '', ...(detail.PhysicalResourceId ? { physicalId: detail.PhysicalResourceId } : {}) };
  } catch (e) {
    // CloudFormation answers an unknown logical id with ValidationError "Resource X does not exist for stack Y".
    if ((e as { name?: unknown }).name === 'ValidationError' && /does not exist for stack/.test((e as Error).message)) return undefined;
    throw e;
  }
};
