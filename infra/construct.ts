/**
 * TigerGraphTokenRotation: everything that keeps TigerGraph tokens rotated in Secrets Manager.
 *
 * Per connection: a credential secret (created for the operator to fill, or imported), a token
 * secret (tag `tg-token-rotation:managed=true`, initial JSON per CONTRACT.md) and its rotation
 * schedule. Shared: one customer managed KMS key for all secrets, the three functions, the
 * EventBridge Scheduler schedule for the scheduled refresh, the SSM settings parameter, dead-letter
 * queues, alarms and an optional alarm topic.
 *
 * Every IAM statement is written out below (no `grant*` helpers on the functions, no managed
 * policies) so the deployed permissions are exactly what this file says.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, SecretValue, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { MANAGED_TAG as MANAGED_TAG_KEY } from '../core/names.js';
import { cdkBundlingProps } from './bundling.js';

/** Tag the scheduled refresh uses to find the token secrets it manages (CONTRACT.md). */
export { MANAGED_TAG_KEY };
/** CloudWatch namespace of the handlers' EMF metrics. */
export const METRICS_NAMESPACE = 'TgTokenRotation';
export const DEFAULT_SETTINGS_PARAMETER_NAME = '/tg-token-rotation/config';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface TigerGraphConnection {
  /** Letters, digits and dashes; names the secrets and construct ids. */
  readonly name: string;
  /** `https://host[:port]`, no path. */
  readonly host: string;
  /** @default 'auto' */
  readonly tigergraphVersion?: '3' | '4' | 'auto';
  readonly restppPort?: number;
  readonly gsqlPort?: number;
  readonly graph?: string;
  /** Token lifetime requested from TigerGraph. @default 30 days (the handlers' default) */
  readonly lifetimeSeconds?: number;
  /** How often Secrets Manager rotates the token; at least 4 hours. @default Duration.days(7) */
  readonly rotationInterval?: Duration;
  /**
   * An existing secret holding `{"secret": "..."}` or `{"username", "password"}`, imported with its
   * complete ARN (`Secret.fromSecretCompleteArn`) so the IAM statements name exactly that secret.
   * It must be encrypted with `aws/secretsmanager` or a key whose policy lets the functions decrypt.
   * @default - a secret `<prefix>/<name>/credentials` is created (value `{"secret": ""}`, to fill in)
   */
  readonly credentialSecret?: secretsmanager.ISecret;
}

export interface TigerGraphTokenRotationProps {
  readonly connections: readonly TigerGraphConnection[];
  /** Secret names are `<prefix>/<connection>/token` and `<prefix>/<connection>/credentials`. @default 'tg-token-rotation' */
  readonly secretNamePrefix?: string;
  /** How often the scheduled refresh runs. @default Duration.hours(1) */
  readonly scheduleRate?: Duration;
  /** Settings written to the SSM parameter. @default 259200 / 3600 / 10 */
  readonly refreshBeforeSeconds?: number;
  readonly revokeGraceSeconds?: number;
  readonly concurrency?: number;
  /**
   * Memory (and so CPU: Lambda allots CPU in proportion) of the scheduled refresh. A sweep is
   * CPU-bound in the AWS SDK (bench/RESULTS.md), so it gets more than the other two functions.
   * @default 1024
   */
  readonly scheduledRefreshMemoryMB?: number;
  /** @default '/tg-token-rotation/config' */
  readonly settingsParameterName?: string;
  /** Alarm when the soonest-expiring managed token has less than this left. @default Duration.days(1) */
  readonly minSecondsToExpiryAlarmThreshold?: Duration;
  /** Existing topic to notify on alarm. */
  readonly alarmTopic?: sns.ITopic;
  /** Email to notify on alarm; subscribed to `alarmTopic`, or to a KMS-encrypted topic created here. */
  readonly alarmEmail?: string;
  /** Run the functions in this VPC, with a security group allowing only HTTPS and the TigerGraph ports out. */
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** X-Ray active tracing. @default false */
  readonly tracing?: boolean;
  /** Repository root holding functions/ and package-lock.json. @default the directory above infra/ */
  readonly projectRoot?: string;
}

/** What the construct created for one connection. */
export interface ManagedConnection {
  readonly name: string;
  readonly tokenSecret: secretsmanager.ISecret;
  readonly credentialSecret: secretsmanager.ISecret;
  /** True when the credential secret was created here and must be filled in by the operator. */
  readonly credentialSecretCreated: boolean;
}

export class TigerGraphTokenRotation extends Construct {
  /** Encrypts every token and created credential secret. Rotation enabled; retained on stack deletion. */
  readonly key: kms.Key;
  readonly connections: readonly ManagedConnection[];
  readonly rotationFunction: NodejsFunction;
  readonly scheduledRefreshFunction: NodejsFunction;
  readonly onDemandFunction: NodejsFunction;
  readonly settingsParameter: ssm.StringParameter;
  /** Receives scheduled-refresh invocations that EventBridge Scheduler could not deliver. */
  readonly scheduleDeadLetterQueue: sqs.Queue;
  /** Receives asynchronous on-demand invocations that failed after Lambda's retries. */
  readonly onDemandFailureQueue: sqs.Queue;
  readonly schedule: scheduler.Schedule;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly alarmTopic?: sns.ITopic;
  readonly securityGroup?: ec2.SecurityGroup;
  /** POWERTOOLS_SERVICE_NAME of the scheduled refresh: the `service` dimension of its metrics. */
  readonly scheduledRefreshServiceName = 'tg-token-rotation-scheduled-refresh';

  private readonly viaSecretsManager: Record<string, Record<string, string>>;

  constructor(scope: Construct, id: string, props: TigerGraphTokenRotationProps) {
    super(scope, id);
    validateProps(props);
    const stack = Stack.of(this);
    const prefix = props.secretNamePrefix ?? 'tg-token-rotation';
    const projectRoot = props.projectRoot ?? REPO_ROOT;
    // KMS permissions below only work through Secrets Manager, never by calling KMS directly.
    this.viaSecretsManager = { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } };

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the TigerGraph token and credential secrets (tg-token-rotation)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---- Secrets, per connection -------------------------------------------------------------
    this.connections = props.connections.map((conn) => {
      // One scope per connection, named after it (names are unique, so ids never collide).
      const scope = new Construct(this, conn.name);
      const credentialSecretCreated = conn.credentialSecret === undefined;
      const credentialSecret =
        conn.credentialSecret ??
        new secretsmanager.Secret(scope, 'Credentials', {
          secretName: `${prefix}/${conn.name}/credentials`,
          description: `TigerGraph credentials for ${conn.name}: set to {"secret": "..."} or {"username": "...", "password": "..."}. Only the tg-token-rotation functions read it.`,
          encryptionKey: this.key,
          // A placeholder for the operator to replace; CloudFormation never rewrites it unless this template value changes.
          secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ secret: '' })),
          removalPolicy: RemovalPolicy.RETAIN,
        });
      if (credentialSecretCreated) {
        Validations.of(credentialSecret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason:
            'The TigerGraph secret/password is issued by the TigerGraph administrator and filled in by the operator; this app rotates the tokens derived from it, not the credential itself.',
        });
      }

      // The initial token secret (CONTRACT.md); the rotation function adds token/expiresAt/issuedAt.
      // Note: CloudFormation owns this SecretString, so changing these fields later rewrites the
      // secret without a token until the next rotation (run the on-demand `request` after such a change).
      const initial = dropUndefined({
        host: conn.host,
        tigergraphVersion: conn.tigergraphVersion ?? 'auto',
        restppPort: conn.restppPort,
        gsqlPort: conn.gsqlPort,
        graph: conn.graph,
        lifetimeSeconds: conn.lifetimeSeconds ?? 30 * 86400,
        credentialSecretId: credentialSecret.secretArn,
      });
      const tokenSecret = new secretsmanager.Secret(scope, 'Token', {
        secretName: `${prefix}/${conn.name}/token`,
        description: `TigerGraph token for ${conn.name} (${conn.host}), rotated by tg-token-rotation`,
        encryptionKey: this.key,
        secretStringValue: SecretValue.unsafePlainText(stack.toJsonString(initial)),
      });
      Tags.of(tokenSecret).add(MANAGED_TAG_KEY, 'true');

      return { name: conn.name, tokenSecret, credentialSecret, credentialSecretCreated };
    });
    const tokenSecretArns = this.connections.map((c) => secretArnForPolicy(c.tokenSecret));
    const credentialSecretArns = this.connections.map((c) => secretArnForPolicy(c.credentialSecret));

    const settingsParameterName = props.settingsParameterName ?? DEFAULT_SETTINGS_PARAMETER_NAME;
    this.settingsParameter = new ssm.StringParameter(this, 'Settings', {
      parameterName: settingsParameterName,
      description: 'tg-token-rotation settings; a field in a token secret overrides the same field here',
      stringValue: JSON.stringify({
        refreshBeforeSeconds: props.refreshBeforeSeconds ?? 259200,
        revokeGraceSeconds: props.revokeGraceSeconds ?? 3600,
        concurrency: props.concurrency ?? 10,
      }),
    });

    // ---- Network -----------------------------------------------------------------------------
    if (props.vpc) {
      this.securityGroup = new ec2.SecurityGroup(this, 'FunctionsSecurityGroup', {
        vpc: props.vpc,
        description: 'tg-token-rotation functions: HTTPS to AWS APIs and TigerGraph, plus the TigerGraph ports',
        allowAllOutbound: false,
      });
      const ports = new Set<number>([443, 9000, 14240]);
      for (const c of props.connections) {
        if (c.restppPort) ports.add(c.restppPort);
        if (c.gsqlPort) ports.add(c.gsqlPort);
        const hostPort = new URL(c.host).port;
        if (hostPort) ports.add(Number(hostPort));
      }
      for (const port of [...ports].sort((a, b) => a - b)) {
        this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(port), `TCP ${port} out`);
      }
    }

    // ---- Functions ---------------------------------------------------------------------------
    const makeFunction = (
      name: 'rotation' | 'scheduled-refresh' | 'on-demand',
      timeout: Duration,
      description: string,
      memorySize = 256,
    ) => {
      const cid = constructId(name);
      const logGroup = new logs.LogGroup(this, `${cid}Logs`, {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const role = new iam.Role(this, `${cid}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `tg-token-rotation ${name} function`,
      });
      role.addToPolicy(
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
      );
      const fn = new NodejsFunction(this, `${cid}Function`, {
        description,
        entry: path.join(projectRoot, 'functions', name, 'handler.ts'),
        handler: 'handler',
        projectRoot,
        depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize,
        timeout,
        role,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
        vpc: props.vpc,
        vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
        securityGroups: this.securityGroup ? [this.securityGroup] : undefined,
        environment: {
          SETTINGS_PARAMETER_NAME: settingsParameterName,
          POWERTOOLS_SERVICE_NAME: `tg-token-rotation-${name}`,
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          LOG_LEVEL: props.logLevel ?? 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
        },
        bundling: {
          // Shared with the benchmarks (infra/bundling.ts): ESM, node22, minified, source maps, the
          // AWS SDK bundled (a pinned, tree-shaken version) and a require() shim for CommonJS deps.
          ...cdkBundlingProps(),
          format: OutputFormat.ESM,
          forceDockerBundling: false,
        },
      });
      if (props.vpc) {
        // Lambda needs ENI permissions in a VPC; they cannot be scoped to resources.
        role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
        Validations.of(role).acknowledge({
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
          reason: 'AWSLambdaVPCAccessExecutionRole is the ENI management Lambda requires in a VPC; its EC2 actions cannot be scoped to resources.',
        });
      }
      if (props.tracing) {
        Validations.of(role).acknowledge({
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.',
        });
      }
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-L1',
        reason: 'The contract pins nodejs22.x (tests run on Node 22); the runtime moves with the project, not ahead of it.',
      });
      return fn;
    };

    this.rotationFunction = makeFunction('rotation', Duration.seconds(60), 'Secrets Manager rotation hook for TigerGraph tokens');
    this.scheduledRefreshFunction = makeFunction(
      'scheduled-refresh',
      Duration.minutes(5),
      'Refreshes or rotates TigerGraph tokens close to expiry and revokes superseded ones',
      props.scheduledRefreshMemoryMB ?? 1024,
    );
    this.onDemandFunction = makeFunction('on-demand', Duration.seconds(60), 'Request, refresh, delete or inspect a TigerGraph token on demand');

    // ---- Permissions: rotation function --------------------------------------------------------
    this.rotationFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: tokenSecretArns,
      }),
    );
    this.rotationFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: credentialSecretArns }),
    );
    this.rotationFunction.addToRolePolicy(this.keyStatement(['kms:Decrypt', 'kms:GenerateDataKey']));

    // Secrets Manager may invoke the rotation function, only on behalf of this account (confused deputy).
    const rotationInvokePermission = new lambda.CfnPermission(this, 'RotationInvokePermission', {
      action: 'lambda:InvokeFunction',
      functionName: this.rotationFunction.functionArn,
      principal: 'secretsmanager.amazonaws.com',
      sourceAccount: stack.account,
    });

    // An imported reference to the same function: RotationSchedule then adds none of its own grants
    // (GetRandomPassword on *, an invoke permission without SourceAccount, a key-policy grant);
    // the exact permissions are the statements above.
    const rotationFunctionRef = lambda.Function.fromFunctionAttributes(this, 'RotationFunctionRef', {
      functionArn: this.rotationFunction.functionArn,
      sameEnvironment: true,
    });
    props.connections.forEach((conn, i) => {
      const managed = this.connections[i]!;
      const rotation = managed.tokenSecret.addRotationSchedule('Rotation', {
        rotationLambda: rotationFunctionRef,
        automaticallyAfter: conn.rotationInterval ?? Duration.days(7),
      });
      // The first rotation starts when the schedule is created: the permissions must be in place by then.
      rotation.node.addDependency(rotationInvokePermission, this.rotationFunction.role!);
    });

    // ---- Permissions: scheduled refresh and on-demand -----------------------------------------
    for (const fn of [this.scheduledRefreshFunction, this.onDemandFunction]) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [
            'secretsmanager:DescribeSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:ListSecretVersionIds',
            'secretsmanager:PutSecretValue',
            'secretsmanager:RotateSecret',
            'secretsmanager:UpdateSecretVersionStage',
          ],
          resources: tokenSecretArns,
        }),
      );
      // RotateSecret on a Lambda-rotated secret also needs the caller to be allowed to invoke that
      // function (Secrets Manager's RotateSecret API: "You also need lambda:InvokeFunction").
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.rotationFunction.functionArn] }));
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: credentialSecretArns }));
      fn.addToRolePolicy(this.keyStatement(['kms:Decrypt', 'kms:GenerateDataKey']));
      // The settings parameter: @middy/ssm calls GetParameters, GetParameter is the single-name form.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter', 'ssm:GetParameters'],
          resources: [this.settingsParameter.parameterArn],
        }),
      );
    }
    // Finding the managed secrets by tag: ListSecrets has no resource-level permissions.
    this.scheduledRefreshFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }),
    );
    Validations.of(this.scheduledRefreshFunction.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'secretsmanager:ListSecrets does not support resource-level permissions; it returns names and tags only, values stay behind GetSecretValue on the managed secrets.',
    });

    // ---- Dead-letter queues -------------------------------------------------------------------
    const makeQueue = (id: string) => {
      const queue = new sqs.Queue(this, id, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself a dead-letter queue; its messages are inspected by the operator.',
      });
      return queue;
    };
    this.scheduleDeadLetterQueue = makeQueue('ScheduleDeadLetterQueue');
    this.onDemandFailureQueue = makeQueue('OnDemandFailureQueue');

    // Failed asynchronous on-demand invocations land in the queue. Lambda sends with the function's
    // role, which may only SendMessage there (CDK's SqsDestination would also grant GetQueueUrl/Attributes).
    const onDemandFailureQueue = this.onDemandFailureQueue;
    this.onDemandFunction.configureAsyncInvoke({
      onFailure: { bind: () => ({ destination: onDemandFailureQueue.queueArn }) },
    });
    this.onDemandFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.onDemandFailureQueue.queueArn] }),
    );

    // ---- Schedule ------------------------------------------------------------------------------
    // Scheduler's role may invoke only the scheduled-refresh function (not its versions/aliases) and
    // write to the dead-letter queue; only the Scheduler of this account may assume it.
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'EventBridge Scheduler: invoke the tg-token-rotation scheduled refresh',
    });
    schedulerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.scheduledRefreshFunction.functionArn] }),
    );
    schedulerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.scheduleDeadLetterQueue.queueArn] }),
    );
    const scheduledRefreshFunction = this.scheduledRefreshFunction;
    const scheduleDeadLetterQueue = this.scheduleDeadLetterQueue;
    this.schedule = new scheduler.Schedule(this, 'ScheduledRefresh', {
      description: 'Runs the tg-token-rotation scheduled refresh',
      schedule: scheduler.ScheduleExpression.rate(props.scheduleRate ?? Duration.hours(1)),
      // A target written out rather than aws-scheduler-targets' LambdaInvoke, whose grantInvoke also
      // allows `<function-arn>:*`.
      target: {
        bind: () => ({
          arn: scheduledRefreshFunction.functionArn,
          role: schedulerRole,
          // A missed run is retried for up to an hour; the next run comes anyway.
          retryPolicy: { maximumRetryAttempts: 5, maximumEventAgeInSeconds: 3600 },
          deadLetterConfig: { arn: scheduleDeadLetterQueue.queueArn },
        }),
      },
    });

    // ---- Alarms --------------------------------------------------------------------------------
    const rate = props.scheduleRate ?? Duration.hours(1);
    // One period covers at least two scheduled runs, so one late run is not a missing datapoint.
    const refreshPeriod = Duration.seconds(Math.min(Math.max(2 * rate.toSeconds(), 300), 86400));
    const service = { service: this.scheduledRefreshServiceName };
    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (id: string, props: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, id, props);
      alarms.push(a);
      return a;
    };
    alarm('RotationErrorsAlarm', {
      alarmDescription: 'The rotation function failed (a rotation step threw; AWSCURRENT is unchanged)',
      metric: this.rotationFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('ScheduledRefreshErrorsAlarm', {
      alarmDescription: 'The scheduled refresh function itself failed (crashed or timed out)',
      metric: this.scheduledRefreshFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('ScheduledRefreshFailuresAlarm', {
      alarmDescription: 'The scheduled refresh could not refresh, rotate or revoke at least one token',
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'Failures',
        dimensionsMap: service,
        statistic: 'Sum',
        period: refreshPeriod,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const thresholdSeconds = (props.minSecondsToExpiryAlarmThreshold ?? Duration.days(1)).toSeconds();
    alarm('MinSecondsToExpiryAlarm', {
      alarmDescription: `The soonest-expiring managed token has less than ${thresholdSeconds} s left, or the scheduled refresh stopped reporting`,
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'MinSecondsToExpiry',
        dimensionsMap: service,
        statistic: 'Minimum',
        period: refreshPeriod,
      }),
      threshold: thresholdSeconds,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // Missing data is breaching: no datapoint means the scheduled refresh is not running (or has no
      // token to report, e.g. credentials never filled in), and then nobody watches expiry.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const queueAlarm = (id: string, queue: sqs.Queue, what: string) =>
      alarm(id, {
        alarmDescription: `${what} (inspect the queue's messages)`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    queueAlarm('ScheduleDeadLetterAlarm', this.scheduleDeadLetterQueue, 'EventBridge Scheduler could not invoke the scheduled refresh');
    queueAlarm('OnDemandFailureAlarm', this.onDemandFailureQueue, 'An asynchronous on-demand invocation failed');
    this.alarms = alarms;

    // ---- Notifications --------------------------------------------------------------------------
    let topic = props.alarmTopic;
    if (!topic && props.alarmEmail) {
      // CloudWatch cannot publish to a topic under the AWS managed SNS key; this key lets it, and only it.
      const topicKey = new kms.Key(this, 'AlarmTopicKey', {
        description: 'Encrypts the tg-token-rotation alarm topic',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      topicKey.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
      const created = new sns.Topic(this, 'AlarmTopic', {
        displayName: 'tg-token-rotation alarms',
        masterKey: topicKey,
        enforceSSL: true,
      });
      topic = created;
    }
    if (topic && props.alarmEmail) {
      topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    if (topic) {
      const action = new cwActions.SnsAction(topic);
      for (const a of alarms) a.addAlarmAction(action);
      this.alarmTopic = topic;
    }
  }

  /** The token secret of one connection. */
  tokenSecret(connectionName: string): secretsmanager.ISecret {
    const found = this.connections.find((c) => c.name === connectionName);
    if (!found) {
      throw new Error(`No TigerGraph connection named "${connectionName}" (have: ${this.connections.map((c) => c.name).join(', ')})`);
    }
    return found.tokenSecret;
  }

  /**
   * Lets a consumer read the token: secretsmanager:GetSecretValue and DescribeSecret on the token
   * secret of `connectionName` (or of every connection), and kms:Decrypt on the key only through
   * Secrets Manager. Never the credential secret. For principals in this account (identity policy).
   */
  grantReadToken(grantee: iam.IGrantable, connectionName?: string): iam.Grant {
    const secrets = connectionName ? [this.tokenSecret(connectionName)] : this.connections.map((c) => c.tokenSecret);
    const read = iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
      resourceArns: secrets.map(secretArnForPolicy),
    });
    const decrypt = iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt'],
      resourceArns: [this.key.keyArn],
      conditions: this.viaSecretsManager,
    });
    return read.combine(decrypt);
  }

  private keyStatement(actions: string[]): iam.PolicyStatement {
    return new iam.PolicyStatement({ actions, resources: [this.key.keyArn], conditions: this.viaSecretsManager });
  }
}

/** Checks what CloudFormation would only reject at deploy time, naming the field. */
function validateProps(props: TigerGraphTokenRotationProps): void {
  if (props.connections.length === 0) throw new Error('TigerGraphTokenRotation: connections: expected at least one connection');
  const names = new Set<string>();
  props.connections.forEach((c, i) => {
    const field = `connections[${i}]`;
    if (!/^[A-Za-z0-9-]{1,48}$/.test(c.name)) {
      throw new Error(`TigerGraphTokenRotation: ${field}.name: expected 1-48 letters, digits or dashes, got "${c.name}"`);
    }
    if (names.has(c.name.toLowerCase())) throw new Error(`TigerGraphTokenRotation: ${field}.name: "${c.name}" is used twice`);
    names.add(c.name.toLowerCase());
    const hours = (c.rotationInterval ?? Duration.days(7)).toHours({ integral: false });
    if (hours < 4) {
      throw new Error(`TigerGraphTokenRotation: ${field}.rotationInterval: expected at least 4 hours (Secrets Manager's minimum), got ${hours} hours`);
    }
    if (c.credentialSecret && !c.credentialSecret.secretFullArn) {
      throw new Error(
        `TigerGraphTokenRotation: ${field}.credentialSecret: import it with its complete ARN (Secret.fromSecretCompleteArn) so IAM can name exactly that secret`,
      );
    }
  });
}

/** The ARN naming exactly this secret (both the created and the imported-by-complete-ARN ones have it). */
function secretArnForPolicy(secret: secretsmanager.ISecret): string {
  return secret.secretFullArn ?? secret.secretArn;
}

/** `scheduled-refresh` -> `ScheduledRefresh`. */
function constructId(name: string): string {
  return name
    .split('-')
    .filter(Boolean)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

function dropUndefined<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
