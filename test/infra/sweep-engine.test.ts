/**
 * The Distributed Map sweep engine (infra/sweep-engine.ts): the state machine's definition rendered
 * from the template and validated with asl-validator, the Map's ItemReader, ItemBatcher,
 * MaxConcurrency, ToleratedFailurePercentage and ResultWriter; the plan those paths read; the
 * bucket, the exact IAM of the state machine, fleet-list and scheduler roles; logging and tracing;
 * the alarms and dashboard; cdk-nag in both engines; and the one-Lambda engine left as it was.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../core/names.js';
import { planFleetMap } from '../../core/operations/fleet-list.js';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import { DeploymentConfigError, parseConfig } from '../../infra/config.js';
import { SWEEP_STATES } from '../../infra/sweep-definition.js';
import { DISTRIBUTED_MAP_DEFAULTS, validateSweepEngine } from '../../infra/sweep-engine.js';
import type { TgTokenRotationStack } from '../../infra/stack.js';
import {
  acknowledgedAt,
  acknowledgments,
  dashboardBody,
  documentedPolicyRows,
  ENVIRONMENTS,
  exampleConfig,
  logicalId,
  nagViolations,
  REPO_ROOT,
  resolve,
  roleStatements,
  synthesize,
  SYNTH_TIMEOUT_MS,
  templatePolicyRows,
  TEST_ACCOUNT,
  TEST_REGION,
  type Synthesized,
} from './helpers.js';

/** asl-validator ships no type declarations; this is the part of its API the test uses. */
type AslValidator = (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => { isValid: boolean; errorsText: (separator?: string) => string };
const validateAsl = createRequire(import.meta.url)('asl-validator') as AslValidator;

type Asl = { StartAt: string; TimeoutSeconds: number; States: Record<string, Record<string, unknown>> };

/**
 * The state machine's definition with its CloudFormation references replaced by plausible values
 * (an Fn::Join of strings, Refs and GetAtts): pseudo parameters by the test account and region, a
 * function's Arn by a Lambda ARN named after its logical id, any other Ref by `ref-<logical id>`.
 */
function renderDefinition(template: Template): Asl {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const body = machine!.Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const part = (p: unknown): string => {
    if (typeof p === 'string') return p;
    const token = p as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    if (token.Ref === 'AWS::Partition') return 'aws';
    if (token.Ref === 'AWS::Region') return TEST_REGION;
    if (token.Ref === 'AWS::AccountId') return TEST_ACCOUNT;
    if (token.Ref) return `ref-${token.Ref.toLowerCase()}`;
    if (token['Fn::GetAtt']?.[1] === 'Arn') return `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:${token['Fn::GetAtt'][0]}`;
    throw new Error(`unexpected token in the definition: ${JSON.stringify(p)}`);
  };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map(part).join(body['Fn::Join'][0]);
  return JSON.parse(text) as Asl;
}

/** Every statement of every policy attached to `roleId` (the role's default policy and policies of its own). */
function statementsOfRole(template: Template, roleId: string): Array<Record<string, unknown>> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
}

const SECURITY_MD = readFileSync(path.join(REPO_ROOT, 'SECURITY.md'), 'utf8');

/** A policy value with its references replaced: a GetAtt Arn by `arn:test:<logical id>`, pseudo parameters by the test account and region, joins joined. */
function renderPolicyValue(value: unknown): string {
  if (typeof value === 'string') return value;
  const fn = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
  if (fn.Ref === 'AWS::Partition') return 'aws';
  if (fn.Ref === 'AWS::Region') return TEST_REGION;
  if (fn.Ref === 'AWS::AccountId') return TEST_ACCOUNT;
  if (fn['Fn::GetAtt']?.[1] === 'Arn') return `arn:test:${fn['Fn::GetAtt'][0]}`;
  if (fn['Fn::Join']) return fn['Fn::Join'][1].map(renderPolicyValue).join(fn['Fn::Join'][0]);
  throw new Error(`unexpected value in a policy: ${JSON.stringify(value)}`);
}

/** IAM's matching of an action or resource pattern (`*` any characters). */
const matches = (patterns: unknown, value: string) =>
  ([] as unknown[]).concat(patterns).some((p) => new RegExp(`^${renderPolicyValue(p).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(value));

interface S3Request {
  readonly principalArn: string;
  readonly action: string;
  readonly resource: string;
}

/**
 * Whether an explicit deny of the bucket policy refuses `request`, made by a role session over TLS
 * 1.3 (so the TLS-only denies do not apply). A condition this does not know fails the test.
 */
function deniedByBucketPolicy(statements: Array<Record<string, unknown>>, request: S3Request): boolean {
  const conditionHolds = (operator: string, key: string, expected: unknown): boolean => {
    if (operator === 'Bool' && key === 'aws:SecureTransport') return expected === 'true';
    if (operator === 'NumericLessThan' && key === 's3:TlsVersion') return 1.3 < Number(expected);
    if (operator === 'ArnNotEquals' && key === 'aws:PrincipalArn') return !matches(expected, request.principalArn);
    if (operator === 'ArnEquals' && key === 'aws:PrincipalArn') return matches(expected, request.principalArn);
    throw new Error(`unexpected condition ${operator} ${key}`);
  };
  return statements.some(
    (s) =>
      s.Effect === 'Deny' &&
      matches(s.Action, request.action) &&
      (s.NotResource !== undefined ? !matches(s.NotResource, request.resource) : matches(s.Resource, request.resource)) &&
      Object.entries((s.Condition ?? {}) as Record<string, Record<string, unknown>>).every(([operator, keys]) =>
        Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, expected)),
      ),
  );
}

const mapConfig = (extra: Record<string, unknown> = {}) => ({ ...exampleConfig(), sweepEngine: 'distributed-map' as const, ...extra });

describe('Distributed Map engine: the state machine', () => {
  let stack: TgTokenRotationStack;
  let template: Template;
  let asl: Asl;
  let r: TgTokenRotationStack['rotation'];
  let fnArn: (fn: { functionArn: string }) => string;

  beforeAll(() => {
    ({ stack, template } = synthesize(mapConfig({ distributedMap: { batchSize: 250, toleratedFailurePercentage: 10 } })));
    r = stack.rotation;
    asl = renderDefinition(template);
    fnArn = (fn) => `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:${(resolve(stack, fn.functionArn) as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]}`;
  }, SYNTH_TIMEOUT_MS);

  it('renders to Amazon States Language that asl-validator accepts (paths and ARNs checked)', () => {
    // asl-validator fills in defaults (QueryLanguage) on what it is given: hand it a copy.
    const result = validateAsl(structuredClone(asl), { checkPaths: true, checkArn: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
 
    // The validator is live: a broken copy fails.
    const broken = structuredClone(asl);
    (broken.States[SWEEP_STATES.map] as Record<string, unknown>).ToleratedFailurePercentage = 150;
    (broken.States[SWEEP_STATES.choice] as { Default: string }).Default = 'Nowhere';
    expect(validateAsl(broken, { checkPaths: true, checkArn: true }).isValid).toBe(false);
  });

  it('lists the fleet first, to fleet/<execution name>.jsonl in the bucket, with the configured batch size; nothing to do ends the run', () => {
    expect(asl.StartAt).toBe(SWEEP_STATES.list);
    const bucket = `ref-${logicalId(stack, r.sweepMap!.bucket).toLowerCase()}`;
    expect(asl.States[SWEEP_STATES.list]).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: fnArn(r.fleetListFunction!),
        Payload: { bucket, 'key.$': "States.Format('fleet/{}.jsonl', $$.Execution.Name)", batchSize: 250 },
      },
      OutputPath: '$.Payload',
      Next: SWEEP_STATES.choice,
    });
    expect(asl.States[SWEEP_STATES.choice]).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.count', NumericGreaterThan: 0, Next: SWEEP_STATES.map }],
      Default: SWEEP_STATES.nothing,
    });
    expect(asl.States[SWEEP_STATES.nothing]).toMatchObject({ Type: 'Succeed' });
  });

  it('maps over the JSONL list in batches, at the concurrency and shares of the list step’s plan, tolerating the configured failures, results to S3', () => {
    const bucket = `ref-${logicalId(stack, r.sweepMap!.bucket).toLowerCase()}`;
    const map = asl.States[SWEEP_STATES.map]!;
    expect(map.Type).toBe('Map');
    expect(map.ItemReader).toEqual({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSONL' },
      Parameters: { Bucket: bucket, 'Key.$': '$.key' },
    });
    expect(map.ItemBatcher).toEqual({
      MaxItemsPerBatchPath: '$.plan.batchSize',
      BatchInput: {
        'writesPerSecond.$': '$.plan.perWorker.writesPerSecond',
        'rotationsPerSecond.$': '$.plan.perWorker.rotationsPerSecond',
        'batchGetPerSecond.$': '$.plan.perWorker.batchGetPerSecond',
        // Where the holders index is, as the list step answered it: a bucket and key, no presigned URL.
        holders: { 'bucket.$': '$.holders.bucket', 'key.$': '$.holders.key' },
      },
    });
    expect(JSON.stringify(map.ItemBatcher)).not.toMatch(/X-Amz-|Signature|presign/i);
    expect(map.MaxConcurrencyPath).toBe('$.plan.maxConcurrency');
    expect(map.MaxConcurrency).toBeUndefined();
    expect(map.ToleratedFailurePercentage).toBe(10);
    expect(map.ResultWriter).toEqual({ Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: bucket, Prefix: 'results' } });
    expect(map.ResultPath).toBe('$.results');
    expect(map.End).toBe(true);
  });

  it('runs each batch as a Standard child execution invoking the scheduled-refresh function with the batch as its event', () => {
    const processor = asl.States[SWEEP_STATES.map]!.ItemProcessor as Asl & { ProcessorConfig: unknown };
    expect(processor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(processor.StartAt).toBe(SWEEP_STATES.worker);
    const worker = processor.States[SWEEP_STATES.worker]!;
    expect(worker).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: fnArn(r.scheduledRefreshFunction), 'Payload.$': '$' },
      End: true,
    });
    // Counts only (not the failed list): a batch's output stays small whatever fails.
    expect(Object.keys(worker.ResultSelector as object).sort()).toEqual(
      ['checked.$', 'expiring.$', 'failures.$', 'refreshed.$', 'revokeFailures.$', 'revoked.$', 'rotated.$', 'skipped.$'].sort(),
    );
    // Only the Lambda service's own errors are retried; a worker that fails counts against the tolerance.
    for (const task of [worker, asl.States[SWEEP_STATES.list]!]) {
      expect((task.Retry as Array<{ ErrorEquals: string[] }>).flatMap((x) => x.ErrorEquals)).not.toContain('States.ALL');
    }
  });

  it('times out after one schedule period, so runs never overlap', () => {
    expect(asl.TimeoutSeconds).toBe(3600);
  });

  it('is, state by state and field by field, the definition the engine wrote as raw ASL before it used aws-cdk-lib’s DistributedMap', () => {
    const bucket = `ref-${logicalId(stack, r.sweepMap!.bucket).toLowerCase()}`;
    const retry = [
      {
        ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
        IntervalSeconds: 2,
        MaxAttempts: 6,
        BackoffRate: 2,
        JitterStrategy: 'FULL',
      },
    ];
    const counts = ['checked', 'refreshed', 'rotated', 'revoked', 'expiring', 'skipped', 'revokeFailures'];
    expect(asl).toEqual({
      Comment:
        'tg-token-rotation sweep: list the managed secrets to S3, then sweep them in batches (Distributed Map), each worker at its share of the Secrets Manager budgets',
      StartAt: 'ListFleet',
      TimeoutSeconds: 3600,
      States: {
        ListFleet: {
          Type: 'Task',
          Comment: 'The managed secrets as JSON Lines, and the plan: batch size, MaxConcurrency, the share of the budgets each worker gets',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: {
            FunctionName: fnArn(r.fleetListFunction!),
            Payload: { bucket, 'key.$': "States.Format('fleet/{}.jsonl', $$.Execution.Name)", batchSize: 250 },
          },
          OutputPath: '$.Payload',
          Retry: retry,
          Next: 'AnythingToSweep',
        },
        AnythingToSweep: { Type: 'Choice', Choices: [{ Variable: '$.count', NumericGreaterThan: 0, Next: 'SweepBatches' }], Default: 'NothingToSweep' },
        NothingToSweep: { Type: 'Succeed', Comment: 'No managed secret' },
        SweepBatches: {
          Type: 'Map',
          Comment: 'Batches of ids to the scheduled-refresh function, each with its share of the write and rotation budgets',
          Label: 'SweepBatches',
          ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSONL' }, Parameters: { Bucket: bucket, 'Key.$': '$.key' } },
          ItemBatcher: {
            MaxItemsPerBatchPath: '$.plan.batchSize',
            BatchInput: {
              'writesPerSecond.$': '$.plan.perWorker.writesPerSecond',
              'rotationsPerSecond.$': '$.plan.perWorker.rotationsPerSecond',
              'batchGetPerSecond.$': '$.plan.perWorker.batchGetPerSecond',
              holders: { 'bucket.$': '$.holders.bucket', 'key.$': '$.holders.key' },
            },
          },
          MaxConcurrencyPath: '$.plan.maxConcurrency',
          ToleratedFailurePercentage: 10,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'SweepBatch',
            States: {
              SweepBatch: {
                Type: 'Task',
                Resource: 'arn:aws:states:::lambda:invoke',
                Parameters: { FunctionName: fnArn(r.scheduledRefreshFunction), 'Payload.$': '$' },
                ResultSelector: { ...Object.fromEntries(counts.map((c) => [`${c}.$`, `$.Payload.${c}`])), 'failures.$': 'States.ArrayLength($.Payload.failed)' },
                Retry: retry,
                End: true,
              },
            },
          },
          ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: bucket, Prefix: 'results' } },
          ResultPath: '$.results',
          End: true,
        },
      },
    });
  });

  it('a tolerance of 0 leaves ToleratedFailurePercentage out, which Step Functions reads as 0 (DistributedMap renders no falsy value)', { timeout: SYNTH_TIMEOUT_MS }, () => {
    const strict = renderDefinition(synthesize(mapConfig({ distributedMap: { toleratedFailurePercentage: 0 } })).template);
    expect(strict.States[SWEEP_STATES.map]).not.toHaveProperty('ToleratedFailurePercentage');
    expect(strict.States[SWEEP_STATES.map]).not.toHaveProperty('ToleratedFailurePercentagePath');
    expect(validateAsl(structuredClone(strict), { checkPaths: true, checkArn: true }).isValid).toBe(true);
  });

  it('takes none of the IAM the aws-cdk-lib states offer: no DistributedMapPolicy, no bucket-wide S3, no function versions, no redrive', () => {
    expect(stack.node.findAll().filter((c) => c.node.id === 'DistributedMapPolicy')).toEqual([]);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    const text = JSON.stringify(statements);
    expect(text).not.toContain('states:RedriveExecution');
    const bucketArn = resolve(stack, r.sweepMap!.bucket.bucketArn);
    const bucketWide = [{ 'Fn::Join': ['', [bucketArn, '/*']] }, { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', resolve(stack, r.sweepMap!.bucket.bucketName), '/*']] }];
    for (const resource of bucketWide) expect(text).not.toContain(JSON.stringify(resource));
    for (const fn of [r.fleetListFunction!, r.scheduledRefreshFunction]) {
      expect(text).not.toContain(JSON.stringify({ 'Fn::Join': ['', [resolve(stack, fn.functionArn), ':*']] }));
    }
  });

  it('is a Standard state machine logging every event (no execution data) to its own retained log group, without X-Ray when tracing is off', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      RoleArn: resolve(stack, r.sweepMap!.role.roleArn),
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: resolve(stack, r.sweepMap!.logGroup.logGroupArn) } }],
      },
      TracingConfiguration: { Enabled: false },
    });
    expect(template.toJSON().Resources[logicalId(stack, r.sweepMap!.logGroup)]).toMatchObject({ Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Retain' });
    // Created after its role's policy: Step Functions checks the log delivery permissions on creation.
    const machine = template.toJSON().Resources[logicalId(stack, r.sweepMap!.stateMachine)];
    expect(machine.DependsOn).toEqual(expect.arrayContaining([logicalId(stack, r.sweepMap!.role)]));
  });
});

describe('Distributed Map engine: the plan the map reads', () => {
  it('at the default budgets: 40 workers at 1 write/s and 1 rotation/s each for a large fleet, as many workers as batches for a small one', () => {
    const large = planFleetMap({ count: 100_000, settings: DEFAULT_SETTINGS, tagDiscovery: true });
    expect(large).toMatchObject({ batchSize: DISTRIBUTED_MAP_DEFAULTS.batchSize, batches: 100, maxConcurrency: 40 });
    expect(large.perWorker.writesPerSecond).toBeCloseTo(1);
    expect(large.perWorker.rotationsPerSecond).toBeCloseTo(1);
    const small = planFleetMap({ count: 2_500, settings: DEFAULT_SETTINGS, tagDiscovery: false });
    expect(small).toMatchObject({ batches: 3, maxConcurrency: 3 });
    expect(small.perWorker.writesPerSecond).toBeCloseTo(40 / 3);
  });

  it('never lets the map exceed the settings’ budgets: concurrency times each share is the whole budget', () => {
    for (const count of [1, 999, 1_001, 25_000, 1_000_000]) {
      for (const settings of [DEFAULT_SETTINGS, { writesPerSecond: 7.5, rotationsPerSecond: 3 }, { writesPerSecond: 0.5, rotationsPerSecond: 0.5 }]) {
        for (const batchSize of [1, 100, 1_000]) {
          const plan = planFleetMap({ count, batchSize, settings, tagDiscovery: false });
          expect(plan.maxConcurrency).toBeGreaterThanOrEqual(1);
          expect(Number.isInteger(plan.maxConcurrency) && Number.isInteger(plan.batchSize)).toBe(true);
          expect(plan.maxConcurrency).toBeLessThanOrEqual(plan.batches);
          expect(plan.maxConcurrency * plan.perWorker.writesPerSecond).toBeCloseTo(settings.writesPerSecond);
          expect(plan.maxConcurrency * plan.perWorker.rotationsPerSecond).toBeCloseTo(settings.rotationsPerSecond);
          // What the map hands the worker must pass its event schema (positive numbers).
          expect(plan.perWorker.writesPerSecond).toBeGreaterThan(0);
        }
      }
    }
  });
});

describe.each(ENVIRONMENTS)('Distributed Map engine: bucket and least privilege (%s)', (_name, env) => {
  let stack: TgTokenRotationStack;
  let template: Template;
  let r: TgTokenRotationStack['rotation'];
  let bucketArn: unknown;
  const objects = (prefix: string) => ({ 'Fn::Join': ['', [bucketArn, `/${prefix}/*`]] });

  beforeAll(() => {
    ({ stack, template } = synthesize(mapConfig(), env ? { env } : {}));
    r = stack.rotation;
    bucketArn = resolve(stack, r.sweepMap!.bucket.bucketArn);
  }, SYNTH_TIMEOUT_MS);

  /** The bucket policy's statements. */
  const bucketPolicy = () => {
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(1);
    expect(policies[0]!.Properties.Bucket).toEqual(resolve(stack, r.sweepMap!.bucket.bucketName));
    return policies[0]!.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
  };

  it('keeps run objects in an S3-encrypted, TLS-only, private, versioned bucket that expires current and noncurrent versions after 14 days', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: [
            { Id: 'ExpireRuns', Status: 'Enabled', ExpirationInDays: 14, NoncurrentVersionExpiration: { NoncurrentDays: 14 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
          ],
        },
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('the bucket policy: TLS 1.2 only, fleet/ written only by the list step and read only by the state machine and (holders indexes only) the workers, results written only by the state machine', () => {
    const bucketAndObjects = [bucketArn, { 'Fn::Join': ['', [bucketArn, '/*']] }];
    const except = (role: Parameters<typeof resolve>[1]) => ({ ArnNotEquals: { 'aws:PrincipalArn': resolve(stack, role) } });
    const deny = { Effect: 'Deny', Principal: { AWS: '*' } };
    expect(bucketPolicy()).toEqual([
      { ...deny, Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: bucketAndObjects },
      { ...deny, Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } }, Resource: bucketAndObjects },
      { ...deny, Sid: 'OnlyTheListStepWritesFleetLists', Action: ['s3:PutObject', 's3:ReplicateObject'], Condition: except(r.fleetListFunction!.role!.roleArn), Resource: objects('fleet') },
      {
        ...deny,
        Sid: 'OnlyTheStateMachineAndWorkersReadFleet',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [resolve(stack, r.sweepMap!.role.roleArn), resolve(stack, r.scheduledRefreshFunction.role!.roleArn)] } },
        Resource: objects('fleet'),
      },
      { ...deny, Sid: 'OnlyTheStateMachineWritesResults', Action: ['s3:PutObject', 's3:ReplicateObject'], Condition: except(r.sweepMap!.role.roleArn), Resource: objects('results') },
      {
        ...deny,
        Sid: 'WorkersReadOnlyHoldersIndexes',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Condition: { ArnEquals: { 'aws:PrincipalArn': resolve(stack, r.scheduledRefreshFunction.role!.roleArn) } },
        NotResource: { 'Fn::Join': ['', [bucketArn, '/fleet/*.holders.jsonl']] },
      },
    ]);
  });

  it('the bucket policy refuses the attacks: an administrator (s3:* on *) writing or reading a fleet list or writing results; the three roles only do their part', () => {
    const statements = bucketPolicy();
    const arnOf = (role: { roleArn: string }) => renderPolicyValue(resolve(stack, role.roleArn));
    const admin = `arn:aws:iam::${TEST_ACCOUNT}:role/Administrator`;
    const list = arnOf(r.fleetListFunction!.role!);
    const machine = arnOf(r.sweepMap!.role);
    const worker = arnOf(r.scheduledRefreshFunction.role!);
    const bucket = renderPolicyValue(bucketArn);
    const denied = (principalArn: string, action: string, key: string) => deniedByBucketPolicy(statements, { principalArn, action, resource: `${bucket}/${key}` });
    // The attacks.
    expect(denied(admin, 's3:PutObject', 'fleet/run-1.jsonl')).toBe(true);
    expect(denied(admin, 's3:ReplicateObject', 'fleet/run-1.jsonl')).toBe(true);
    expect(denied(admin, 's3:GetObject', 'fleet/run-1.jsonl')).toBe(true);
    expect(denied(admin, 's3:GetObjectVersion', 'fleet/run-1.jsonl')).toBe(true);
    expect(denied(admin, 's3:PutObject', 'results/run/manifest.json')).toBe(true);
    expect(denied(list, 's3:GetObject', 'fleet/run-1.jsonl')).toBe(true);
    expect(denied(list, 's3:PutObject', 'results/run/manifest.json')).toBe(true);
    expect(denied(machine, 's3:PutObject', 'fleet/run-1.jsonl')).toBe(true);
    // The worker reads the holders indexes and nothing else: not a fleet list, not results, not a key that only looks like an index.
    expect(denied(worker, 's3:GetObject', 'fleet/run-1.jsonl')).toBe(true);
    expect(denied(worker, 's3:GetObject', 'results/run/manifest.json')).toBe(true);
    expect(denied(worker, 's3:GetObject', 'results/run-1.holders.jsonl')).toBe(true);
    expect(denied(worker, 's3:PutObject', 'fleet/run-1.holders.jsonl')).toBe(true);
    expect(denied(admin, 's3:GetObject', 'fleet/run-1.holders.jsonl')).toBe(true);
    expect(denied(worker, 's3:GetObject', 'fleet/run-1.holders.jsonl')).toBe(false);
    // What each role needs, and what the fence leaves to operators (deletes; reading results).
    expect(denied(list, 's3:PutObject', 'fleet/run-1.jsonl')).toBe(false);
    expect(denied(machine, 's3:GetObject', 'fleet/run-1.jsonl')).toBe(false);
    expect(denied(list, 's3:PutObject', 'fleet/run-1.holders.jsonl')).toBe(false);
    expect(denied(machine, 's3:PutObject', 'results/run/manifest.json')).toBe(false);
    expect(denied(admin, 's3:DeleteObject', 'fleet/run-1.jsonl')).toBe(false);
    expect(denied(admin, 's3:GetObject', 'results/run/manifest.json')).toBe(false);
  });

  it('SECURITY.md lists the bucket policy statement by statement', () => {
    const names = {
      [logicalId(stack, r.sweepMap!.bucket)]: 'bucket',
      [logicalId(stack, r.fleetListFunction!.role!)]: 'fleet-list function role',
      [logicalId(stack, r.sweepMap!.role)]: 'sweep state machine role',
      [logicalId(stack, r.scheduledRefreshFunction.role!)]: 'scheduled-refresh function role',
    };
    const documented = documentedPolicyRows(SECURITY_MD, 'sweep bucket', ['fleet-list function role', 'sweep state machine role', 'scheduled-refresh function role']);
    expect(documented).toEqual(templatePolicyRows(bucketPolicy(), names));
  });

  it('state machine role: invoke the two functions, read fleet lists, write results, deliver its logs, start/describe/stop its own executions; assumable only from this account', () => {
    const roleId = logicalId(stack, r.sweepMap!.role);
    expect(statementsOfRole(template, roleId)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: [resolve(stack, r.fleetListFunction!.functionArn), resolve(stack, r.scheduledRefreshFunction.functionArn)],
      },
      { Action: 's3:GetObject', Effect: 'Allow', Resource: objects('fleet') },
      { Action: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'], Effect: 'Allow', Resource: objects('results') },
      {
        Action: [
          'logs:CreateLogDelivery',
          'logs:GetLogDelivery',
          'logs:UpdateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:DescribeResourcePolicies',
          'logs:DescribeLogGroups',
        ],
        Effect: 'Allow',
        Resource: '*',
      },
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: resolve(stack, r.sweepMap!.stateMachine.stateMachineArn) },
      {
        Action: ['states:DescribeExecution', 'states:StopExecution'],
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ...(env ? [`:states:${env.region}:${env.account}:execution:`] : [':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':execution:']),
              resolve(stack, r.sweepMap!.stateMachine.stateMachineName),
              ':*',
            ],
          ],
        },
      },
    ]);
    expect(template.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': resolve(stack, stack.account) } },
        Effect: 'Allow',
        Principal: { Service: 'states.amazonaws.com' },
      },
    ]);
    expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('fleet-list: its logs, the settings, write fleet lists, read (only read) the token secrets for the holders index; no credential, no write, no ListSecrets without tag discovery', () => {
    const fn = r.fleetListFunction!;
    const tokenSecrets = r.connections.map((c) => resolve(stack, c.tokenSecret.secretArn));
    expect(roleStatements(stack, template, fn.role!)).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: resolve(stack, fn.logGroup.logGroupArn) },
      { Action: 'ssm:GetParameter', Effect: 'Allow', Resource: resolve(stack, r.settingsParameter.parameterArn) },
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: tokenSecrets },
      { Action: 'secretsmanager:BatchGetSecretValue', Effect: 'Allow', Resource: '*' },
      {
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: resolve(stack, r.key.keyArn),
        Condition: { StringEquals: { 'kms:EncryptionContext:SecretARN': tokenSecrets, 'kms:ViaService': expect.anything() } },
      },
      { Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Effect: 'Allow', Resource: objects('fleet') },
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: resolve(stack, fn.role!.roleArn),
      Timeout: 900,
      MemorySize: 1024,
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'tg-token-rotation-fleet-list',
          [ENV.MANAGED_SECRET_IDS]: { 'Fn::Join': [',', r.connections.map((c) => resolve(stack, c.tokenSecret.secretArn))] },
        }),
      },
    });
  });

  it('the worker is the scheduled-refresh function with 15 minutes for a batch, reading only the holders indexes of the bucket; the write fence does not list the fleet-list role', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Role: resolve(stack, r.scheduledRefreshFunction.role!.roleArn), Timeout: 900 });
    const fence = JSON.stringify(Object.values(template.findResources('AWS::SecretsManager::ResourcePolicy')));
    expect(fence).not.toContain(logicalId(stack, r.fleetListFunction!.role!));
    // Of the bucket, the worker may read the holders indexes and nothing else.
    const s3Statements = roleStatements(stack, template, r.scheduledRefreshFunction.role!).filter((st) => JSON.stringify(st.Action).includes('s3:'));
    expect(s3Statements).toEqual([{ Action: 's3:GetObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [bucketArn, '/fleet/*.holders.jsonl']] } }]);
  });

  it('the schedule starts the state machine (input {}), after the map’s own permissions exist; its role may only start that state machine and send to the DLQ', () => {
    const scheduleId = logicalId(stack, r.schedule);
    const schedule = template.toJSON().Resources[scheduleId];
    expect(schedule.Properties.Target).toMatchObject({ Arn: resolve(stack, r.sweepMap!.stateMachine.stateMachineArn), Input: '{}' });
    expect(schedule.DependsOn).toEqual(expect.arrayContaining([logicalId(stack, r.sweepMap!.executionPolicy)]));
    const roleId = logicalId(stack, r.node.findChild('SchedulerRole'));
    expect(statementsOfRole(template, roleId).map((s) => [s.Action, s.Resource])).toEqual([
      ['states:StartExecution', resolve(stack, r.sweepMap!.stateMachine.stateMachineArn)],
      ['sqs:SendMessage', resolve(stack, r.scheduleDeadLetterQueue.queueArn)],
      [['kms:Decrypt', 'kms:GenerateDataKey'], resolve(stack, r.key.keyArn)],
    ]);
  });

  it('outputs the state machine and the bucket', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.SweepStateMachineArn!.Value).toEqual(resolve(stack, r.sweepMap!.stateMachine.stateMachineArn));
    expect(outputs.SweepBucketName!.Value).toEqual(resolve(stack, r.sweepMap!.bucket.bucketName));
  });
});

describe('Distributed Map engine: alarms and dashboard', () => {
  let stack: TgTokenRotationStack;
  let template: Template;

  beforeAll(() => {
    ({ stack, template } = synthesize(mapConfig()));
  }, SYNTH_TIMEOUT_MS);

  it('keeps the eight alarms of the one-Lambda engine and adds one on failed or timed-out executions', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 9);
    const machine = resolve(stack, stack.rotation.sweepMap!.stateMachine.stateMachineArn);
    const metric = (name: string) => ({
      Metric: { Namespace: 'AWS/States', MetricName: name, Dimensions: [{ Name: 'StateMachineArn', Value: machine }] },
      Period: 300,
      Stat: 'Sum',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0)', ReturnData: true }),
        { Id: 'failed', MetricStat: metric('ExecutionsFailed'), ReturnData: false },
        { Id: 'timedOut', MetricStat: metric('ExecutionsTimedOut'), ReturnData: false },
      ]),
    });
    // The expiry alarm still reads the Minimum over every batch's datapoint, missing data breaching.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'MinSecondsToExpiry', Statistic: 'Minimum', TreatMissingData: 'breaching' });
  });

  it('sums the per-run counts over the batches, and shows the executions and their duration', () => {
    const widgets = dashboardBody(template).widgets;
    const stat = (title: string, metricName: string) => {
      const widget = widgets.find((w) => w.properties.title.startsWith(title))!;
      const line = widget.properties.metrics.find((m) => m.includes(metricName))!;
      return (line.find((x) => typeof x === 'object' && x !== null && 'stat' in (x as object)) as { stat: string }).stat;
    };
    expect(stat('Sweep coverage', 'SecretsChecked')).toBe('Sum');
    expect(stat('Sweep coverage', 'SecretsSkipped')).toBe('Sum');
    expect(stat('Rotations, refreshes and revokes', 'TokensExpiring')).toBe('Sum');
    expect(stat('Tokens by time to expiry', 'MinSecondsToExpiry')).toBe('Minimum');
    expect(widgets.map((w) => w.properties.title)).toEqual(
      expect.arrayContaining(['Sweep duration per batch (ms)', 'Sweep state machine: executions', 'Sweep state machine: execution time (ms), the whole run']),
    );
  });
});

// Issue 25: with a concrete account and region (as `cdk deploy` synthesizes) the execution ARN's
// finding names them literally; an acknowledgment written for <AWS::Region>:<AWS::AccountId> missed it.
describe.each(ENVIRONMENTS)('cdk-nag AwsSolutions with the Distributed Map engine (%s)', (_name, env) => {
  const variants: Array<[string, Record<string, unknown>]> = [
    ['example config', {}],
    ['tracing and tag discovery', { tracing: true, discoverSecretsByTag: true }],
  ];
  const synthesized = new Map<string, Synthesized>();
  beforeAll(() => {
    for (const [name, extra] of variants) synthesized.set(name, synthesize(mapConfig(extra), env ? { env } : {}));
  }, SYNTH_TIMEOUT_MS);

  it.each(variants)('has no unacknowledged findings (%s)', (name) => {
    expect(nagViolations(synthesized.get(name)!.stack)).toEqual([]);
  });

  it('acknowledges these rules, each with a reason: server access logs of the run bucket, X-Ray while tracing is off, the run-time object keys and child executions', () => {
    const { stack } = synthesized.get('example config')!;
    const acks = acknowledgments(stack);
    const bucketId = logicalId(stack, stack.rotation.sweepMap!.bucket);
    const machineId = logicalId(stack, stack.rotation.sweepMap!.stateMachine);
    expect([...acks.keys()].sort()).toEqual(
      [
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-L1',
        'AwsSolutions-S1',
        'AwsSolutions-SF2',
        'AwsSolutions-SMG4',
        'AwsSolutions-SQS3',
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/fleet/*]`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/fleet/*.holders.jsonl]`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/results/*]`,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${env ? `${env.region}:${env.account}` : '<AWS::Region>:<AWS::AccountId>'}:execution:<${machineId}.Name>:*]`,
      ].sort(),
    );
    for (const reasons of acks.values()) for (const reason of reasons) expect(reason.length).toBeGreaterThan(40);
    expect(acknowledgedAt(stack, 'AwsSolutions-S1')).toEqual(['Test/Rotation/SweepBucket']);
    expect(acknowledgedAt(stack, 'AwsSolutions-SF2')).toEqual(['Test/Rotation/SweepStateMachine']);
    expect(acknowledgedAt(stack, `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/fleet/*]`)).toEqual(['Test/Rotation/FleetListRole', 'Test/Rotation/SweepRole']);
    // The worker's read of the holders indexes: its own pattern, on its role only.
    expect(acknowledgedAt(stack, `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/fleet/*.holders.jsonl]`)).toEqual([expect.stringMatching(/ScheduledRefresh.*Role$/)]);
    // The state machine role's * is log delivery only (no X-Ray while tracing is off).
    expect(acknowledgedAt(stack, 'AwsSolutions-IAM5[Resource::*]')).toContain('Test/Rotation/SweepRole');
    expect(acks.get('AwsSolutions-IAM5[Resource::*]')!.some((reason) => reason.includes('vended log delivery') && !reason.includes('X-Ray'))).toBe(true);
  });

  it('with tracing: X-Ray on the state machine and its role (acknowledged), nothing acknowledged for SF2; ListSecrets for the list step with tag discovery', () => {
    const { stack, template } = synthesized.get('tracing and tag discovery')!;
    const r = stack.rotation;
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true } });
    expect(acknowledgments(stack).has('AwsSolutions-SF2')).toBe(false);
    const roleStatementsOf = (role: Parameters<typeof logicalId>[1]) => statementsOfRole(template, logicalId(stack, role));
    expect(roleStatementsOf(r.sweepMap!.role)).toContainEqual({
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
      Effect: 'Allow',
      Resource: '*',
    });
    expect(roleStatementsOf(r.fleetListFunction!.role!)).toContainEqual({ Action: 'secretsmanager:ListSecrets', Effect: 'Allow', Resource: '*' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: resolve(stack as Stack, r.fleetListFunction!.role!.roleArn),
      Environment: { Variables: Match.objectLike({ [ENV.FLEET_DISCOVERY]: 'tag' }) },
    });
  });
});

describe('the one-Lambda engine (the default) is unchanged', () => {
  it('has no state machine, bucket or fleet-list function, and the schedule invokes the scheduled refresh', { timeout: SYNTH_TIMEOUT_MS }, () => {
    const { stack, template } = synthesize();
    const r = stack.rotation;
    expect(r.sweepEngine).toBe('lambda');
    expect(r.sweepMap).toBeUndefined();
    expect(r.fleetListFunction).toBeUndefined();
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::Lambda::Function', 4);
    expect(template.toJSON().Resources[logicalId(stack, r.schedule)].Properties.Target.Arn).toEqual(resolve(stack, r.scheduledRefreshFunction.functionArn));
    template.hasResourceProperties('AWS::Lambda::Function', { Role: resolve(stack, r.scheduledRefreshFunction.role!.roleArn), Timeout: 300 });
  });
});

describe('config and construct options', () => {
  const conn = { name: 'prod', host: 'https://tg.example.com' };

  it('defaults to the one-Lambda engine; the map options get their defaults', () => {
    const plain = parseConfig({ connections: [conn] });
    expect(plain.sweepEngine).toBe('lambda');
    expect(plain.distributedMap).toBeUndefined();
    expect(parseConfig({ connections: [conn], sweepEngine: 'distributed-map', distributedMap: {} })).toMatchObject({
      sweepEngine: 'distributed-map',
      distributedMap: { batchSize: 1000, toleratedFailurePercentage: 5, runRetentionDays: 14 },
    });
  });

  it('refuses an unknown engine, map options without the map engine, and options out of bounds, naming each field', () => {
    const issues = (input: Record<string, unknown>) => {
      try {
        parseConfig({ connections: [conn], ...input });
      } catch (e) {
        return (e as DeploymentConfigError).issues;
      }
      return [];
    };
    expect(issues({ sweepEngine: 'step-functions' })).toEqual(['sweepEngine: expected one of "lambda", "distributed-map"']);
    expect(issues({ distributedMap: { batchSize: 10 } })).toEqual(['distributedMap: only with sweepEngine "distributed-map"']);
    expect(issues({ sweepEngine: 'distributed-map', distributedMap: { batchSize: 0, toleratedFailurePercentage: 101, runRetentionDays: 1.5, extra: 1 } })).toEqual([
      'distributedMap.batchSize: expected at least 1',
      'distributedMap.toleratedFailurePercentage: expected at most 100',
      'distributedMap.runRetentionDays: expected an integer',
      'distributedMap: unknown field(s) "extra"',
    ]);
  });

  it('checks the construct props too (for users of the construct without the JSON config)', () => {
    expect(() => validateSweepEngine('TokenRotation', 'lambda', { batchSize: 10 })).toThrow('TokenRotation: distributedMap: only with sweepEngine "distributed-map"');
    expect(() => validateSweepEngine('TokenRotation', 'distributed-map', { batchSize: 5001 })).toThrow('TokenRotation: distributedMap.batchSize: expected an integer from 1 to 5000, got 5001');
    expect(() => validateSweepEngine('TokenRotation', 'fargate', undefined)).toThrow('TokenRotation: sweepEngine: expected one of "lambda", "distributed-map", got "fargate"');
    expect(() => validateSweepEngine('TokenRotation', 'distributed-map', { batchSize: 1, toleratedFailurePercentage: 0 })).not.toThrow();
  });
});
