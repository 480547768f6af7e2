/**
 * The local CloudFormation: just enough of it for a custom resource to prove its events real. It
 * holds a registry of stacks and their resources that tests (and local runs) set, answers
 * `DescribeStackResource` from it over the AWS Query protocol (a form-encoded POST, an XML answer:
 * what `@aws-sdk/client-cloudformation` speaks), builds the events CloudFormation sends a custom
 * resource, and receives the resource's answer, the PUT CloudFormation's pre-signed S3 URL takes.
 *
 * Where it differs from the real service:
 * - No templates, no deploys, no rollbacks: a resource's status is what the registry was told, or
 *   what a custom resource request and its answer made it. `request` marks the resource
 *   `<TYPE>_IN_PROGRESS` and hands back the event; the first answer PUT for that request moves it
 *   to `<TYPE>_COMPLETE` (SUCCESS; Create and Update take the answer's PhysicalResourceId) or
 *   `<TYPE>_FAILED`. A replaced physical id is not cleaned up with a Delete, as CloudFormation
 *   would.
 * - The answer URL has the real form (`https://cloudformation-custom-resource-response-<region
 *   without dashes>.s3.<region>.amazonaws.com/<stack id|logical id|request id>?X-Amz-...`) but no
 *   real signature; a function reaches this endpoint with it only when told to (the local
 *   ENV.LOCAL_CFN_RESPONSE_ENDPOINT). A PUT for a request it did not hand out is refused 403
 *   (S3's answer to a URL it did not sign), and so is one with a Content-Type (the URL is signed
 *   without one, so S3 answers SignatureDoesNotMatch); later PUTs for one request are recorded but
 *   change nothing (CloudFormation acts on the first).
 * - DescribeStackResource only; StackName is a name or a stack id (the real service needs the id
 *   for a deleted stack; here stacks are never deleted). Errors are `ValidationError` with AWS's
 *   wording where known ("Stack with id X does not exist", "Resource X does not exist for stack Y").
 *   No DriftInformation, Metadata or ResourceStatusReason.
 */
import type { CustomResourceEvent } from '../../functions/lib/cfn-response.js';
import type { Clock } from '../../core/clock.js';
import { AwsServiceError } from './errors.js';
import { newUuid } from './util.js';

export type CustomResourceRequestType = 'Create' | 'Update' | 'Delete';
type Phase = 'CREATE' | 'UPDATE' | 'DELETE';
export type ResourceStatus = `${Phase}_${'IN_PROGRESS' | 'COMPLETE' | 'FAILED'}`;

export interface StackResourceSnapshot {
  stackId: string;
  stackName: string;
  logicalResourceId: string;
  physicalResourceId?: string;
  resourceType: string;
  resourceStatus: ResourceStatus;
  lastUpdated: Date;
}

/** What CloudFormation sends a custom resource's function (its documented request fields, as the function reads them). */
export type CustomResourceRequest = CustomResourceEvent & { ServiceToken: string };

/** An answer PUT received, as sent (its JSON body), with the request it answers. */
export interface CustomResourceAnswer {
  request: CustomResourceRequest;
  body: Record<string, unknown>;
  /** Whether it was the first answer to its request (the one CloudFormation acts on). */
  first: boolean;
}

export interface CloudFormationOptions {
  clock: Clock;
  region: string;
  accountId: string;
}

interface ResourceRecord {
  logicalResourceId: string;
  physicalResourceId?: string;
  resourceType: string;
  resourceStatus: ResourceStatus;
  lastUpdatedMs: number;
}

interface StackRecord {
  stackId: string;
  stackName: string;
  resources: Map<string, ResourceRecord>;
}

type Operation = (params: URLSearchParams) => XmlElement;

/** An XML element as the Query protocol answers it: a name and text or child elements. */
export interface XmlElement {
  name: string;
  children: Array<XmlElement | undefined> | string;
}

const PHASE: Readonly<Record<CustomResourceRequestType, Phase>> = { Create: 'CREATE', Update: 'UPDATE', Delete: 'DELETE' };

export class CloudFormationStore {
  private readonly stacks = new Map<string, StackRecord>();
  private readonly requests = new Map<string, { request: CustomResourceRequest; answered: boolean }>();
  private readonly received: CustomResourceAnswer[] = [];
  private readonly operations: Readonly<Record<string, Operation>>;

  constructor(private readonly options: CloudFormationOptions) {
    this.operations = {
      DescribeStackResource: (p) => this.describeStackResource(p),
    };
  }

  supports(operation: string): boolean {
    return Object.hasOwn(this.operations, operation);
  }

  handle(operation: string, params: URLSearchParams): XmlElement {
    const op = this.operations[operation];
    if (!op) throw new AwsServiceError('InvalidAction', `The action ${operation} is not valid for this web service.`);
    return op(params);
  }

  /** Registers a stack (a name not used yet) and returns its id, an ARN as CloudFormation forms it. */
  createStack(name: string): string {
    if ([...this.stacks.values()].some((s) => s.stackName === name)) throw new RangeError(`stack ${name} exists already`);
    const stackId = `arn:aws:cloudformation:${this.options.region}:${this.options.accountId}:stack/${name}/${newUuid()}`;
    this.stacks.set(stackId, { stackId, stackName: name, resources: new Map() });
    return stackId;
  }

  /** Sets (or replaces) a resource of a stack; `physicalResourceId` undefined: none yet. */
  setResource(stackId: string, logicalResourceId: string, resource: { resourceType: string; resourceStatus: ResourceStatus; physicalResourceId?: string }): void {
    const stack = this.stacks.get(stackId);
    if (!stack) throw new RangeError(`no stack ${stackId}`);
    stack.resources.set(logicalResourceId, { logicalResourceId, ...resource, lastUpdatedMs: this.options.clock.now() });
  }

  inspectResource(stackId: string, logicalResourceId: string): StackResourceSnapshot | undefined {
    const stack = this.stacks.get(stackId);
    const r = stack?.resources.get(logicalResourceId);
    return stack && r ? this.snapshot(stack, r) : undefined;
  }

  /**
   * The request CloudFormation sends the function behind a custom resource: the resource (which
   * must be registered) turns `<TYPE>_IN_PROGRESS`, and the event names its physical id (Update,
   * Delete) and a fresh answer URL.
   */
  request(
    stackId: string,
    logicalResourceId: string,
    requestType: CustomResourceRequestType,
    properties: Record<string, unknown>,
    oldProperties?: Record<string, unknown>,
  ): CustomResourceRequest {
    const stack = this.stacks.get(stackId);
    const r = stack?.resources.get(logicalResourceId);
    if (!stack || !r) throw new RangeError(`no resource ${logicalResourceId} in stack ${stackId}`);
    r.resourceStatus = `${PHASE[requestType]}_IN_PROGRESS`;
    r.lastUpdatedMs = this.options.clock.now();
    const requestId = newUuid();
    const serviceToken = typeof properties.ServiceToken === 'string' ? properties.ServiceToken : '';
    const request: CustomResourceRequest = {
      RequestType: requestType,
      ServiceToken: serviceToken,
      ResponseURL: this.answerUrl(stackId, logicalResourceId, requestId),
      StackId: stackId,
      RequestId: requestId,
      LogicalResourceId: logicalResourceId,
      ResourceType: r.resourceType,
      ...(requestType !== 'Create' && r.physicalResourceId !== undefined ? { PhysicalResourceId: r.physicalResourceId } : {}),
      ResourceProperties: properties,
      ...(requestType === 'Update' ? { OldResourceProperties: oldProperties ?? {} } : {}),
    };
    this.requests.set(answerKey(stackId, logicalResourceId, requestId), { request, answered: false });
    return request;
  }

  /** Every answer PUT received so far, in order. */
  answers(): readonly CustomResourceAnswer[] {
    return this.received;
  }

  /**
   * An answer PUT to `path` (the answer URL's path, query included). Refused (403) unless the path
   * names a request this store handed out; the first answer moves the resource's status.
   */
  receiveAnswer(path: string, body: string, contentType: string | undefined): void {
    const key = decodeURIComponent(path.split('?')[0]?.replace(/^\//, '') ?? '');
    const pending = this.requests.get(key);
    if (!pending) throw new AwsServiceError('AccessDenied', 'Access Denied', 403);
    // The URL is signed without a Content-Type: S3 refuses a PUT that sends one.
    if (contentType) throw new AwsServiceError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.', 403);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new AwsServiceError('MalformedResponse', 'The custom resource answer is not JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AwsServiceError('MalformedResponse', 'The custom resource answer is not a JSON object.');
    const answer = parsed as Record<string, unknown>;
    const first = !pending.answered;
    pending.answered = true;
    this.received.push({ request: pending.request, body: answer, first });
    if (first) this.settle(pending.request, answer);
  }

  // -------------------------------------------------------------------------------------------

  private settle(request: CustomResourceRequest, answer: Record<string, unknown>): void {
    const r = this.stacks.get(request.StackId)?.resources.get(request.LogicalResourceId);
    if (!r) return;
    const phase = PHASE[request.RequestType];
    const succeeded = answer.Status === 'SUCCESS';
    r.resourceStatus = `${phase}_${succeeded ? 'COMPLETE' : 'FAILED'}`;
    if (succeeded && phase !== 'DELETE' && typeof answer.PhysicalResourceId === 'string') r.physicalResourceId = answer.PhysicalResourceId;
    r.lastUpdatedMs = this.options.clock.now();
  }

  private answerUrl(stackId: string, logicalResourceId: string, requestId: string): string {
    const { region } = this.options;
    const key = encodeURIComponent(answerKey(stackId, logicalResourceId, requestId));
    const query = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Date': new Date(this.options.clock.now()).toISOString().replace(/[-:]|\.\d{3}/g, ''),
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Expires': '7200',
      'X-Amz-Credential': `LOCAL/${region}/s3/aws4_request`,
      'X-Amz-Signature': 'local',
    });
    return `https://cloudformation-custom-resource-response-${region.replace(/-/g, '')}.s3.${region}.amazonaws.com/${key}?${query.toString()}`;
  }

  private describeStackResource(params: URLSearchParams): XmlElement {
    const stackName = required(params, 'StackName');
    const logicalResourceId = required(params, 'LogicalResourceId');
    const stack = this.stacks.get(stackName) ?? [...this.stacks.values()].find((s) => s.stackName === stackName);
    if (!stack) throw validationError(`Stack with id ${stackName} does not exist`);
    const r = stack.resources.get(logicalResourceId);
    if (!r) throw validationError(`Resource ${logicalResourceId} does not exist for stack ${stack.stackName}`);
    const s = this.snapshot(stack, r);
    return {
      name: 'StackResourceDetail',
      children: [
        text('StackName', s.stackName),
        text('StackId', s.stackId),
        text('LogicalResourceId', s.logicalResourceId),
        s.physicalResourceId !== undefined ? text('PhysicalResourceId', s.physicalResourceId) : undefined,
        text('ResourceType', s.resourceType),
        text('LastUpdatedTimestamp', s.lastUpdated.toISOString()),
        text('ResourceStatus', s.resourceStatus),
      ],
    };
  }

  private snapshot(stack: StackRecord, r: ResourceRecord): StackResourceSnapshot {
    return {
      stackId: stack.stackId,
      stackName: stack.stackName,
      logicalResourceId: r.logicalResourceId,
      ...(r.physicalResourceId !== undefined ? { physicalResourceId: r.physicalResourceId } : {}),
      resourceType: r.resourceType,
      resourceStatus: r.resourceStatus,
      lastUpdated: new Date(r.lastUpdatedMs),
    };
  }
}

/** The object key of an answer: what CloudFormation's answer URLs name (stack id, logical id, request id). */
function answerKey(stackId: string, logicalResourceId: string, requestId: string): string {
  return `${stackId}|${logicalResourceId}|${requestId}`;
}

/** CloudFormation's code for bad input (not Secrets Manager's ValidationException). */
function validationError(message: string): AwsServiceError {
  return new AwsServiceError('ValidationError', message);
}

function text(name: string, value: string): XmlElement {
  return { name, children: value };
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') {
    const member = name.charAt(0).toLowerCase() + name.slice(1);
    throw validationError(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}
