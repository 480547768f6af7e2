/**
 * The sweep engines. 'lambda' (the default): the schedule invokes the scheduled-refresh function,
 * which sweeps the whole fleet in one invocation (thousands of secrets). 'distributed-map': the
 * schedule starts a Step Functions state machine that
 *   1. ListFleet: invokes the fleet-list function, which writes the managed secrets to
 *      s3://<bucket>/fleet/<execution>.jsonl (one `{"secretId": "<arn>"}` per line) and their
 *      holders index to fleet/<execution>.holders.jsonl, and returns `{bucket, key, count, plan, holders}`, the plan being core/operations/fleet-plan.ts planMap with the
 *      settings' budgets (core/operations/fleet-list.ts planFleetMap);
 *   2. SweepBatches: a Distributed Map over that object (ItemReader, JSONL) in batches of
 *      `plan.batchSize` ids (ItemBatcher), at most `plan.maxConcurrency` at once, each batch given
 *      to the scheduled-refresh function as `{"Items": [{"secretId"}...], "BatchInput":
 *      {"writesPerSecond", "rotationsPerSecond", "batchGetPerSecond", "holders": {"bucket", "key"}}}`
 *      with the worker's share of the budgets (`plan.perWorker`) and where the list step's holders
 *      index is (token fingerprints: a worker asks it who else holds a token it would revoke,
 *      instead of reading the whole fleet); `maxConcurrency` shares add up to the whole budget, so the map as a whole
 *      stays within it. The map fails past ToleratedFailurePercentage of failed items (a failed
 *      worker invocation fails its whole batch; a secret that fails inside a sweep does not fail the
 *      batch, it is counted in the Failures metric). Results go to s3://<bucket>/results/.
 * The execution times out after one schedule period, so sweeps never overlap: a sweep cut short is
 * picked up by the next (every secret's work is idempotent) and the timeout raises the alarm.
 *
 * The definition is built with aws-cdk-lib's states (sweep-definition.ts); the bucket and its policy are sweep-bucket.ts.
 *
 * Every IAM statement is written out here (no CDK grants: the state machine gets its role without
 * policy updates, so neither the states nor the StateMachine construct add any): the state machine
 * role may invoke the two functions, start and stop its own child executions (the map's), read the
 * fleet lists and write the results in the bucket, and deliver its logs (CloudWatch Logs vended
 * delivery, which works on `*` only), plus X-Ray when tracing is on. The fleet-list role may only
 * write fleet lists (and their holders indexes); the worker may only read the holders indexes. The
 * bucket policy keeps every other principal out of both (sweep-bucket.ts).
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { PRODUCT } from '../core/names.js';
import { DEFAULT_MAP_BATCH_SIZE } from '../core/operations/fleet-list.js';
import { acknowledgeFinding, acknowledgeWildcardResource } from './nag.js';
import { createSweepBucket, fenceSweepBucket, HOLDERS_INDEX_KEYS, SWEEP_BUCKET_PREFIXES } from './sweep-bucket.js';
import { sweepDefinitionBody } from './sweep-definition.js';

export const SWEEP_ENGINES = ['lambda', 'distributed-map'] as const;
export type SweepEngine = (typeof SWEEP_ENGINES)[number];

/** Options of the 'distributed-map' engine. */
export interface DistributedMapOptions {
  /** Ids per worker invocation (the ItemBatcher's batches, through the list step's plan). @default 1000 */
  readonly batchSize?: number;
  /** The map run fails when more than this percentage of its items failed. @default 5 */
  readonly toleratedFailurePercentage?: number;
  /** How long the bucket keeps a run's objects (the fleet list and the map's results). @default Duration.days(14) */
  readonly runRetention?: Duration;
}

export const DISTRIBUTED_MAP_DEFAULTS = {
  batchSize: DEFAULT_MAP_BATCH_SIZE,
  toleratedFailurePercentage: 5,
  runRetentionDays: 14,
} as const;

/**
 * Bounds of the options. A batch is one worker invocation: 5,000 ids at a worker's usual share of
 * the write budget (1 write/s at the default 40 writes/s) is still minutes; the ItemBatcher also
 * caps a batch at 256 KiB of input (about 2,500 ARNs), whichever comes first.
 */
export const DISTRIBUTED_MAP_BOUNDS = {
  batchSize: { min: 1, max: 5_000 },
  toleratedFailurePercentage: { min: 0, max: 100 },
  runRetentionDays: { min: 1, max: 365 },
} as const;

/** The worker's timeout in this engine: one batch may use all of Lambda's 15 minutes. */
export const MAP_WORKER_TIMEOUT = Duration.minutes(15);
/** The list step's timeout: ListSecrets pages are sequential (100 secrets a call). */
export const FLEET_LIST_TIMEOUT = Duration.minutes(15);

/** Throws `<what>: <field>: <problem>` for options the engine cannot use. */
export function validateSweepEngine(what: string, engine: string, options: DistributedMapOptions | undefined): void {
  const fail = (field: string, problem: string): never => {
    throw new Error(`${what}: ${field}: ${problem}`);
  };
  if (!(SWEEP_ENGINES as readonly string[]).includes(engine)) fail('sweepEngine', `expected one of ${SWEEP_ENGINES.map((e) => JSON.stringify(e)).join(', ')}, got "${engine}"`);
  if (options === undefined) return;
  if (engine !== 'distributed-map') fail('distributedMap', 'only with sweepEngine "distributed-map"');
  const check = (field: keyof typeof DISTRIBUTED_MAP_BOUNDS, value: number | undefined) => {
    const { min, max } = DISTRIBUTED_MAP_BOUNDS[field];
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) fail(`distributedMap.${field}`, `expected an integer from ${min} to ${max}, got ${value}`);
  };
  check('batchSize', options.batchSize);
  check('toleratedFailurePercentage', options.toleratedFailurePercentage);
  check('runRetentionDays', options.runRetention?.toDays({ integral: false }));
}


export interface SweepMapProps {
  readonly listFunction: lambda.IFunction;
  /** The scheduled-refresh function. */
  readonly workerFunction: lambda.IFunction;
  readonly options?: DistributedMapOptions;
  /** The schedule period: an execution never outlives it. */
  readonly timeout: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly tracing: boolean;
}

export interface SweepMap {
  /** Fleet lists and map results; SSE-S3, TLS only, no public access, versioned, objects expire, fenced by its policy (sweep-bucket.ts). */
  readonly bucket: s3.Bucket;
  readonly stateMachine: sfn.StateMachine;
  readonly role: iam.Role;
  /** The role's statements on the state machine itself (a policy of their own: no dependency cycle). */
  readonly executionPolicy: iam.Policy;
  readonly logGroup: logs.LogGroup;
}

export function createSweepMap(scope: Construct, props: SweepMapProps): SweepMap {
  const options = props.options ?? {};
  const bucket = createSweepBucket(scope, options.runRetention ?? Duration.days(DISTRIBUTED_MAP_DEFAULTS.runRetentionDays));
  const role = createSweepRole(scope, { ...props, bucket });
  fenceSweepBucket(bucket, { fleetWriter: props.listFunction.role!, mapRole: role, holdersReader: props.workerFunction.role! });
  const logGroup = new logs.LogGroup(scope, 'SweepLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN });
  const stateMachine = new sfn.StateMachine(scope, 'SweepStateMachine', {
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sweepDefinitionBody(scope, {
      comment: `${PRODUCT} sweep: list the managed secrets to S3, then sweep them in batches (Distributed Map), each worker at its share of the Secrets Manager budgets`,
      timeout: props.timeout,
      listFunction: props.listFunction,
      workerFunction: props.workerFunction,
      bucket,
      batchSize: options.batchSize ?? DISTRIBUTED_MAP_DEFAULTS.batchSize,
      toleratedFailurePercentage: options.toleratedFailurePercentage ?? DISTRIBUTED_MAP_DEFAULTS.toleratedFailurePercentage,
    }),
    // The statements of createSweepRole are the role's; the logging and X-Ray ones CDK would add never reach it.
    role: role.withoutPolicyUpdates(),
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    tracingEnabled: props.tracing,
  });
  // Created after the role's policy: Step Functions checks the log delivery permissions on creation.
  stateMachine.node.addDependency(role);
  if (!props.tracing) {
    acknowledgeFinding(
      stateMachine,
      'AwsSolutions-SF2',
      "X-Ray follows the construct's `tracing` option, off in this deployment (as for the functions); every state of every execution is logged (level ALL) and kept in the execution history.",
    );
  }
  const executionPolicy = createExecutionPolicy(scope, stateMachine, role);
  return { bucket, stateMachine, role, executionPolicy, logGroup };
}

interface SweepRoleProps {
  readonly listFunction: lambda.IFunction;
  readonly workerFunction: lambda.IFunction;
  readonly bucket: s3.IBucket;
  readonly tracing: boolean;
}

/** The state machine's role and every statement of its default policy (the executions' are createExecutionPolicy's). */
function createSweepRole(scope: Construct, props: SweepRoleProps): iam.Role {
  const role = new iam.Role(scope, 'SweepRole', {
    assumedBy: new iam.ServicePrincipal('states.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } } }),
    description: `${PRODUCT} sweep state machine (Distributed Map)`,
  });
  const allow = (actions: string[], resources: string[]) => role.addToPolicy(new iam.PolicyStatement({ actions, resources }));
  allow(['lambda:InvokeFunction'], [props.listFunction.functionArn, props.workerFunction.functionArn]);
  // ItemReader (JSONL): GetObject on the fleet lists.
  const fleetLists = props.bucket.arnForObjects(`${SWEEP_BUCKET_PREFIXES.fleet}/*`);
  allow(['s3:GetObject'], [fleetLists]);
  // ResultWriter: the map run's manifest and result files, written as multipart uploads.
  const results = props.bucket.arnForObjects(`${SWEEP_BUCKET_PREFIXES.results}/*`);
  allow(['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'], [results]);
  // Logging to CloudWatch Logs goes through vended log delivery, whose actions work on * only.
  allow(
    [
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ],
    ['*'],
  );
  const wildcardReasons = [
    "Step Functions logging uses CloudWatch Logs vended log delivery: logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies and DescribeLogGroups work on * only (the state machine's log group is named in its logging configuration).",
  ];
  if (props.tracing) {
    allow(['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'], ['*']);
    wildcardReasons.push('X-Ray PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets do not support resource-level permissions.');
  }
  acknowledgeFinding(role, 'AwsSolutions-IAM5[Resource::*]', wildcardReasons.join(' '));
  acknowledgeWildcardResource(role, fleetLists, FLEET_LIST_KEYS_REASON);
  acknowledgeWildcardResource(
    role,
    results,
    'The Distributed Map ResultWriter writes results/<map run id>/manifest.json and its result files, named by Step Functions at run time; the prefix holds nothing else.',
  );
  return role;
}

/** The Distributed Map starts its child executions (this state machine's), and describes and stops them. */
function createExecutionPolicy(scope: Construct, stateMachine: sfn.StateMachine, role: iam.Role): iam.Policy {
  const executions = Stack.of(scope).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${stateMachine.stateMachineName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  const executionPolicy = new iam.Policy(scope, 'SweepExecutionPolicy', {
    statements: [
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachine.stateMachineArn] }),
      new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [executions] }),
    ],
  });
  role.attachInlinePolicy(executionPolicy);
  acknowledgeWildcardResource(
    executionPolicy,
    executions,
    "The Distributed Map describes and stops the executions of its own map runs: this state machine's executions only, whose names Step Functions picks at run time.",
  );
  return executionPolicy;
}

const FLEET_LIST_KEYS_REASON =
  'Each sweep execution has its own fleet list, fleet/<execution name>.jsonl, and holders index, fleet/<execution name>.holders.jsonl, named at run time; the prefix holds nothing else (no secret value: ARNs and one-way token fingerprints only).';

/** The map worker's S3 access (the scheduled-refresh function): read the holders indexes, fleet/*.holders.jsonl, and nothing else. */
export function grantReadHoldersIndexes(fn: lambda.IFunction, bucket: s3.IBucket): void {
  const indexes = bucket.arnForObjects(HOLDERS_INDEX_KEYS);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [indexes] }));
  acknowledgeWildcardResource(fn.role!, indexes, 'Each sweep execution has its own holders index, fleet/<execution name>.holders.jsonl, named at run time; the pattern matches those only (token fingerprints and ARNs, no secret value).');
}

/** The fleet-list function's S3 access: write fleet lists (PutObject; AbortMultipartUpload for a failed upload), under fleet/ only. */
export function grantWriteFleetList(fn: lambda.IFunction, bucket: s3.IBucket): void {
  const fleetLists = bucket.arnForObjects(`${SWEEP_BUCKET_PREFIXES.fleet}/*`);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [fleetLists] }));
  acknowledgeWildcardResource(fn.role!, fleetLists, FLEET_LIST_KEYS_REASON);
}
