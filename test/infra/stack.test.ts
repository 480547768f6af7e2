/**
 * The stack from infra/config.example.json (two connections, created credential secrets, no VPC,
 * no alarm topic): every resource, the exact IAM of each function, and cdk-nag.
 */
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TgTokenRotationStack } from '../../infra/stack.js';
import { acknowledgments, logicalId, nagViolations, resolve, roleStatements, synthesize } from './helpers.js';

let stack: TgTokenRotationStack;
let template: Template;
let r: TgTokenRotationStack['rotation'];
/** Template references, e.g. { Ref: "RotationanalyticsToken…" }. */
let ref: {
  tokens: unknown[];
  credentials: unknown[];
  key: unknown;
  param: unknown;
  viaSecretsManager: unknown;
};

beforeAll(() => {
  ({ stack, template } = synthesize());
  r = stack.rotation;
  ref = {
    tokens: r.connections.map((c) => resolve(stack, c.tokenSecret.secretArn)),
    credentials: r.connections.map((c) => resolve(stack, c.credentialSecret.secretArn)),
    key: resolve(stack, r.key.keyArn),
    param: resolve(stack, r.settingsParameter.parameterArn),
    viaSecretsManager: {
      StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
    },
  };
});

const logsStatement = (logGroup: unknown) => ({
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Effect: 'Allow',
  Resource: logGroup,
});

describe('secrets and key', () => {
  it('creates one customer managed key with rotation, retained', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('creates a token secret per connection with the contract JSON, the managed tag and the key', () => {
    const analytics = r.connections[0]!;
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'tg-token-rotation/analytics/token',
      KmsKeyId: ref.key,
      Tags: Match.arrayWith([{ Key: 'tg-token-rotation:managed', Value: 'true' }]),
      SecretString: {
        'Fn::Join': [
          '',
          [
            '{"host":"https://analytics.i.tgcloud.io","tigergraphVersion":"4","restppPort":443,"gsqlPort":443,"graph":"Analytics","lifetimeSeconds":2592000,"credentialSecretId":"',
            resolve(stack, analytics.credentialSecret.secretArn),
            '"}',
          ],
        ],
      },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'tg-token-rotation/legacy/token',
      Tags: [{ Key: 'tg-token-rotation:managed', Value: 'true' }],
      SecretString: {
        'Fn::Join': [
          '',
          ['{"host":"https://tg3.example.com","tigergraphVersion":"3","graph":"MyGraph","lifetimeSeconds":604800,"credentialSecretId":"', ref.credentials[1], '"}'],
        ],
      },
    });
  });

  it('creates a retained, untagged credential secret to fill in per connection', () => {
    const credentials = template.findResources('AWS::SecretsManager::Secret', {
      Properties: { Name: Match.stringLikeRegexp('/credentials$') },
    });
    expect(Object.keys(credentials)).toHaveLength(2);
    for (const secret of Object.values(credentials)) {
      expect(secret.Properties).toMatchObject({ SecretString: '{"secret":""}', KmsKeyId: ref.key });
      expect(secret.Properties.Tags).toBeUndefined(); // never found by the scheduled refresh
      expect(secret.DeletionPolicy).toBe('Retain');
    }
  });

  it('rotates each token secret with the rotation function at the configured interval', () => {
    const fnArn = resolve(stack, r.rotationFunction.functionArn);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 2);
    template.hasResource('AWS::SecretsManager::RotationSchedule', {
      Properties: { SecretId: ref.tokens[0], RotationLambdaARN: fnArn, RotationRules: { ScheduleExpression: 'rate(7 days)' } },
      // The first rotation starts on creation: the invoke permission and the role policy come first.
      DependsOn: Match.arrayWith([logicalId(stack, r.rotationFunction.role!)]),
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: ref.tokens[1],
      RotationRules: { ScheduleExpression: 'rate(3 days)' },
    });
    const schedule = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule'))[0]!;
    const permissionId = Object.keys(template.findResources('AWS::Lambda::Permission'))[0];
    expect(schedule.DependsOn).toContain(permissionId);
  });

  it("keeps CDK's guard against deleting a token secret while rotation is configured", () => {
    // RotationSchedule adds a resource policy denying DeleteSecret to the account's principals;
    // CloudFormation removes it before the secret on stack deletion.
    template.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 2);
    template.hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
      SecretId: ref.tokens[0],
      ResourcePolicy: { Statement: [Match.objectLike({ Effect: 'Deny', Action: 'secretsmanager:DeleteSecret' })] },
    });
  });

  it('writes the SSM settings parameter', () => {
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/tg-token-rotation/config',
      Type: 'String',
      Value: '{"refreshBeforeSeconds":259200,"revokeGraceSeconds":3600,"concurrency":10}',
    });
  });
});

describe('functions', () => {
  const fns = () =>
    [
      ['rotation', r.rotationFunction, 60, 256],
      ['scheduled-refresh', r.scheduledRefreshFunction, 300, 1024],
      ['on-demand', r.onDemandFunction, 60, 256],
    ] as const;

  it('runs three functions on nodejs22.x, arm64, with their memory, timeouts and environment', () => {
    template.resourceCountIs('AWS::Lambda::Function', 3);
    for (const [name, fn, timeout, memory] of fns()) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: memory,
        Timeout: timeout,
        Handler: 'index.handler',
        Role: resolve(stack, fn.role!.roleArn),
        LoggingConfig: { LogFormat: 'JSON', LogGroup: resolve(stack, fn.logGroup.logGroupName) },
        Environment: {
          Variables: {
            SETTINGS_PARAMETER_NAME: '/tg-token-rotation/config',
            POWERTOOLS_SERVICE_NAME: `tg-token-rotation-${name}`,
            POWERTOOLS_METRICS_NAMESPACE: 'TgTokenRotation',
            LOG_LEVEL: 'INFO',
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
        VpcConfig: Match.absent(),
      });
    }
  });

  it('gives each function its own retained log group with one month retention', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 3);
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    for (const g of groups) {
      expect(g).toMatchObject({ Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Retain' });
    }
  });

  it('uses roles of its own: Lambda may assume them, no managed policies', () => {
    for (const [, fn] of fns()) {
      const role = template.toJSON().Resources[logicalId(stack, fn.role!)];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    }
  });
});

describe('least privilege', () => {
  it('rotation function: its token secrets, read the credential secrets, the key via Secrets Manager, its logs', () => {
    expect(roleStatements(stack, template, r.rotationFunction.role!)).toEqual([
      logsStatement(resolve(stack, r.rotationFunction.logGroup.logGroupArn)),
      {
        Action: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        Effect: 'Allow',
        Resource: ref.tokens,
      },
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: ref.credentials },
      { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: ref.viaSecretsManager, Effect: 'Allow', Resource: ref.key },
    ]);
    // The same, as a template assertion on the exact policy document.
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack, r.rotationFunction.role!) }],
      PolicyDocument: Match.objectEquals({
        Version: '2012-10-17',
        Statement: roleStatements(stack, template, r.rotationFunction.role!),
      }),
    });
  });

  /** What scheduled-refresh and on-demand share: token secrets, invoking the rotation, credentials, key, settings. */
  const tokenOperationStatements = () => [
    {
      Action: [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:ListSecretVersionIds',
        'secretsmanager:PutSecretValue',
        'secretsmanager:RotateSecret',
        'secretsmanager:UpdateSecretVersionStage',
      ],
      Effect: 'Allow',
      Resource: ref.tokens,
    },
    // RotateSecret needs it too: the caller must be allowed to invoke the rotation function.
    { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: resolve(stack, r.rotationFunction.functionArn) },
    { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: ref.credentials },
    { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: ref.viaSecretsManager, Effect: 'Allow', Resource: ref.key },
    { Action: ['ssm:GetParameter', 'ssm:GetParameters'], Effect: 'Allow', Resource: ref.param },
  ];

  it('scheduled refresh: token secrets incl. RotateSecret, credentials read, key, settings, ListSecrets (the only *)', () => {
    expect(roleStatements(stack, template, r.scheduledRefreshFunction.role!)).toEqual([
      logsStatement(resolve(stack, r.scheduledRefreshFunction.logGroup.logGroupArn)),
      ...tokenOperationStatements(),
      { Action: 'secretsmanager:ListSecrets', Effect: 'Allow', Resource: '*' },
    ]);
  });

  it('on-demand: the same on token secrets, no ListSecrets, plus sending to its failure queue', () => {
    expect(roleStatements(stack, template, r.onDemandFunction.role!)).toEqual([
      logsStatement(resolve(stack, r.onDemandFunction.logGroup.logGroupArn)),
      ...tokenOperationStatements(),
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: resolve(stack, r.onDemandFailureQueue.queueArn) },
    ]);
  });

  it('scheduler role: invoke only the scheduled-refresh function, send only to its DLQ, assumable only from this account', () => {
    const schedulerRoleArn = (template.findResources('AWS::Scheduler::Schedule') as Record<string, { Properties: { Target: { RoleArn: unknown } } }>);
    const roleArn = Object.values(schedulerRoleArn)[0]!.Properties.Target.RoleArn as { 'Fn::GetAtt': [string, string] };
    const roleId = roleArn['Fn::GetAtt'][0];
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: Match.exact([
          { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: resolve(stack, r.scheduledRefreshFunction.functionArn) },
          { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: resolve(stack, r.scheduleDeadLetterQueue.queueArn) },
        ]),
      },
    });
    expect(template.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
      },
    ]);
  });

  it('has no wildcard resource anywhere except ListSecrets, and no GetRandomPassword', () => {
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const s of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>) {
        const resources = ([] as unknown[]).concat(s.Resource);
        const actions = ([] as string[]).concat(s.Action);
        expect(actions).not.toContain('secretsmanager:GetRandomPassword');
        if (resources.includes('*')) expect(actions).toEqual(['secretsmanager:ListSecrets']);
        else expect(JSON.stringify(resources)).not.toMatch(/\*|\?\?\?/);
      }
    }
  });

  it('lets Secrets Manager invoke the rotation function only from this account (one permission, nothing else)', () => {
    template.resourceCountIs('AWS::Lambda::Permission', 1);
    template.hasResourceProperties(
      'AWS::Lambda::Permission',
      Match.objectEquals({
        Action: 'lambda:InvokeFunction',
        FunctionName: resolve(stack, r.rotationFunction.functionArn),
        Principal: 'secretsmanager.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
      }),
    );
  });
});

describe('scheduled refresh and failure handling', () => {
  it('schedules the scheduled refresh on EventBridge Scheduler with a retry policy and a DLQ', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: resolve(stack, r.scheduledRefreshFunction.functionArn),
        RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: resolve(stack, r.scheduleDeadLetterQueue.queueArn) },
      },
    });
  });

  it('encrypts both dead-letter queues and refuses plain HTTP to them', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    for (const queue of [r.scheduleDeadLetterQueue, r.onDemandFailureQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [resolve(stack, queue.queueUrl)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('sends failed asynchronous on-demand invocations to the failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: resolve(stack, r.onDemandFunction.functionName),
      DestinationConfig: { OnFailure: { Destination: resolve(stack, r.onDemandFailureQueue.queueArn) } },
    });
  });
});

describe('alarms', () => {
  const service = [{ Name: 'service', Value: 'tg-token-rotation-scheduled-refresh' }];

  it('has six alarms and, without a topic configured, no actions', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.absent() });
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('rotation function Errors >= 1 and scheduled refresh Errors >= 1', () => {
    for (const fn of [r.rotationFunction, r.scheduledRefreshFunction]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: resolve(stack, fn.functionName) }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('scheduled refresh Failures >= 1 over two schedule periods', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'TgTokenRotation',
      MetricName: 'Failures',
      Dimensions: service,
      Statistic: 'Sum',
      Period: 7200,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('MinSecondsToExpiry below the threshold, missing data breaching', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'TgTokenRotation',
      MetricName: 'MinSecondsToExpiry',
      Dimensions: service,
      Statistic: 'Minimum',
      Period: 7200,
      Threshold: 86400,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('dead-letter and failure queues: visible messages >= 1', () => {
    for (const queue of [r.scheduleDeadLetterQueue, r.onDemandFailureQueue]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: resolve(stack, queue.queueName) }],
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });
});

describe('outputs', () => {
  it('names the functions, the token secrets and the credential secrets to fill in', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual([
      'OnDemandFunctionName',
      'RotationFunctionName',
      'ScheduledRefreshFunctionName',
      'SettingsParameterName',
      'analyticsCredentialSecretArn',
      'analyticsTokenSecretArn',
      'legacyCredentialSecretArn',
      'legacyTokenSecretArn',
    ]);
    expect(outputs.analyticsTokenSecretArn!.Value).toEqual(ref.tokens[0]);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('has no unacknowledged findings', () => {
    expect(nagViolations(stack)).toEqual([]);
    // cdk-nag 3 reports through CDK's policy validation rather than annotations; none may appear either.
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });

  it('acknowledges only these rules, each with a reason', () => {
    const acks = acknowledgments(stack);
    expect([...acks.keys()].sort()).toEqual(['AwsSolutions-IAM5[Resource::*]', 'AwsSolutions-L1', 'AwsSolutions-SMG4', 'AwsSolutions-SQS3']);
    for (const reasons of acks.values()) for (const reason of reasons) expect(reason.length).toBeGreaterThan(40);
    // The one IAM5 acknowledgment sits on the scheduled-refresh role (ListSecrets), nowhere else.
    const iam5 = stack.node.findAll().filter((c) => c.node.metadata.some((m) => JSON.stringify(m.data ?? '').includes('IAM5')));
    expect(iam5.map((c) => c.node.path)).toEqual(['Test/Rotation/ScheduledRefreshRole']);
  });
});
