/**
 * The stack from infra/config.example.json (one connection per provider, created credential
 * secrets, no VPC, no alarm topic): every resource, the exact IAM of each role, the token secrets'
 * write fence, the settings custom resources, the dashboard and alarms, and cdk-nag.
 */
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, OPERATION_TAGS, ROTATION_ERROR_TAG, ROTATION_TAGS } from '../../core/names.js';
import { FLEET_METRICS } from '../../infra/observability.js';
import type { TgTokenRotationStack } from '../../infra/stack.js';
import {
  acknowledgedAt,
  acknowledgments,
  dashboardBody,
  exampleConfig,
  logicalId,
  nagViolations,
  resolve,
  resourcePolicyStatements,
  roleStatements,
  synthesize,
  SYNTH_TIMEOUT_MS,
} from './helpers.js';

let stack: TgTokenRotationStack;
let template: Template;
let r: TgTokenRotationStack['rotation'];
/** Template references, e.g. { Ref: "RotationanalyticsToken…" }. */
let ref: {
  tokens: unknown[];
  credentials: unknown[];
  key: unknown;
  param: unknown;
  rotationFn: unknown;
  viaSecretsManager: (arns: unknown[]) => unknown;
  viaSqs: unknown;
};

beforeAll(() => {
  ({ stack, template } = synthesize());
  r = stack.rotation;
  const region = { Ref: 'AWS::Region' };
  ref = {
    tokens: r.connections.map((c) => resolve(stack, c.tokenSecret.secretArn)),
    credentials: r.connections.map((c) => resolve(stack, c.credentialSecret.secretArn)),
    key: resolve(stack, r.key.keyArn),
    param: resolve(stack, r.settingsParameter.parameterArn),
    rotationFn: resolve(stack, r.rotationFunction.functionArn),
    viaSecretsManager: (arns) => ({
      StringEquals: {
        'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', region, '.amazonaws.com']] },
        'kms:EncryptionContext:SecretARN': arns,
      },
    }),
    viaSqs: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['sqs.', region, '.amazonaws.com']] } } },
  };
}, SYNTH_TIMEOUT_MS);

/** ENV.SECRET_ARN_PREFIX as CloudFormation resolves it: this partition, region and account. */
const SECRET_ARN_PREFIX_IN_TEMPLATE = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:']],
};

const logsStatement = (logGroup: unknown) => ({
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Effect: 'Allow',
  Resource: logGroup,
});

describe('structure', () => {
  it('keeps the logical ids of every stateful resource (the construct was split into parts without moving a resource)', () => {
    const ids = Object.keys(template.toJSON().Resources as object);
    expect(ids).toEqual(
      expect.arrayContaining([
        'RotationKey3583D52E',
        'RotationanalyticsCredentials13670C60',
        'RotationanalyticsTokenE1C365D6',
        'RotationanalyticsTokenPolicyC712615F',
        'RotationanalyticsTokenRotationEA65D087',
        'RotationSettings63DC5BD8',
        'RotationRotationLogs529FCE36',
        'RotationRotationRole10E8A9CA',
        'RotationRotationFunctionC2797AB1',
        'RotationScheduledRefreshLogs0BB7E0F3',
        'RotationScheduledRefreshRoleAF20E15F',
        'RotationScheduledRefreshFunction1A514E36',
        'RotationOnDemandLogs18E91B28',
        'RotationOnDemandRoleBA9E3193',
        'RotationOnDemandFunctionA34F59A7',
        // One per token secret since the rotation function may be invoked only for them (issue 21); a permission holds no state.
        'RotationanalyticsRotationInvokePermission64E5333B',
        'RotationScheduleDeadLetterQueueEB5E2BA3',
        'RotationOnDemandFailureQueue5442974E',
        'RotationSchedulerRoleCD4590ED',
        'RotationScheduledRefreshA9F9FDF4',
        'RotationRotationErrorsAlarm6887A7FE',
        'RotationMinSecondsToExpiryAlarmB94CB5F6',
      ]),
    );
  });
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

  it('creates a token secret per connection with the managed tag and the key, and no CloudFormation-managed value', () => {
    const tokens = template.findResources('AWS::SecretsManager::Secret', { Properties: { Name: Match.stringLikeRegexp('/token$') } });
    expect(Object.keys(tokens)).toHaveLength(3);
    for (const secret of Object.values(tokens)) {
      expect(secret.Properties).toMatchObject({ KmsKeyId: ref.key, Tags: [{ Key: 'tg-token-rotation:managed', Value: 'true' }] });
      // Neither a value nor a generated one: the settings custom resource writes the JSON.
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret.Properties.GenerateSecretString).toBeUndefined();
    }
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'tg-token-rotation/genomics/token',
      Description: 'ICA token for genomics (https://ica.illumina.com), rotated by tg-token-rotation',
    });
  });

  it("creates a retained, untagged credential secret per connection, holding the provider's shape to fill in", () => {
    const expected = {
      'tg-token-rotation/analytics/credentials': [
        '{"secret":""}',
        'TigerGraph credentials for analytics: set to {"secret":"<TigerGraph secret>"} or {"username":"...","password":"..."}. Only the tg-token-rotation functions read it.',
      ],
      'tg-token-rotation/wrangling/credentials': [
        '{"username":"","password":""}',
        'Trifacta credentials for wrangling: set to {"username":"...","password":"..."}. Only the tg-token-rotation functions read it.',
      ],
      'tg-token-rotation/genomics/credentials': [
        '{"apiKey":""}',
        'ICA credentials for genomics: set to {"apiKey":"<ICA API key>"} or {"username":"<email>","password":"..."}. Only the tg-token-rotation functions read it.',
      ],
    };
    const credentials = template.findResources('AWS::SecretsManager::Secret', { Properties: { Name: Match.stringLikeRegexp('/credentials$') } });
    expect(Object.keys(credentials)).toHaveLength(3);
    for (const secret of Object.values(credentials)) {
      const [value, description] = expected[secret.Properties.Name as keyof typeof expected];
      expect(secret.Properties).toMatchObject({ SecretString: value, Description: description, KmsKeyId: ref.key });
      expect(secret.Properties.Tags).toBeUndefined(); // never found by the scheduled refresh
      expect(secret.DeletionPolicy).toBe('Retain');
    }
  });

  it('rotates each token secret with the rotation function at its interval, after its settings and permissions exist', () => {
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 3);
    const permissionId = Object.keys(template.findResources('AWS::Lambda::Permission'))[0]!;
    const expected = [
      [0, 'rate(7 days)'],
      [1, 'rate(7 days)'],
      [2, 'rate(8 hours)'],
    ] as const;
    for (const [i, rate] of expected) {
      const schedules = Object.values(
        template.findResources('AWS::SecretsManager::RotationSchedule', {
          Properties: { SecretId: ref.tokens[i], RotationLambdaARN: ref.rotationFn, RotationRules: { ScheduleExpression: rate } },
        }),
      );
      expect(schedules).toHaveLength(1);
      // The first rotation starts on creation: the initial JSON, the invoke permission and the role policy come first.
      expect(schedules[0]!.DependsOn).toEqual(
        expect.arrayContaining([
          logicalId(stack, r.connections[i]!.settings),
          permissionId,
          logicalId(stack, r.rotationFunction.role!),
          logicalId(stack, r.rotationFunction.role!.node.findChild('DefaultPolicy')),
        ]),
      );
    }
  });

  it('writes the SSM settings parameter', () => {
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/tg-token-rotation/config',
      Type: 'String',
      Value: '{"refreshBeforeSeconds":259200,"revokeGraceSeconds":3600,"concurrency":10,"sweepIntervalSeconds":3600}',
    });
  });
});

describe('settings custom resource (one per connection)', () => {
  it('hands the token secret id and its settings, named as in the token secret JSON, to the connection-settings function', () => {
    template.resourceCountIs('Custom::TokenSecretSettings', 3);
    const serviceToken = resolve(stack, r.connectionSettingsFunction.functionArn);
    const settings = [
      {
        provider: 'tigergraph',
        host: 'https://analytics.i.tgcloud.io',
        tigergraphVersion: '4',
        restppPort: 443,
        gsqlPort: 443,
        graph: 'Analytics',
        lifetimeSeconds: 2592000,
        credentialSecretId: r.connections[0]!.credentialSecret.secretArn,
      },
      { provider: 'trifacta', host: 'https://trifacta.example.com', lifetimeSeconds: 2592000, credentialSecretId: r.connections[1]!.credentialSecret.secretArn },
      { provider: 'ica', host: 'https://ica.illumina.com', tenant: 'my-lab', lifetimeSeconds: 43200, credentialSecretId: r.connections[2]!.credentialSecret.secretArn },
    ];
    settings.forEach((expected, i) => {
      // One JSON string (CloudFormation would turn a nested object's numbers into strings).
      template.hasResourceProperties(
        'Custom::TokenSecretSettings',
        Match.objectEquals({ ServiceToken: serviceToken, SecretId: ref.tokens[i], Settings: resolve(stack, stack.toJsonString(expected)) }),
      );
    });
  });

  it('is updated after the functions that mint for it, so a host change runs with the new credential bindings', () => {
    const resources = template.toJSON().Resources as Record<string, { Type: string; DependsOn?: string[]; Properties?: Record<string, unknown> }>;
    const rotationFn = logicalId(stack, r.rotationFunction);
    const settingsFn = logicalId(stack, r.connectionSettingsFunction);
    const settingsResources = Object.values(resources).filter((res) => res.Type === 'Custom::TokenSecretSettings');
    expect(settingsResources).toHaveLength(3);
    for (const res of settingsResources) {
      // The rotation function (which mints and tests the new token) by an explicit dependency; the settings function by its ServiceToken.
      expect(res.DependsOn).toContain(rotationFn);
      expect(JSON.stringify(res.Properties?.ServiceToken)).toContain(settingsFn);
      // Both functions carry the bindings in their environment, so updating them first updates the bindings first.
      for (const fn of [rotationFn, settingsFn]) expect((resources[fn]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables[ENV.CREDENTIAL_BINDINGS]).toBeDefined();
    }
  });

  it('is served by a function of its own (no Provider framework)', () => {
    template.resourceCountIs('AWS::Lambda::Function', 4);
    for (const cr of Object.values(template.findResources('Custom::TokenSecretSettings'))) {
      expect(cr.Properties.ServiceToken).toEqual(resolve(stack, r.connectionSettingsFunction.functionArn));
    }
  });
});

describe('functions', () => {
  const fns = () =>
    [
      // 120 s: testSecret waits up to 60 s (newTokenPatienceSeconds) for a freshly minted token.
      ['rotation', r.rotationFunction, 120, 256],
      ['scheduled-refresh', r.scheduledRefreshFunction, 300, 1024],
      ['on-demand', r.onDemandFunction, 60, 256],
      ['connection-settings', r.connectionSettingsFunction, 180, 256],
    ] as const;

  it('runs four functions on nodejs22.x, arm64, with their memory, timeouts and environment', () => {
    template.resourceCountIs('AWS::Lambda::Function', 4);
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
          Variables: Match.objectEquals({
            SETTINGS_PARAMETER_NAME: '/tg-token-rotation/config',
            // The fleet: the stack's token secrets, comma-separated.
            TG_MANAGED_SECRET_IDS: { 'Fn::Join': [',', ref.tokens] },
            // Where each credential may go (checked in the bindings test below).
            TG_SECRET_ARN_PREFIX: SECRET_ARN_PREFIX_IN_TEMPLATE,
            TG_CREDENTIAL_BINDINGS: Match.anyValue(),
            POWERTOOLS_SERVICE_NAME: `tg-token-rotation-${name}`,
            POWERTOOLS_METRICS_NAMESPACE: 'TgTokenRotation',
            LOG_LEVEL: 'INFO',
            // No NODE_OPTIONS: no source map is deployed by default (sourceMaps), so there is none to read.
            // The custom resource refuses events of any other stack, and asks this one whether an event is real.
            ...(name === 'connection-settings' ? { [ENV.STACK_ID]: { Ref: 'AWS::StackId' } } : {}),
            // The functions that put change events: the bus they put them on.
            ...(name !== 'connection-settings' ? { [ENV.EVENT_BUS]: Match.anyValue() } : {}),
          }),
        },
        VpcConfig: Match.absent(),
      });
    }
  });

  it("binds each credential to its connection's origins and token secret, the same for every function", () => {
    const values = Object.values(template.findResources('AWS::Lambda::Function')).map((fn) => fn.Properties.Environment.Variables.TG_CREDENTIAL_BINDINGS as string);
    expect(new Set(values).size).toBe(1);
    // Created credential secrets are named, so the bindings are known at synth, with no token in them.
    expect(JSON.parse(values[0]!)).toEqual([
      {
        credential: 'tg-token-rotation/analytics/credentials',
        // TigerGraph Cloud, version 4, ports 443: REST++ under /restpp and GSQL on one origin.
        origins: ['https://analytics.i.tgcloud.io:443'],
        tokenSecrets: ['tg-token-rotation/analytics/token'],
      },
      { credential: 'tg-token-rotation/wrangling/credentials', origins: ['https://trifacta.example.com:443'], tokenSecrets: ['tg-token-rotation/wrangling/token'] },
      // ICA's REST base path is part of the origin.
      { credential: 'tg-token-rotation/genomics/credentials', origins: ['https://ica.illumina.com:443/ica/rest'], tokenSecrets: ['tg-token-rotation/genomics/token'] },
    ]);
  });

  it('never sets the local-run variable: deployed functions never speak plain HTTP', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain(ENV.LOCAL_RUN);
      expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain(ENV.LOCAL_CFN_RESPONSE_ENDPOINT);
      expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain(ENV.FLEET_DISCOVERY);
    }
  });

  it('gives each function its own retained log group with one month retention', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 4);
    for (const g of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
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
  /** kms:Decrypt for the token and (created) credential secrets, kms:GenerateDataKey for the token secrets: this key, through Secrets Manager, for these secrets. */
  const keyStatements = () => [
    { Action: 'kms:Decrypt', Condition: ref.viaSecretsManager([...ref.tokens, ...ref.credentials]), Effect: 'Allow', Resource: ref.key },
    { Action: 'kms:GenerateDataKey', Condition: ref.viaSecretsManager(ref.tokens), Effect: 'Allow', Resource: ref.key },
  ];
  // DescribeSecret resolves a credential named by name or partial ARN to the ARN its binding names.
  const readCredentials = () => ({ Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Effect: 'Allow', Resource: ref.credentials });
  const putEvents = () => ({ Action: 'events:PutEvents', Effect: 'Allow', Resource: resolve(stack, r.eventBus.eventBusArn) });
  // RotateSecret only with the stack's rotation function, configured on the secret and named (if at all) in the request.
  const invokeRotation = () => [
    {
      Action: 'secretsmanager:RotateSecret',
      Condition: {
        StringEquals: { 'secretsmanager:resource/AllowRotationLambdaArn': ref.rotationFn },
        StringEqualsIfExists: { 'secretsmanager:RotationLambdaARN': ref.rotationFn },
      },
      Effect: 'Allow',
      Resource: ref.tokens,
    },
    { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: ref.rotationFn },
  ];

  it('rotation function: the rotation steps on its token secrets, batch reads of them, the settings, its error tag only, read the credentials, the key for those secrets, its logs', () => {
    expect(roleStatements(stack, template, r.rotationFunction.role!)).toEqual([
      logsStatement(resolve(stack, r.rotationFunction.logGroup.logGroupArn)),
      {
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        Effect: 'Allow',
        Resource: ref.tokens,
      },
      // createSecret reads the fleet's current tokens before revoking one it could not store (tokens may collide).
      { Action: 'secretsmanager:BatchGetSecretValue', Effect: 'Allow', Resource: '*' },
      // pendingTokenAttempts and the patience for a new token come from the settings parameter.
      { Action: 'ssm:GetParameter', Effect: 'Allow', Resource: ref.param },
      {
        Action: ['secretsmanager:TagResource', 'secretsmanager:UntagResource'],
        Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...ROTATION_TAGS] } },
        Effect: 'Allow',
        Resource: ref.tokens,
      },
      readCredentials(),
      ...keyStatements(),
      putEvents(),
    ]);
    // The same, as a template assertion on the exact policy document.
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack, r.rotationFunction.role!) }],
      PolicyDocument: Match.objectEquals({ Version: '2012-10-17', Statement: roleStatements(stack, template, r.rotationFunction.role!) }),
    });
  });

  /** What scheduled-refresh and on-demand share. */
  const tokenOperationStatements = () => [
    {
      Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
      Effect: 'Allow',
      Resource: ref.tokens,
    },
    // The sweep reads in batches; BatchGetSecretValue has no resource-level permissions and returns only what GetSecretValue above allows.
    { Action: 'secretsmanager:BatchGetSecretValue', Effect: 'Allow', Resource: '*' },
    ...invokeRotation(),
    readCredentials(),
    ...keyStatements(),
    { Action: 'ssm:GetParameter', Effect: 'Allow', Resource: ref.param },
    // The operational records (a pause, the last outcomes, a renewal's reason): those tag keys only.
    {
      Action: ['secretsmanager:TagResource', 'secretsmanager:UntagResource'],
      Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...OPERATION_TAGS, ROTATION_ERROR_TAG] } },
      Effect: 'Allow',
      Resource: ref.tokens,
    },
    putEvents(),
  ];

  it('change events: PutEvents on the default bus only, whose ARN is in TG_EVENT_BUS of the three functions that put them', () => {
    const bus = resolve(stack, r.eventBus.eventBusArn);
    expect(JSON.stringify(bus)).toContain(':event-bus/default');
    for (const fn of [r.rotationFunction, r.scheduledRefreshFunction, r.onDemandFunction]) {
      const variables = template.toJSON().Resources[logicalId(stack, fn)].Properties.Environment.Variables;
      expect(variables[ENV.EVENT_BUS]).toEqual(bus);
    }
    const settings = template.toJSON().Resources[logicalId(stack, r.connectionSettingsFunction)].Properties.Environment.Variables;
    expect(settings[ENV.EVENT_BUS]).toBeUndefined();
    const granted = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>).filter((st) => ([] as string[]).concat(st.Action).includes('events:PutEvents')),
    );
    expect(granted).toEqual([putEvents(), putEvents(), putEvents()]);
  });

  it('scheduled refresh: token secrets incl. RotateSecret, batch reads, credentials, key, settings; no ListSecrets without tag discovery', () => {
    expect(roleStatements(stack, template, r.scheduledRefreshFunction.role!)).toEqual([
      logsStatement(resolve(stack, r.scheduledRefreshFunction.logGroup.logGroupArn)),
      ...tokenOperationStatements(),
    ]);
  });

  it('on-demand: the same, plus sending to its KMS-encrypted failure queue', () => {
    expect(roleStatements(stack, template, r.onDemandFunction.role!)).toEqual([
      logsStatement(resolve(stack, r.onDemandFunction.logGroup.logGroupArn)),
      ...tokenOperationStatements(),
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: resolve(stack, r.onDemandFailureQueue.queueArn) },
      { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: ref.viaSqs, Effect: 'Allow', Resource: ref.key },
    ]);
  });

  it('connection settings: write and rotate the token secrets, batch reads of them, read the credentials, the key, DescribeStackResource on its own stack; no settings parameter, no tags', () => {
    expect(roleStatements(stack, template, r.connectionSettingsFunction.role!)).toEqual([
      logsStatement(resolve(stack, r.connectionSettingsFunction.logGroup.logGroupArn)),
      {
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        Effect: 'Allow',
        Resource: ref.tokens,
      },
      // The fleet's current tokens, read before revoking a token that can collide.
      { Action: 'secretsmanager:BatchGetSecretValue', Effect: 'Allow', Resource: '*' },
      ...invokeRotation(),
      readCredentials(),
      ...keyStatements(),
      // Confirming each event with CloudFormation: this stack only.
      { Action: 'cloudformation:DescribeStackResource', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } },
    ]);
  });

  it('scheduler role: invoke only the scheduled-refresh function, send only to its KMS-encrypted DLQ, assumable only from this account', () => {
    const roleId = logicalId(stack, r.node.findChild('SchedulerRole'));
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: Match.exact([
          { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: resolve(stack, r.scheduledRefreshFunction.functionArn) },
          { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: resolve(stack, r.scheduleDeadLetterQueue.queueArn) },
          { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: ref.viaSqs, Effect: 'Allow', Resource: ref.key },
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

  it('has no wildcard resource except BatchGetSecretValue, and none of ListSecrets, ListSecretVersionIds, GetRandomPassword', () => {
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const s of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>) {
        const resources = ([] as unknown[]).concat(s.Resource);
        const actions = ([] as string[]).concat(s.Action);
        for (const never of ['secretsmanager:GetRandomPassword', 'secretsmanager:ListSecrets', 'secretsmanager:ListSecretVersionIds']) {
          expect(actions).not.toContain(never);
        }
        if (resources.includes('*')) expect(actions).toEqual(['secretsmanager:BatchGetSecretValue']);
        else expect(JSON.stringify(resources)).not.toMatch(/\*|\?\?\?/);
      }
    }
  });

  it('lets Secrets Manager invoke the rotation function only for the token secrets, from this account (one permission per secret, nothing else)', () => {
    template.resourceCountIs('AWS::Lambda::Permission', ref.tokens.length);
    for (const token of ref.tokens) {
      template.hasResourceProperties(
        'AWS::Lambda::Permission',
        Match.objectEquals({
          Action: 'lambda:InvokeFunction',
          FunctionName: ref.rotationFn,
          Principal: 'secretsmanager.amazonaws.com',
          SourceAccount: { Ref: 'AWS::AccountId' },
          SourceArn: token,
        }),
      );
    }
  });
});

describe('write fence on the token secrets', () => {
  it('denies writing the value to every principal but the function roles, and reconfiguring to all but them and the deployment role', () => {
    const writers = [r.rotationFunction, r.scheduledRefreshFunction, r.onDemandFunction, r.connectionSettingsFunction].map((fn) =>
      resolve(stack, fn.role!.roleArn),
    );
    const cfnExecRole = { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}' };
    template.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 3); // the token secrets only
    for (const c of r.connections) {
      expect(resourcePolicyStatements(stack, template, c.tokenSecret)).toEqual([
        {
          Sid: 'OnlyTheFunctionsWriteTheToken',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
          Resource: '*',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': writers } },
        },
        {
          Sid: 'OnlyTheDeploymentReconfigures',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['secretsmanager:DeleteResourcePolicy', 'secretsmanager:PutResourcePolicy', 'secretsmanager:RotateSecret', 'secretsmanager:UpdateSecret'],
          Resource: '*',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': [...writers, cfnExecRole] } },
        },
        // CDK's guard against deleting a secret while rotation is configured; CloudFormation removes the policy first on stack deletion.
        {
          Effect: 'Deny',
          Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } },
          Action: 'secretsmanager:DeleteSecret',
          Resource: '*',
        },
      ]);
    }
  });

  it('grants no read in the resource policy: consumers stay on their identity policies (grantReadToken)', () => {
    for (const policy of Object.values(template.findResources('AWS::SecretsManager::ResourcePolicy'))) {
      for (const s of policy.Properties.ResourcePolicy.Statement as Array<{ Effect: string }>) expect(s.Effect).toBe('Deny');
    }
  });
});

describe('scheduled refresh and failure handling', () => {
  it("schedules the scheduled refresh on EventBridge Scheduler with the stack's token secrets, a retry policy and a DLQ", () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: resolve(stack, r.scheduledRefreshFunction.functionArn),
        Input: {
          'Fn::Join': ['', ['{"secretIds":["', ref.tokens[0], '","', ref.tokens[1], '","', ref.tokens[2], '"]}']],
        },
        RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: resolve(stack, r.scheduleDeadLetterQueue.queueArn) },
      },
    });
  });

  it("encrypts both failure queues with the stack's key and refuses plain HTTP to them", () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.allResourcesProperties('AWS::SQS::Queue', { KmsMasterKeyId: ref.key, SqsManagedSseEnabled: Match.absent(), MessageRetentionPeriod: 1209600 });
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

  it("lets IAM policies grant the key (the key policy's root statement), which is how the senders get it through SQS", () => {
    const [key] = Object.values(template.findResources('AWS::KMS::Key'));
    expect(key!.Properties.KeyPolicy.Statement).toContainEqual({
      Action: 'kms:*',
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } },
      Resource: '*',
    });
    // Only the account is named in the key policy (the root statement, and Secret's grants through
    // Secrets Manager): every use by the functions and the scheduler is an identity grant of this stack.
    const principals = (key!.Properties.KeyPolicy.Statement as Array<{ Principal: unknown }>).map((s) => JSON.stringify(s.Principal));
    expect(new Set(principals)).toEqual(new Set([JSON.stringify({ AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } })]));
  });

  it('sends failed asynchronous on-demand invocations to the failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: resolve(stack, r.onDemandFunction.functionName),
      DestinationConfig: { OnFailure: { Destination: resolve(stack, r.onDemandFailureQueue.queueArn) } },
    });
  });
});

describe('dashboard', () => {
  it('shows every fleet metric under the name and service dimension its function publishes it with', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const metrics = dashboardBody(template).widgets.flatMap((w) => w.properties.metrics);
    for (const [name, { fn }] of Object.entries(FLEET_METRICS)) {
      expect(metrics).toContainEqual(['TgTokenRotation', name, 'service', `tg-token-rotation-${fn}`, expect.objectContaining({ period: 3600 })]);
    }
    const titles = dashboardBody(template).widgets.map((w) => w.properties.title);
    expect(titles).toEqual([
      'Tokens by time to expiry: the soonest-expiring token (seconds left)',
      'Rotations, refreshes and revokes',
      'Failures',
      'Secrets Manager throttles (the sweep waited for its write budget)',
      'Sweep duration (ms)',
      'Sweep coverage: secrets checked and skipped per run',
      'Credential secrets: days since the oldest last changed',
    ]);
  });
});

describe('alarms', () => {
  const sweep = [{ Name: 'service', Value: 'tg-token-rotation-scheduled-refresh' }];

  it('has eight alarms, each linking to the dashboard, and, without a topic configured, no actions', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.absent() });
    template.resourceCountIs('AWS::SNS::Topic', 0);
    const dashboard = { Ref: logicalId(stack, r.dashboard) };
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      const parts = (alarm.Properties.AlarmDescription as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
      expect(parts).toContainEqual(dashboard);
      expect(JSON.stringify(parts)).toContain('Dashboard: https://console.aws.amazon.com/cloudwatch/home?region=');
    }
  });

  it('credential age: the oldest credential secret unchanged for 365 days or more (the default), over two schedule periods (issue 22)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'TgTokenRotation',
      MetricName: 'OldestCredentialAgeDays',
      Dimensions: sweep,
      Statistic: 'Maximum',
      Period: 7200,
      Threshold: 365,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    const custom = synthesize({ ...exampleConfig(), credentialMaxAgeDays: 90 }).template;
    custom.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'OldestCredentialAgeDays', Threshold: 90 });
  });

  it('rotation: RotationFailures >= 1 over two schedule periods (a failure each sweep re-drives keeps it in ALARM; a credential not filled in yet is not a failure), not the function Errors', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'TgTokenRotation',
      MetricName: 'RotationFailures',
      Dimensions: [{ Name: 'service', Value: 'tg-token-rotation-rotation' }],
      Statistic: 'Sum',
      Period: 7200,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    const errors = template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'Errors' } });
    expect(Object.values(errors).map((a) => a.Properties.Dimensions)).toEqual([
      [{ Name: 'FunctionName', Value: resolve(stack, r.scheduledRefreshFunction.functionName) }],
    ]);
  });

  it('scheduled refresh Errors >= 1', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('scheduled refresh Failures >= 1 and RevokeFailures >= 1, over two schedule periods', () => {
    for (const metric of ['Failures', 'RevokeFailures']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'TgTokenRotation',
        MetricName: metric,
        Dimensions: sweep,
        Statistic: 'Sum',
        Period: 7200,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('MinSecondsToExpiry below the threshold, missing data breaching', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'TgTokenRotation',
      MetricName: 'MinSecondsToExpiry',
      Dimensions: sweep,
      Statistic: 'Minimum',
      Period: 7200,
      Threshold: 3600,
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
  it('names the functions, the dashboard, the token secrets and the credential secrets to fill in, with their shapes', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Description?: string }>;
    expect(Object.keys(outputs).sort()).toEqual([
      'DashboardName',
      'OnDemandFunctionName',
      'RotationFunctionName',
      'ScheduledRefreshFunctionName',
      'SettingsParameterName',
      'analyticsCredentialSecretArn',
      'analyticsTokenSecretArn',
      'genomicsCredentialSecretArn',
      'genomicsTokenSecretArn',
      'wranglingCredentialSecretArn',
      'wranglingTokenSecretArn',
    ]);
    expect(outputs.analyticsTokenSecretArn!.Value).toEqual(ref.tokens[0]);
    expect(outputs.genomicsCredentialSecretArn!.Description).toBe(
      'Credential secret of genomics: set it to {"apiKey":"<ICA API key>"} or {"username":"<email>","password":"..."} before the first rotation',
    );
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
    // IAM5 (BatchGetSecretValue on *) sits on the four roles that read the fleet, nowhere else.
    expect(acknowledgedAt(stack, 'AwsSolutions-IAM5[Resource::*]')).toEqual([
      'Test/Rotation/RotationRole',
      'Test/Rotation/ScheduledRefreshRole',
      'Test/Rotation/OnDemandRole',
      'Test/Rotation/ConnectionSettingsRole',
    ]);
    expect(acks.get('AwsSolutions-IAM5[Resource::*]')!.every((reason) => reason.includes('BatchGetSecretValue'))).toBe(true);
  });
});
