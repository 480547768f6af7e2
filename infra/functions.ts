/**
 * One of the product's Lambda functions (core/names.ts FUNCTION_NAMES), each bundled on its own
 * from functions/<name>/handler.ts: its own retained log group, its own role (which may write only
 * that log group; every other permission is granted by the construct, statement by statement), and
 * the environment the handlers read. The construct never sets ENV.LOCAL_RUN: deployed functions
 * never speak plain HTTP.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ENV, METRICS_NAMESPACE, PRODUCT, serviceName, type FunctionName } from '../core/names.js';
import { cdkBundlingProps, LAMBDA_BUNDLING, lambdaBundling, prebuiltBundleDir } from './bundling.js';
import { DEPLOYMENT_DEFAULTS } from './defaults.js';

export interface FunctionSpec {
  readonly name: FunctionName;
  readonly description: string;
  readonly timeout: Duration;
  /** @default 256 (DEPLOYMENT_DEFAULTS.functionMemoryMB) */
  readonly memorySize?: number;
}

export interface FunctionEnvironment {
  readonly projectRoot: string;
  readonly settingsParameterName: string;
  /**
   * Variables every function gets, what the deployment decided: the fleet it owns
   * (ENV.MANAGED_SECRET_IDS, or ENV.FLEET_DISCOVERY with ENV.OWNED_SECRET_NAME_PREFIX) and where
   * each credential may go (ENV.CREDENTIAL_BINDINGS under ENV.SECRET_ARN_PREFIX).
   */
  readonly deployment: Readonly<Record<string, string>>;
  readonly logRetention: logs.RetentionDays;
  readonly logLevel: string;
  readonly tracing: boolean;
  /** Deploy each function's source map and run it with NODE_OPTIONS=--enable-source-maps (TokenRotationProps.sourceMaps). */
  readonly sourceMaps: boolean;
  /**
   * The providers the deployment's connections use: the bundles carry only those families
   * (core/providers/bundled.ts). Undefined: every family (tag discovery, or a prebuilt bundle).
   */
  readonly providers?: readonly string[];
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroup?: ec2.ISecurityGroup;
}

/** `scheduled-refresh` -> `ScheduledRefresh`: the construct ids `<Id>Logs`, `<Id>Role`, `<Id>Function`. */
export function constructId(name: string): string {
  return name
    .split('-')
    .filter(Boolean)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

/**
 * Creates the function in `scope` with the ids `<Id>Logs`, `<Id>Role` and `<Id>Function` (stable:
 * they name the deployed resources).
 */
export function createFunction(scope: Construct, spec: FunctionSpec, env: FunctionEnvironment): NodejsFunction {
  const cid = constructId(spec.name);
  const logGroup = new logs.LogGroup(scope, `${cid}Logs`, {
    retention: env.logRetention,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(scope, `${cid}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `${PRODUCT} ${spec.name} function`,
  });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  return new NodejsFunction(scope, `${cid}Function`, {
    description: spec.description,
    ...functionCode(spec.name, env.projectRoot, env.sourceMaps, env.providers),
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: spec.memorySize ?? DEPLOYMENT_DEFAULTS.functionMemoryMB,
    timeout: spec.timeout,
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    tracing: env.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
    vpc: env.vpc,
    vpcSubnets: env.vpc ? env.vpcSubnets : undefined,
    securityGroups: env.securityGroup ? [env.securityGroup] : undefined,
    environment: functionEnvironment(spec.name, env),
  });
}

/**
 * Where the function's code comes from. In this repository: functions/<name>/handler.ts, bundled
 * by NodejsFunction at synth. In the installed package (dist/, no TypeScript, no esbuild, no lock
 * file): the bundle `npm run build` made with the same settings (infra/bundling.ts
 * esbuildOptionsFor), dist/lambda/<name>/index.mjs next to this module, as a plain asset
 * (NodejsFunction's `code` prop: no bundling, same function otherwise), its source map left out
 * unless `sourceMaps` asks for it; a prebuilt bundle carries every provider family (no esbuild to
 * leave one out at deploy time). The TypeScript entry wins whenever it exists, so the
 * repository's own synth and tests never use a stale build.
 */
function functionCode(
  name: FunctionName,
  projectRoot: string,
  sourceMaps: boolean,
  providers: readonly string[] | undefined,
): Pick<NodejsFunctionProps, 'code' | 'entry' | 'handler' | 'projectRoot' | 'depsLockFilePath' | 'bundling'> {
  const entry = path.join(projectRoot, 'functions', name, 'handler.ts');
  const prebuilt = prebuiltBundleDir(name);
  if (!existsSync(entry) && existsSync(path.join(prebuilt, LAMBDA_BUNDLING.outFile))) {
    // index.mjs, export `handler`
    return { code: lambda.Code.fromAsset(prebuilt, sourceMaps ? {} : { exclude: ['*.map'] }), handler: 'index.handler' };
  }
  return {
    entry,
    handler: 'handler',
    projectRoot,
    depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
    bundling: {
      // Shared with the benchmarks (infra/bundling.ts): ESM, node22, minified, a source map only
      // when asked, the AWS SDK bundled (a pinned, tree-shaken version) and a require() shim for
      // CommonJS deps.
      ...cdkBundlingProps(lambdaBundling(sourceMaps), providers),
      format: OutputFormat.ESM,
      forceDockerBundling: false,
    },
  };
}

/** The environment of function `name`. Never ENV.LOCAL_RUN; NODE_OPTIONS only where a source map is deployed to read. */
export function functionEnvironment(
  name: FunctionName,
  env: Pick<FunctionEnvironment, 'settingsParameterName' | 'deployment' | 'logLevel'> & Partial<Pick<FunctionEnvironment, 'sourceMaps'>>,
): Record<string, string> {
  const variables: Record<string, string> = {
    [ENV.SETTINGS_PARAMETER]: env.settingsParameterName,
    ...env.deployment,
    POWERTOOLS_SERVICE_NAME: serviceName(name),
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    LOG_LEVEL: env.logLevel,
    ...(env.sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
  };
  if (ENV.LOCAL_RUN in variables) throw new Error(`${ENV.LOCAL_RUN} is for local runs only; a deployed function never gets it`);
  return variables;
}
