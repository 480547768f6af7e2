/**
 * TokenRotation: everything that keeps API tokens (TigerGraph, Trifacta, ICA) rotated in Secrets
 * Manager.
 *
 * Per connection: a credential secret (created for the operator to fill, or imported), a token
 * secret (tag MANAGED_TAG, no CloudFormation-managed value), the custom resource that writes and
 * updates the token secret's settings, the token secret's write fence and its rotation schedule.
 * Shared: one customer managed KMS key (secrets and failure queues), the four functions, the
 * EventBridge Scheduler schedule of the scheduled refresh, the SSM settings parameter, the failure
 * queues, a dashboard, alarms and an optional alarm topic. With `sweepEngine: 'distributed-map'`
 * the schedule starts a Step Functions state machine instead, which lists the fleet (a fifth
 * function, fleet-list) into an S3 bucket and sweeps it in batches with the scheduled-refresh
 * function (sweep-engine.ts).
 *
 * Every IAM statement is written out here (the `grant*` methods below, and sweep-engine.ts for the
 * Distributed Map engine; no managed policies, no grants of CDK's constructs), so the deployed
 * permissions are exactly what these files say. SECURITY.md describes them; test/infra asserts them.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultStackSynthesizer, Duration, Fn, RemovalPolicy, Stack, Token, TokenComparison, type CustomResource } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { DEFAULT_SETTINGS_PARAMETER, ENV, EVENT_SOURCE, MANAGED_TAG, METRICS_NAMESPACE, OPERATION_TAGS, PRODUCT, ROTATION_ERROR_TAG, ROTATION_TAGS, serviceName, type FunctionName } from '../core/names.js';
import type { RotationScheduleInput } from '../core/rotation-schedule.js';
import { DEFAULT_SETTINGS } from '../core/settings.js';
import type { CredentialBinding } from '../core/providers/binding.js';
import { connectionBindings, deployedOrigins, SECRET_ARN_PREFIX, tokenSecretName } from './bindings.js';
import { createConnectionSecrets, type ConnectionSecrets } from './connection-secrets.js';
import { DEPLOYMENT_DEFAULTS } from './defaults.js';
import { createFunction, type FunctionEnvironment } from './functions.js';
import { createFunctionsSecurityGroup, egressPorts, networkInterfaceStatement } from './network.js';
import { alarmTopic } from './notifications.js';
import { createAlarms, createDashboard, dashboardUrl } from './observability.js';
import { defaultLifetimeSeconds, providerOf, providerSettings, type ProviderName } from './providers.js';
import { checkDeployment, knownEnvironment } from './rules.js';
import { requireConstructCdk, requireDistributedMapCdk } from './cdk-floor.js';
import { acknowledgeFinding } from './nag.js';
import { createFailureQueue, createRefreshSchedule, grantSendToQueue } from './schedule.js';
import { createSettingsResource } from './settings-resource.js';
import { fenceWritePath } from './write-fence.js';
import {
  createSweepMap,
  FLEET_LIST_TIMEOUT,
  grantReadHoldersIndexes,
  grantWriteFleetList,
  MAP_WORKER_TIMEOUT,
  validateSweepEngine,
  type DistributedMapOptions,
  type SweepEngine,
  type SweepMap,
} from './sweep-engine.js';

/** Shared names, for users of the construct. */
export { MANAGED_TAG, METRICS_NAMESPACE, DEFAULT_SETTINGS_PARAMETER, EVENT_SOURCE };
export type { RotationScheduleInput };
export type { ProviderName, SweepEngine, DistributedMapOptions, SweepMap };

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The rotation function's timeout: room for testSecret's default patience for a new token (60 s,
 * core/rotation/patience.ts) plus the margin it keeps, and the other calls of a step.
 */
const ROTATION_TIMEOUT_SECONDS = 120;

/**
 * One connection: a token API endpoint and the credential that mints its tokens. The provider's own
 * fields (below, TigerGraph's and ICA's) are read by name from its definition
 * (ProviderDefinition.connectionFields), so another provider's are taken the same way.
 */
export interface ConnectionProps {
  /** Letters, digits and dashes; names the secrets and construct ids. */
  readonly name: string;
  /** The token API. @default 'tigergraph' */
  readonly provider?: ProviderName;
  /** `https://host[:port]`, no path. */
  readonly host: string;
  /** TigerGraph only. @default 'auto' */
  readonly tigergraphVersion?: '3' | '4' | 'auto';
  /** TigerGraph only. @default - the deployment type's port (9000 on 3.x, 14240 on 4.x, 443 on Cloud) */
  readonly restppPort?: number;
  /** TigerGraph only. @default - the deployment type's port (14240, 443 on Cloud) */
  readonly gsqlPort?: number;
  /** TigerGraph only. @default - none */
  readonly graph?: string;
  /** TigerGraph only: the REST++ path. @default - the deployment type's (`/restpp` on 4.x and Cloud) */
  readonly restppPath?: string;
  /** ICA only: the tenant, for a user in several tenants. @default - the credential's own tenant */
  readonly tenant?: string;
  /**
   * Token lifetime (ICA: the JWT lifetime the tenant administrator set, which the API cannot change).
   * @default - the provider's default (30 days for TigerGraph and Trifacta); ICA has none: required
   */
  readonly lifetimeSeconds?: number;
  /** How often Secrets Manager rotates the token; at least 4 hours, less than the lifetime. @default Duration.days(7) */
  readonly rotationInterval?: Duration;
  /**
   * The rotation window, in Secrets Manager's own form (RotationRules): `scheduleExpression`
   * `rate(<N> hours|days)` or `cron(0 <hours> <day-of-month> <month> <day-of-week> *)` (UTC), and
   * `duration` such as `"4h"`. Secrets Manager rotates inside it, and the scheduled sweep does its
   * routine refreshes, rotations and revokes inside it too, unless a token would expire before the
   * next window opens. Checked at synth as Secrets Manager checks it; windows must be less far
   * apart than the token lifetime, and `scheduleRate` at most the window's length. Instead of
   * `rotationInterval`.
   * @default - no window: `rotationInterval`, and the sweep acts whenever a token is due
   */
  readonly rotationSchedule?: RotationScheduleInput;
  /**
   * An existing secret holding the provider's credential (e.g. `{"secret": "..."}` for TigerGraph),
   * imported with its complete ARN (`Secret.fromSecretCompleteArn`) so the IAM statements name
   * exactly that secret.
   * @default - a secret `<prefix>/<name>/credentials` is created, holding the provider's shape with empty values, to fill in
   */
  readonly credentialSecret?: secretsmanager.ISecret;
  /**
   * The KMS key of an imported `credentialSecret` when it is not `aws/secretsmanager`: the functions
   * get kms:Decrypt on it, through Secrets Manager and for that secret only. Its key policy must let
   * IAM policies of this account grant it.
   * @default - the credential secret uses aws/secretsmanager (or is created with the construct's key)
   */
  readonly credentialSecretKey?: kms.IKey;
}

export interface TokenRotationProps {
  readonly connections: readonly ConnectionProps[];
  /** Secret names are `<prefix>/<connection>/token` and `<prefix>/<connection>/credentials`. @default 'tg-token-rotation' */
  readonly secretNamePrefix?: string;
  /** How often the scheduled refresh runs; at most a third of the shortest token lifetime. @default Duration.hours(1) */
  readonly scheduleRate?: Duration;
  /** Written to the SSM settings parameter. @default 259200 (core DEFAULT_SETTINGS) */
  readonly refreshBeforeSeconds?: number;
  /** Written to the SSM settings parameter. @default 3600 (core DEFAULT_SETTINGS) */
  readonly revokeGraceSeconds?: number;
  /** Written to the SSM settings parameter; 1 to 100. @default 10 (core DEFAULT_SETTINGS) */
  readonly concurrency?: number;
  /**
   * Memory (and so CPU: Lambda allots CPU in proportion) of the scheduled refresh. A sweep is
   * CPU-bound in the AWS SDK (bench/RESULTS.md), so it gets more than the other functions.
   * @default 1024
   */
  readonly scheduledRefreshMemoryMB?: number;
  /** @default '/tg-token-rotation/config' (core DEFAULT_SETTINGS_PARAMETER) */
  readonly settingsParameterName?: string;
  /** Alarm when the soonest-expiring managed token has less than this left. @default Duration.days(1) */
  readonly minSecondsToExpiryAlarmThreshold?: Duration;
  /**
   * Alarm when a credential secret has not changed for this long (the product never rotates
   * credentials: issue 22). Whole days. @default Duration.days(365)
   */
  readonly credentialMaxAge?: Duration;
  /** Existing topic to notify on alarm. @default - none (a topic is created only for `alarmEmail`) */
  readonly alarmTopic?: sns.ITopic;
  /** Email to notify on alarm; subscribed to `alarmTopic`, or to a KMS-encrypted topic created here. @default - none */
  readonly alarmEmail?: string;
  /** Run the functions in this VPC, with a security group allowing only the ports in use out. @default - not in a VPC */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's default subnet selection */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** In a VPC, open the egress ports to IPv6 (::/0) too. @default false */
  readonly ipv6Egress?: boolean;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** X-Ray active tracing. @default false */
  readonly tracing?: boolean;
  /**
   * Deploy each function with its source map and NODE_OPTIONS=--enable-source-maps, so that stack
   * traces in the logs name the product's source files and lines. Off by default: the map is 1.7
   * times the code, and reading it slows every cold start (bench/RESULTS.md section 2).
   * @default false
   */
  readonly sourceMaps?: boolean;
  /**
   * Find the managed secrets by tag (secretsmanager:ListSecrets on `*`, ENV.FLEET_DISCOVERY=tag)
   * instead of the list of this construct's token secrets (ENV.MANAGED_SECRET_IDS and the schedule's
   * `secretIds`). For fleets too large for the list (Lambda's 4 KB environment), or secrets outside
   * the stack (which then need resource policies letting the function roles in).
   * @default false
   */
  readonly discoverSecretsByTag?: boolean;
  /**
   * Roles CloudFormation deploys the stack with: the write fence lets them change the token secrets'
   * configuration (UpdateSecret, RotateSecret, the resource policy), never their value.
   * @default - the CloudFormation execution role of the stack's DefaultStackSynthesizer (`cdk bootstrap`);
   *   with another synthesizer, requests CloudFormation makes with the deployer's credentials (aws:CalledVia)
   */
  readonly deploymentRoleArns?: readonly string[];
  /** Repository root holding functions/ and package-lock.json. @default the directory above infra/ */
  readonly projectRoot?: string;
  /**
   * How a sweep runs: 'lambda', the schedule invokes the scheduled-refresh function, which sweeps
   * the whole fleet (thousands of secrets); 'distributed-map', the schedule starts a Step Functions
   * state machine that lists the fleet to S3 and sweeps it in batches, each worker at its share of
   * the budgets (infra/sweep-engine.ts, docs/distributed-map.md).
   * @default 'lambda'
   */
  readonly sweepEngine?: SweepEngine;
  /** Options of the 'distributed-map' engine (only with it). @default - batches of 1000, 5 % tolerated failures, runs kept 14 days */
  readonly distributedMap?: DistributedMapOptions;
  /**
   * Where the change events go (docs/CONTRACT.md "Change events": `source` `tg-token-rotation`,
   * `detail-type` `Token Rotated`, `Rotation Failed`, ...): the rotation, scheduled-refresh and
   * on-demand functions get `events:PutEvents` on this bus only, and its ARN in `TG_EVENT_BUS`.
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;
}

/** @deprecated Use TokenRotationProps. */
export type TigerGraphTokenRotationProps = TokenRotationProps;

/** What the construct created for one connection. */
export interface ManagedConnection {
  readonly name: string;
  readonly provider: ProviderName;
  readonly tokenSecret: secretsmanager.ISecret;
  readonly credentialSecret: secretsmanager.ISecret;
  /** True when the credential secret was created here and must be filled in by the operator. */
  readonly credentialSecretCreated: boolean;
  /** The key of an imported credential secret, when given. */
  readonly credentialSecretKey?: kms.IKey;
  /** The custom resource that writes the token secret's settings. */
  readonly settings: CustomResource;
}

/** What a consumer may do with a token secret (grantReadToken): read it, nothing else. */
export const TOKEN_READ_ACTIONS = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'] as const;

export class TokenRotation extends Construct {
  /** Encrypts every token and created credential secret, and the failure queues. Rotation enabled; retained on stack deletion. */
  readonly key: kms.Key;
  readonly connections: readonly ManagedConnection[];
  readonly rotationFunction: NodejsFunction;
  readonly scheduledRefreshFunction: NodejsFunction;
  readonly onDemandFunction: NodejsFunction;
  /** Serves the connections' settings custom resources. */
  readonly connectionSettingsFunction: NodejsFunction;
  readonly settingsParameter: ssm.StringParameter;
  /** Receives scheduled-refresh invocations that EventBridge Scheduler could not deliver. */
  readonly scheduleDeadLetterQueue: sqs.Queue;
  /** Receives asynchronous on-demand invocations that failed after Lambda's retries. */
  readonly onDemandFailureQueue: sqs.Queue;
  /** The scheduled refresh's EventBridge Scheduler schedule (the L1 resource: `attrArn`). */
  readonly schedule: scheduler.CfnSchedule;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly alarmTopic?: sns.ITopic;
  readonly securityGroup?: ec2.SecurityGroup;
  /** POWERTOOLS_SERVICE_NAME of the scheduled refresh: the `service` dimension of its metrics. */
  readonly scheduledRefreshServiceName = serviceName('scheduled-refresh');
  readonly sweepEngine: SweepEngine;
  /** 'distributed-map' only: lists the fleet into the sweep bucket. */
  readonly fleetListFunction?: NodejsFunction;
  /** 'distributed-map' only: the state machine, its bucket, role and log group. */
  readonly sweepMap?: SweepMap;
  /** The bus the change events are put on. */
  readonly eventBus: events.IEventBus;

  private readonly props: TokenRotationProps;
  /** The connections' secrets, before their settings resources exist. */
  private readonly secrets: readonly ConnectionSecretsEntry[];
  private readonly scheduleRate: Duration;
  private readonly discoverSecretsByTag: boolean;
  /** `AwsSolutions-IAM5[Resource::*]` reasons, by role: one acknowledgment per role, every reason in it. */
  private readonly wildcardReasons = new Map<iam.IRole, string[]>();

  constructor(scope: Construct, id: string, props: TokenRotationProps) {
    super(scope, id);
    requireConstructCdk();
    this.props = props;
    this.scheduleRate = props.scheduleRate ?? DEPLOYMENT_DEFAULTS.scheduleRate;
    this.discoverSecretsByTag = props.discoverSecretsByTag ?? false;
    this.sweepEngine = props.sweepEngine ?? 'lambda';
    validateSweepEngine('TokenRotation', this.sweepEngine, props.distributedMap);
    if (this.sweepEngine === 'distributed-map') requireDistributedMapCdk();
    // The one rule set (rules.ts), before anything is created.
    checkDeployment('TokenRotation', props, { env: knownEnvironment(Stack.of(this)) });
    this.eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultEventBus', 'default');

    // Secrets and settings
    this.key = this.createKey();
    this.secrets = this.createConnectionSecrets();
    this.settingsParameter = this.createSettingsParameter();

    // Functions
    this.securityGroup = this.createSecurityGroup();
    this.rotationFunction = this.createFunction('rotation', Duration.seconds(ROTATION_TIMEOUT_SECONDS), 'Secrets Manager rotation hook for the token secrets');
    this.scheduledRefreshFunction = this.createSweepFunction();
    this.onDemandFunction = this.createFunction('on-demand', Duration.seconds(60), 'Request, refresh, delete or inspect a token on demand');
    this.connectionSettingsFunction = this.createFunction(
      'connection-settings',
      Duration.minutes(3),
      "Writes a token secret's settings for CloudFormation (custom resource)",
    );

    this.grantFunctions();
    if (this.sweepEngine === 'distributed-map') this.fleetListFunction = this.createFleetListFunction();
    const invokePermissions = this.allowSecretsManagerToInvokeRotation();

    // Per connection: settings, write fence, rotation
    this.connections = this.applySettings();
    this.fenceWritePaths();
    this.scheduleRotations(invokePermissions);

    // Schedule and failure queues
    this.onDemandFailureQueue = createFailureQueue(this, 'OnDemandFailureQueue', this.key);
    this.scheduleDeadLetterQueue = createFailureQueue(this, 'ScheduleDeadLetterQueue', this.key);
    this.sendFailedInvocationsToQueue(this.onDemandFunction, this.onDemandFailureQueue);
    if (this.fleetListFunction) this.sweepMap = this.createSweepMap(this.fleetListFunction);
    this.schedule = this.scheduleRefresh();

    // What operators see
    this.dashboard = this.createDashboard();
    this.alarms = this.createAlarms();
    this.alarmTopic = this.notify(this.alarms);

    this.acknowledgeFindings();
  }

  /** The scheduled refresh (or, with the Distributed Map engine, its map worker). */
  private createSweepFunction(): lambda.Function {
    return this.createFunction(
      'scheduled-refresh',
      // A map worker may spend all of Lambda's time on its batch.
      this.sweepEngine === 'distributed-map' ? MAP_WORKER_TIMEOUT : Duration.minutes(5),
      'Refreshes or rotates tokens close to expiry and revokes superseded ones',
      this.props.scheduledRefreshMemoryMB ?? DEPLOYMENT_DEFAULTS.scheduledRefreshMemoryMB,
    );
  }

  /** Each function's permissions (least privilege: SECURITY.md has the table). */
  private grantFunctions(): void {
    this.grantRotateTokens(this.rotationFunction);
    this.grantManageTokens(this.scheduledRefreshFunction);
    this.grantManageTokens(this.onDemandFunction);
    for (const fn of [this.rotationFunction, this.scheduledRefreshFunction, this.onDemandFunction]) this.grantPutEvents(fn);
    this.grantApplySettings(this.connectionSettingsFunction);
  }

  /** The token secret of one connection. */
  tokenSecret(connectionName: string): secretsmanager.ISecret {
    const found = this.connections.find((c) => c.name === connectionName);
    if (!found) {
      throw new Error(`No connection named "${connectionName}" (have: ${this.connections.map((c) => c.name).join(', ')})`);
    }
    return found.tokenSecret;
  }

  /**
   * Lets a consumer read the token: secretsmanager:GetSecretValue and DescribeSecret on the token
   * secret of `connectionName` (or of every connection), and kms:Decrypt on the key only through
   * Secrets Manager and only for those secrets. Never the credential secret, never a write.
   *
   * A principal of this account (a role, a function) gets an identity policy. A principal of
   * another account (`new iam.AccountPrincipal('111122223333')`, a role ARN there) or an
   * organization (`new iam.OrganizationPrincipal('o-...')`: aws:PrincipalOrgID) gets the same
   * two statements where it cannot get an identity policy from this stack: in the token secret's
   * resource policy (beside the write fence, whose denies still win) and in the key policy. Its
   * own account must still allow it in an identity policy (docs/usage.md).
   */
  grantReadToken(grantee: iam.IGrantable, connectionName?: string): iam.Grant {
    const names = connectionName ? [connectionName] : this.connections.map((c) => c.name);
    const secrets = names.map((name) => this.tokenSecret(name));
    if (!this.inThisAccount(grantee.grantPrincipal)) return this.grantReadTokenByResourcePolicies(grantee, names, secrets);
    const arns = secrets.map(secretArnForPolicy);
    const read = iam.Grant.addToPrincipal({ grantee, actions: [...TOKEN_READ_ACTIONS], resourceArns: arns });
    const decrypt = iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt'],
      resourceArns: [this.key.keyArn],
      conditions: this.viaSecretsManagerFor(arns),
    });
    return read.combine(decrypt);
  }

  /** Whether `principal` is of this stack's account (or both accounts are the deploy-time one). */
  private inThisAccount(principal: iam.IPrincipal): boolean {
    if (principal.principalAccount === undefined) return false; // an organization, '*', a service
    const comparison = Token.compareStrings(Stack.of(this).account, principal.principalAccount);
    return comparison === TokenComparison.SAME || comparison === TokenComparison.BOTH_UNRESOLVED;
  }

  /**
   * grantReadToken for a principal of another account or an organization: the token secrets'
   * resource policies and the key policy name it (the statements an identity policy would hold).
   * The key policy is a property of the key, which each secret names: it matches the secrets'
   * ARNs by name (`<prefix>/<name>/token-` and Secrets Manager's six-character suffix), as a
   * reference to the secrets would make a dependency cycle. The key statement is written out:
   * Grant.addToPrincipalAndResource drops the conditions from the resource statement it writes in
   * older aws-cdk-lib versions (2.168.0 does), which would leave that Decrypt unconditioned; the
   * returned Grant holds the secrets' statements.
   */
  private grantReadTokenByResourcePolicies(grantee: iam.IGrantable, names: string[], secrets: secretsmanager.ISecret[]): iam.Grant {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [grantee.grantPrincipal],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:SecretARN': names.map((name) => `${SECRET_ARN_PREFIX}${tokenSecretName(this.secretNamePrefix, name)}-??????`) },
        },
      }),
    );
    const grants = secrets.map((secret) =>
      iam.Grant.addToPrincipalAndResource({ grantee, actions: [...TOKEN_READ_ACTIONS], resourceArns: [secretArnForPolicy(secret)], resource: secret, resourceSelfArns: ['*'] }),
    );
    return grants.reduce((all, g) => all.combine(g));
  }

  // ---- Secrets and settings ----------------------------------------------------------------------

  private get secretNamePrefix(): string {
    return this.props.secretNamePrefix ?? PRODUCT;
  }

  private createKey(): kms.Key {
    return new kms.Key(this, 'Key', {
      description: `Encrypts the token and credential secrets and the failure queues (${PRODUCT})`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private createConnectionSecrets(): ConnectionSecretsEntry[] {
    return this.props.connections.map((conn) => {
      const provider = providerOf(conn);
      const secrets = createConnectionSecrets(this, {
        name: conn.name,
        provider,
        host: conn.host,
        secretNamePrefix: this.secretNamePrefix,
        key: this.key,
        ...(conn.credentialSecret ? { credentialSecret: conn.credentialSecret } : {}),
      });
      return { conn, provider, ...secrets, ...(conn.credentialSecretKey ? { credentialSecretKey: conn.credentialSecretKey } : {}) };
    });
  }

  private createSettingsParameter(): ssm.StringParameter {
    return new ssm.StringParameter(this, 'Settings', {
      parameterName: this.props.settingsParameterName ?? DEFAULT_SETTINGS_PARAMETER,
      description: `${PRODUCT} settings; a field in a token secret overrides the same field here`,
      stringValue: JSON.stringify({
        refreshBeforeSeconds: this.props.refreshBeforeSeconds ?? DEFAULT_SETTINGS.refreshBeforeSeconds,
        revokeGraceSeconds: this.props.revokeGraceSeconds ?? DEFAULT_SETTINGS.revokeGraceSeconds,
        concurrency: this.props.concurrency ?? DEFAULT_SETTINGS.concurrency,
        sweepIntervalSeconds: this.scheduleRate.toSeconds(),
      }),
    });
  }

  /** Each connection's settings custom resource: the token secret's initial JSON and later changes. */
  private applySettings(): ManagedConnection[] {
    return this.secrets.map(({ conn, provider, tokenSecret, credentialSecret, credentialSecretCreated, credentialSecretKey }) => {
      const settings = createSettingsResource(tokenSecret, 'Settings', {
        serviceToken: this.connectionSettingsFunction,
        secretId: tokenSecret.secretArn,
        settings: {
          provider,
          host: conn.host,
          ...providerSettings(conn, provider),
          lifetimeSeconds: conn.lifetimeSeconds ?? defaultLifetimeSeconds(provider),
          credentialSecretId: credentialSecret.secretArn,
          // The sweep reads the window from the token secret (core/operations/routine.ts).
          ...(conn.rotationSchedule ? { rotationSchedule: conn.rotationSchedule } : {}),
        },
      });
      // A host change rotates from the custom resource: the functions that mint and check the new
      // token must run with the new credential bindings first. CloudFormation updates what a
      // resource depends on before it; the connection-settings function is one already (ServiceToken).
      settings.node.addDependency(this.rotationFunction);
      return {
        name: conn.name,
        provider: provider as ProviderName,
        tokenSecret,
        credentialSecret,
        credentialSecretCreated,
        ...(credentialSecretKey ? { credentialSecretKey } : {}),
        settings,
      };
    });
  }

  /** The write fence on every token secret (write-fence.ts): only the function roles write. */
  private fenceWritePaths(): void {
    const writers = this.functions.map((fn) => fn.role!);
    const deployers = this.props.deploymentRoleArns ?? this.defaultDeploymentRoleArns();
    for (const c of this.connections) fenceWritePath(c.tokenSecret, { writers, deployers });
  }

  private defaultDeploymentRoleArns(): string[] {
    const synthesizer = Stack.of(this).synthesizer;
    return synthesizer instanceof DefaultStackSynthesizer ? [Fn.sub(synthesizer.cloudFormationExecutionRoleArn)] : [];
  }

  /**
   * Rotates each token secret with the rotation function at its interval, once the settings custom
   * resource has written the initial JSON and the permissions are in place (the first rotation
   * starts when the schedule is created).
   */
  private scheduleRotations(invokePermissions: readonly lambda.CfnPermission[]): void {
    // An imported reference to the same function: RotationSchedule then adds none of its own grants
    // (GetRandomPassword on *, an invoke permission without SourceAccount, a key-policy grant);
    // the exact permissions are the grant* methods here.
    const rotationFunctionRef = lambda.Function.fromFunctionAttributes(this, 'RotationFunctionRef', {
      functionArn: this.rotationFunction.functionArn,
      sameEnvironment: true,
    });
    this.props.connections.forEach((conn, i) => {
      const managed = this.connections[i]!;
      const rotation = managed.tokenSecret.addRotationSchedule('Rotation', {
        rotationLambda: rotationFunctionRef,
        automaticallyAfter: conn.rotationInterval ?? DEPLOYMENT_DEFAULTS.rotationInterval,
        // A deploy rotates nothing (issue 22): an update of the schedule (a new interval, a new
        // rotation function) would otherwise rotate every token at once, however fresh. The sweep
        // rotates what is due. CloudFormation then has Secrets Manager test the configuration
        // (testSecret on an empty version: 'nothing-to-test'). The create still rotates: the
        // first token arrives with the deploy.
        rotateImmediatelyOnUpdate: false,
      });
      if (conn.rotationSchedule) {
        // The L2 writes only rate() from a Duration: the window goes into RotationRules as given.
        (rotation.node.defaultChild as secretsmanager.CfnRotationSchedule).rotationRules = {
          scheduleExpression: conn.rotationSchedule.scheduleExpression,
          ...(conn.rotationSchedule.duration ? { duration: conn.rotationSchedule.duration } : {}),
        };
      }
      rotation.node.addDependency(...invokePermissions, this.rotationFunction.role!, managed.settings);
    });
  }

  // ---- Functions ---------------------------------------------------------------------------------

  private get functions(): NodejsFunction[] {
    return [this.rotationFunction, this.scheduledRefreshFunction, this.onDemandFunction, this.connectionSettingsFunction];
  }

  private get tokenSecretArns(): string[] {
    return this.secrets.map((c) => secretArnForPolicy(c.tokenSecret));
  }

  private createSecurityGroup(): ec2.SecurityGroup | undefined {
    if (!this.props.vpc) return undefined;
    return createFunctionsSecurityGroup(this, {
      vpc: this.props.vpc,
      ports: egressPorts(this.props.connections.flatMap(deployedOrigins)),
      ipv6: this.props.ipv6Egress ?? false,
    });
  }

  private createFunction(name: FunctionName, timeout: Duration, description: string, memorySize?: number): NodejsFunction {
    const fn = createFunction(this, { name, timeout, description, ...(memorySize ? { memorySize } : {}) }, this.functionEnvironment());
    const role = fn.role!;
    if (this.props.vpc) {
      role.addToPrincipalPolicy(networkInterfaceStatement());
      this.acknowledgeWildcard(role, 'Lambda attaches the function to the VPC with its role: ec2:DescribeNetworkInterfaces and DescribeSubnets work only on *, and the interfaces are created and deleted by Lambda at run time (the EC2 part of AWSLambdaVPCAccessExecutionRole, without its logs on *).');
    }
    if (this.props.tracing) {
      this.acknowledgeWildcard(role, 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.');
    }
    acknowledgeFinding(fn, 'AwsSolutions-L1', 'The contract pins nodejs22.x (tests run on Node 22); the runtime moves with the project, not ahead of it.');
    return fn;
  }

  /** The environment every function shares (functions.ts adds the per-function names). */
  private functionEnvironment(): FunctionEnvironment {
    return {
      projectRoot: this.props.projectRoot ?? REPO_ROOT,
      settingsParameterName: this.props.settingsParameterName ?? DEFAULT_SETTINGS_PARAMETER,
      deployment: this.deploymentVariables(),
      logRetention: this.props.logRetention ?? (DEPLOYMENT_DEFAULTS.logRetentionDays as logs.RetentionDays),
      logLevel: this.props.logLevel ?? DEPLOYMENT_DEFAULTS.logLevel,
      tracing: this.props.tracing ?? false,
      sourceMaps: this.props.sourceMaps ?? false,
      // With tag discovery a managed secret may come from outside the connections: every family.
      ...(this.discoverSecretsByTag ? {} : { providers: [...new Set(this.props.connections.map(providerOf))] }),
      ...(this.props.vpc ? { vpc: this.props.vpc } : {}),
      ...(this.props.vpcSubnets ? { vpcSubnets: this.props.vpcSubnets } : {}),
      ...(this.securityGroup ? { securityGroup: this.securityGroup } : {}),
    };
  }

  /**
   * What the deployment decided, for every function: the secrets it owns (its ids, or with tag
   * discovery its name prefix) and where each credential may be sent (infra/bindings.ts). Only a
   * deploy changes a function's environment.
   */
  private deploymentVariables(): Record<string, string> {
    const fleet: Record<string, string> = this.discoverSecretsByTag
      ? { [ENV.FLEET_DISCOVERY]: 'tag', [ENV.OWNED_SECRET_NAME_PREFIX]: `${this.secretNamePrefix}/` }
      : { [ENV.MANAGED_SECRET_IDS]: Fn.join(',', this.tokenSecretArns) };
    return {
      ...fleet,
      [ENV.SECRET_ARN_PREFIX]: SECRET_ARN_PREFIX,
      [ENV.CREDENTIAL_BINDINGS]: Stack.of(this).toJsonString(this.bindings),
    };
  }

  /** The credential bindings (infra/bindings.ts): one per credential secret. */
  private get bindings(): CredentialBinding[] {
    return connectionBindings(
      this.secretNamePrefix,
      this.secrets.map(({ conn, credentialSecret, credentialSecretCreated }) => ({
        ...conn,
        ...(credentialSecretCreated ? {} : { credentialSecret: { secretFullArn: secretArnForPolicy(credentialSecret) } }),
      })),
    );
  }

  // ---- Grants ------------------------------------------------------------------------------------

  /**
   * The rotation function: the four rotation steps on the token secrets, and tagging a failed
   * rotation. It reads the fleet's current tokens in batches (and lists it by tag with tag
   * discovery) before revoking a token it minted but could not store, where tokens can collide.
   */
  private grantRotateTokens(fn: lambda.IFunction): void {
    this.grantReadWriteTokens(fn, 'the fleet read before revoking an unstored token that may be shared');
    this.grantDiscoverSecrets(fn);
    // pendingTokenAttempts and newTokenPatienceSeconds bound what testSecret does with a refused token.
    this.grantReadSettings(fn);
    // The rotation tags a secret whose rotation failed (ROTATION_ERROR_TAG) and untags it when one
    // succeeds, with the renewal reason the sweep left for it (RENEWAL_REASON_TAG); those tags only.
    this.grantTags(fn, ROTATION_TAGS);
    this.grantReadCredentials(fn);
    this.grantTokenKey(fn);
  }

  /**
   * The scheduled refresh and on-demand: read the fleet in batches, refresh (write), rotate through
   * the service (RotateSecret, which needs lambda:InvokeFunction on the rotation function), revoke
   * with the credential, and read the settings parameter.
   */
  private grantManageTokens(fn: lambda.IFunction): void {
    this.grantReadWriteTokens(fn, 'the sweep reads the fleet in batches');
    this.grantInvokeRotation(fn);
    this.grantReadCredentials(fn);
    this.grantTokenKey(fn);
    this.grantReadSettings(fn);
    this.grantDiscoverSecrets(fn);
    // The operational records: a pause, the last refresh's and settle's outcomes, a renewal's reason,
    // and the failure record of a failed refresh (core/rotation/failure-record.ts).
    this.grantTags(fn, [...OPERATION_TAGS, ROTATION_ERROR_TAG]);
  }

  /** TagResource and UntagResource on the token secrets, for these tag keys only (`aws:TagKeys`). */
  private grantTags(fn: lambda.IFunction, keys: readonly string[]): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:TagResource', 'secretsmanager:UntagResource'],
        resources: this.tokenSecretArns,
        conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...keys] } },
      }),
    );
  }

  /** PutEvents on the change events' bus only, whose ARN the function reads from ENV.EVENT_BUS. */
  private grantPutEvents(fn: lambda.Function): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.eventBus.eventBusArn] }));
    fn.addEnvironment(ENV.EVENT_BUS, this.eventBus.eventBusArn);
  }

  /** With discoverSecretsByTag: finding the managed secrets by tag (ListSecrets, which has no resource-level permissions). */
  private grantDiscoverSecrets(fn: lambda.IFunction): void {
    if (!this.discoverSecretsByTag) return;
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
    this.acknowledgeWildcard(
      fn.role!,
      'secretsmanager:ListSecrets (discoverSecretsByTag) does not support resource-level permissions; it returns names and tags only, values stay behind GetSecretValue on the managed secrets.',
    );
  }

  /**
   * The connection-settings function: write the initial JSON, apply changes (rotating to a token of
   * new settings), revoke replaced tokens; and confirm each event with this stack's CloudFormation
   * (functions/connection-settings/confirm.ts), which needs the stack's id and DescribeStackResource on it.
   */
  private grantApplySettings(fn: lambda.Function): void {
    this.grantReadWriteTokens(fn, "the fleet's current tokens, read before revoking a token that can collide");
    this.grantDiscoverSecrets(fn);
    this.grantInvokeRotation(fn);
    this.grantReadCredentials(fn);
    this.grantTokenKey(fn);
    fn.addEnvironment(ENV.STACK_ID, Stack.of(this).stackId);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudformation:DescribeStackResource'], resources: [Stack.of(this).stackId] }));
  }

  /**
   * Reading and writing the token secrets' values, one by one on the token secrets and in batches
   * (BatchGetSecretValue has no resource-level permissions; it returns only the values that
   * GetSecretValue on the token secrets allows). `batchReadsFor` says, in the cdk-nag
   * acknowledgement, what the function reads in batches.
   */
  private grantReadWriteTokens(fn: lambda.IFunction, batchReadsFor: string): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        resources: this.tokenSecretArns,
      }),
    );
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:BatchGetSecretValue'], resources: ['*'] }));
    this.acknowledgeWildcard(
      fn.role!,
      `secretsmanager:BatchGetSecretValue does not support resource-level permissions; it returns only the values GetSecretValue on the named token secrets allows (${batchReadsFor}).`,
    );
  }

  /**
   * RotateSecret on the token secrets, only with this construct's rotation function: the secret's
   * rotation must name it (`secretsmanager:resource/AllowRotationLambdaArn`), and a request that
   * names a function must name it too (`secretsmanager:RotationLambdaARN`; the functions' requests
   * name none). RotateSecret on a Lambda-rotated secret needs the caller to be allowed to invoke
   * that function.
   */
  private grantInvokeRotation(fn: lambda.IFunction): void {
    const rotationFunction = this.rotationFunction.functionArn;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:RotateSecret'],
        resources: this.tokenSecretArns,
        conditions: {
          StringEquals: { 'secretsmanager:resource/AllowRotationLambdaArn': rotationFunction },
          StringEqualsIfExists: { 'secretsmanager:RotationLambdaARN': rotationFunction },
        },
      }),
    );
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [rotationFunction] }));
  }

  /**
   * GetSecretValue on the credential secrets, DescribeSecret to resolve a credential a token secret
   * names by name or partial ARN to the ARN its binding names (core/providers/open.ts), and Decrypt
   * on an imported one's own key for that secret only.
   */
  private grantReadCredentials(fn: lambda.IFunction): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], resources: this.secrets.map((c) => secretArnForPolicy(c.credentialSecret)) }),
    );
    for (const c of this.secrets) {
      if (!c.credentialSecretKey) continue;
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [c.credentialSecretKey.keyArn],
          conditions: this.viaSecretsManagerFor([secretArnForPolicy(c.credentialSecret)]),
        }),
      );
    }
  }

  /**
   * The construct's key, through Secrets Manager and for the secrets the function serves only:
   * Decrypt for the token secrets and created credential secrets, GenerateDataKey (writing) for the
   * token secrets.
   */
  private grantTokenKey(fn: lambda.IFunction): void {
    const created = this.secrets.filter((c) => c.credentialSecretCreated).map((c) => secretArnForPolicy(c.credentialSecret));
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.key.keyArn], conditions: this.viaSecretsManagerFor([...this.tokenSecretArns, ...created]) }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [this.key.keyArn], conditions: this.viaSecretsManagerFor(this.tokenSecretArns) }),
    );
  }

  /** The settings parameter, read with GetParameter. */
  private grantReadSettings(fn: lambda.IFunction): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [this.settingsParameter.parameterArn] }));
  }

  /**
   * Secrets Manager may invoke the rotation function only for this deployment's secrets, on behalf
   * of this account (confused deputy): one permission per token secret with its ARN as SourceArn,
   * or with tag discovery one for every secret under the owned name prefix (Lambda matches
   * SourceArn with ArnLike). A secret elsewhere whose rotation names the function is not invoked
   * for; the function also refuses it (core/operations/fleet.ts assertOwned).
   */
  private allowSecretsManagerToInvokeRotation(): lambda.CfnPermission[] {
    const permission = (scope: Construct, sourceArn: string) =>
      new lambda.CfnPermission(scope, 'RotationInvokePermission', {
        action: 'lambda:InvokeFunction',
        functionName: this.rotationFunction.functionArn,
        principal: 'secretsmanager.amazonaws.com',
        sourceAccount: Stack.of(this).account,
        sourceArn,
      });
    if (this.discoverSecretsByTag) return [permission(this, `${SECRET_ARN_PREFIX}${this.secretNamePrefix}/*`)];
    // In the connection's scope (connection-secrets.ts), whose id is the connection's unique name.
    return this.secrets.map(({ tokenSecret }) => permission(tokenSecret.node.scope as Construct, secretArnForPolicy(tokenSecret)));
  }

  /**
   * Failed asynchronous invocations land in the queue. Lambda sends with the function's role, which
   * may only SendMessage there and use the queue's key through SQS (CDK's SqsDestination would also
   * grant GetQueueUrl/Attributes).
   */
  private sendFailedInvocationsToQueue(fn: lambda.Function, queue: sqs.IQueue): void {
    fn.configureAsyncInvoke({ onFailure: { bind: () => ({ destination: queue.queueArn }) } });
    grantSendToQueue(fn, queue);
  }

  private viaSecretsManagerFor(secretArns: string[]): Record<string, Record<string, unknown>> {
    return {
      StringEquals: {
        'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com`,
        'kms:EncryptionContext:SecretARN': secretArns,
      },
    };
  }

  // ---- Schedule, dashboard, alarms, notifications ------------------------------------------------

  /**
   * The scheduled refresh: the stack's token secrets as `{"secretIds": [...]}`, or no input with tag
   * discovery; with the Distributed Map engine, an execution of the sweep state machine (its list
   * step finds the fleet the same way).
   */
  private scheduleRefresh(): scheduler.CfnSchedule {
    if (this.sweepMap) {
      const schedule = createRefreshSchedule(this, {
        target: this.sweepMap.stateMachine,
        deadLetterQueue: this.scheduleDeadLetterQueue,
        rate: this.scheduleRate,
        input: {},
      });
      // The map's own permissions (start its child executions) exist before the first run.
      schedule.node.addDependency(this.sweepMap.executionPolicy);
      return schedule;
    }
    return createRefreshSchedule(this, {
      target: this.scheduledRefreshFunction,
      deadLetterQueue: this.scheduleDeadLetterQueue,
      rate: this.scheduleRate,
      ...(this.discoverSecretsByTag ? {} : { input: { secretIds: this.tokenSecretArns } }),
    });
  }

  private get credentialMaxAgeDays(): number {
    return (this.props.credentialMaxAge ?? DEPLOYMENT_DEFAULTS.credentialMaxAge).toDays();
  }

  private get expiryThresholdSeconds(): number {
    return (this.props.minSecondsToExpiryAlarmThreshold ?? DEPLOYMENT_DEFAULTS.minSecondsToExpiryAlarmThreshold).toSeconds();
  }

  /** One datapoint per scheduled run, ideally. */
  private get dashboardPeriod(): Duration {
    return Duration.seconds(Math.max(60, this.scheduleRate.toSeconds()));
  }

  private createDashboard(): cloudwatch.Dashboard {
    return createDashboard(this, {
      period: this.dashboardPeriod,
      minSecondsToExpiryThreshold: this.expiryThresholdSeconds,
      credentialMaxAgeDays: this.credentialMaxAgeDays,
      ...(this.sweepMap ? { sweepStateMachine: this.sweepMap.stateMachine } : {}),
    });
  }

  private createAlarms(): cloudwatch.Alarm[] {
    return createAlarms(this, {
      scheduledRefreshFunction: this.scheduledRefreshFunction,
      // One period covers at least two scheduled runs, so one late run is not a missing datapoint.
      refreshPeriod: Duration.seconds(Math.min(Math.max(2 * this.scheduleRate.toSeconds(), 300), 86400)),
      minSecondsToExpiryThreshold: this.expiryThresholdSeconds,
      credentialMaxAgeDays: this.credentialMaxAgeDays,
      scheduleDeadLetterQueue: this.scheduleDeadLetterQueue,
      onDemandFailureQueue: this.onDemandFailureQueue,
      dashboardUrl: dashboardUrl(this.dashboard),
      ...(this.sweepMap ? { sweepStateMachine: this.sweepMap.stateMachine } : {}),
    });
  }

  // ---- Distributed Map sweep engine (sweep-engine.ts) ----------------------------------------------

  /**
   * The list step: lists the fleet (by tag: ListSecrets on *), reads the token secrets' current
   * values for the holders index it writes (fingerprints only: core/operations/holders-index.ts),
   * and reads the settings for the plan.
   */
  private createFleetListFunction(): NodejsFunction {
    const fn = this.createFunction(
      'fleet-list',
      FLEET_LIST_TIMEOUT,
      "Lists the managed secrets into S3 for the sweep's Distributed Map",
      this.props.scheduledRefreshMemoryMB ?? DEPLOYMENT_DEFAULTS.scheduledRefreshMemoryMB,
    );
    this.grantReadSettings(fn);
    this.grantDiscoverSecrets(fn);
    this.grantReadTokenValues(fn);
    return fn;
  }

  /** GetSecretValue (and BatchGetSecretValue) on the token secrets, and Decrypt of them through Secrets Manager: reading, nothing else. */
  private grantReadTokenValues(fn: lambda.IFunction): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: this.tokenSecretArns }));
    // BatchGetSecretValue has no resource-level permissions; it returns only the secrets GetSecretValue (above) allows.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:BatchGetSecretValue'], resources: ['*'] }));
    this.acknowledgeWildcard(
      fn.role!,
      'secretsmanager:BatchGetSecretValue does not support resource-level permissions; it returns only the values GetSecretValue on the named token secrets allows (the list step reads the current tokens for the holders index).',
    );
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.key.keyArn], conditions: this.viaSecretsManagerFor(this.tokenSecretArns) }));
  }

  private createSweepMap(listFunction: NodejsFunction): SweepMap {
    const map = createSweepMap(this, {
      listFunction,
      workerFunction: this.scheduledRefreshFunction,
      ...(this.props.distributedMap ? { options: this.props.distributedMap } : {}),
      timeout: this.scheduleRate,
      logRetention: this.props.logRetention ?? (DEPLOYMENT_DEFAULTS.logRetentionDays as logs.RetentionDays),
      tracing: this.props.tracing ?? false,
    });
    grantWriteFleetList(listFunction, map.bucket);
    grantReadHoldersIndexes(this.scheduledRefreshFunction, map.bucket);
    return map;
  }


  private notify(alarms: readonly cloudwatch.Alarm[]): sns.ITopic | undefined {
    const topic = alarmTopic(this, {
      ...(this.props.alarmTopic ? { topic: this.props.alarmTopic } : {}),
      ...(this.props.alarmEmail ? { email: this.props.alarmEmail } : {}),
      alarms,
    });
    if (topic) {
      const action = new cwActions.SnsAction(topic);
      for (const a of alarms) a.addAlarmAction(action);
    }
    return topic;
  }

  private acknowledgeWildcard(role: iam.IRole, reason: string): void {
    this.wildcardReasons.set(role, [...(this.wildcardReasons.get(role) ?? []), reason]);
  }

  private acknowledgeFindings(): void {
    for (const [role, reasons] of this.wildcardReasons) {
      acknowledgeFinding(role, 'AwsSolutions-IAM5[Resource::*]', reasons.join(' '));
    }
  }
}

/** @deprecated Use TokenRotation (the construct serves every provider). */
export const TigerGraphTokenRotation = TokenRotation;
/** @deprecated Use TokenRotation. */
export type TigerGraphTokenRotation = TokenRotation;

interface ConnectionSecretsEntry extends ConnectionSecrets {
  readonly conn: ConnectionProps;
  readonly provider: string;
  readonly credentialSecretKey?: kms.IKey;
}

/** The ARN naming exactly this secret (both the created and the imported-by-complete-ARN ones have it). */
function secretArnForPolicy(secret: secretsmanager.ISecret): string {
  return secret.secretFullArn ?? secret.secretArn;
}
