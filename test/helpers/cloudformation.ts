/**
 * CloudFormation as the connection-settings function meets it, on the local endpoint: one stack
 * whose id the function is given (ENV.STACK_ID), its settings resources in the local registry, the
 * events CloudFormation would send them (each marks its resource *_IN_PROGRESS, as a deploy does),
 * and the answers the function PUTs back, which reach the local endpoint
 * (ENV.LOCAL_CFN_RESPONSE_ENDPOINT, honoured in local runs only). The one helper for every test
 * that sends the function events.
 */
import type { Context } from 'aws-lambda';
import { ENV, TOKEN_SECRET_SETTINGS_TYPE } from '../../core/names.js';
import { handler } from '../../functions/connection-settings/handler.js';
import type { CustomResourceRequest, CustomResourceRequestType, LocalAws, ResourceStatus } from '../../local/aws/index.js';
import { lambdaContext } from '../../local/lambda-context.js';

export const SERVICE_TOKEN = 'arn:aws:lambda:us-east-1:000000000000:function:connection-settings';

export interface Invocation {
  /** The function's answer to this request as the answer URL received it (the first PUT), if any. */
  answer?: Record<string, unknown>;
  /** What the invocation threw, if anything. */
  error?: unknown;
}

export interface LocalCloudFormation {
  readonly stackId: string;
  /** Registers (or resets) a settings resource; no physical id: not created yet. */
  resource(logicalId: string, state?: { physicalId?: string; status?: ResourceStatus }): void;
  /** The event CloudFormation sends for `requestType`; an unknown resource is registered first. */
  request(requestType: CustomResourceRequestType, logicalId: string, properties: Record<string, unknown>, oldProperties?: Record<string, unknown>): CustomResourceRequest;
  /** Runs the real handler with `event` (CloudFormation's or a forged one) and a Lambda context. */
  invoke(event: unknown, context?: Context): Promise<Invocation>;
  /** `request`, then `invoke`. */
  send(
    requestType: CustomResourceRequestType,
    logicalId: string,
    properties: Record<string, unknown>,
    oldProperties?: Record<string, unknown>,
    context?: Context,
  ): Promise<Invocation>;
}

let stacks = 0;

/** A stack on `aws` for this process's connection-settings function (sets its environment). */
export function localCloudFormation(aws: LocalAws): LocalCloudFormation {
  const stackId = aws.cloudFormation.createStack(`settings-test-${++stacks}-${process.pid}`);
  process.env[ENV.STACK_ID] = stackId;
  process.env[ENV.LOCAL_CFN_RESPONSE_ENDPOINT] = aws.url;
  const cfn: LocalCloudFormation = {
    stackId,
    resource(logicalId, state = {}) {
      aws.cloudFormation.setResource(stackId, logicalId, {
        resourceType: TOKEN_SECRET_SETTINGS_TYPE,
        resourceStatus: state.status ?? (state.physicalId ? 'UPDATE_COMPLETE' : 'CREATE_IN_PROGRESS'),
        ...(state.physicalId ? { physicalResourceId: state.physicalId } : {}),
      });
    },
    request(requestType, logicalId, properties, oldProperties) {
      if (!aws.cloudFormation.inspectResource(stackId, logicalId)) cfn.resource(logicalId);
      return aws.cloudFormation.request(stackId, logicalId, requestType, { ServiceToken: SERVICE_TOKEN, ...properties }, oldProperties && { ServiceToken: SERVICE_TOKEN, ...oldProperties });
    },
    async invoke(event, context = lambdaContext('connection-settings', 120_000)) {
      const requestId = (event as { RequestId?: unknown }).RequestId;
      const seen = aws.cloudFormation.answers().length;
      let error: unknown;
      try {
        await handler(event as never, context);
      } catch (e) {
        error = e;
      }
      const answer = aws.cloudFormation.answers().slice(seen).find((a) => a.request.RequestId === requestId && a.first)?.body;
      return { ...(answer ? { answer } : {}), ...(error !== undefined ? { error } : {}) };
    },
    send(requestType, logicalId, properties, oldProperties, context) {
      return cfn.invoke(cfn.request(requestType, logicalId, properties, oldProperties), context);
    },
  };
  return cfn;
}
