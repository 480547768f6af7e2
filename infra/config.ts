/**
 * The deployment config: a JSON file (infra/config.example.json by default, or the one named with
 * `cdk synth -c config=path/to/file.json`), a serialised form of the construct's props with its own
 * field names and units (rotationIntervalHours for rotationInterval, credentialSecretArn for
 * credentialSecret, ...). This file checks the JSON's shape (types, unknown fields); every rule on
 * the values is the construct's own (rules.ts), run here with the JSON's names, so a mistake fails
 * before synth with the field's path and what was expected, e.g.
 *   `connections[0].rotationIntervalHours: expected at least 4 hours (Secrets Manager's minimum), got 2 hours`
 *   `connections[1].tenant: only for provider "ica"`.
 * Checks that need the stack's account and region run once the stack knows them (checkEnvironment).
 */
import { readFileSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import { z } from 'zod';
import { DEFAULT_SETTINGS_PARAMETER, PRODUCT } from '../core/names.js';
import { DEFAULT_SETTINGS } from '../core/settings.js';
import { DEPLOYMENT_DEFAULTS } from './defaults.js';
import { defaultLifetimeSeconds, fieldOwners, providerOf, providerSettings } from './providers.js';
import { DeploymentConfigError, deploymentIssues, propsNames, type DeploymentInput, type KnownEnvironment, type Namer } from './rules.js';
import { DISTRIBUTED_MAP_BOUNDS, DISTRIBUTED_MAP_DEFAULTS, SWEEP_ENGINES } from './sweep-engine.js';

export { DeploymentConfigError, type KnownEnvironment };

const boundedInt = (bounds: { min: number; max: number }) => z.number().int().min(bounds.min).max(bounds.max);

/** The JSON's names for the props whose JSON field says its unit or form. */
const JSON_NAMES: Readonly<Record<string, string>> = {
  rotationInterval: 'rotationIntervalHours',
  credentialSecret: 'credentialSecretArn',
  credentialSecretKey: 'credentialSecretKmsKeyArn',
  scheduleRate: 'scheduleRateMinutes',
  alarmTopic: 'alarmTopicArn',
  credentialMaxAge: 'credentialMaxAgeDays',
};

/** Names a props path as the JSON config does: `connections[0].rotationIntervalHours`. */
export const jsonNames: Namer = (path) => propsNames(path.map((p) => (typeof p === 'string' ? (JSON_NAMES[p] ?? p) : p)));

/** A connection as the deployment sees it once validated: provider, lifetime and the provider fields' defaults filled in. */
export interface ConnectionConfig {
  name: string;
  provider: string;
  host: string;
  /** The token lifetime: given, or the provider's default. */
  lifetimeSeconds: number;
  /** Without a rotationSchedule: given, or the default. */
  rotationIntervalHours?: number | undefined;
  /** The rotation window (Secrets Manager's RotationRules form), instead of rotationIntervalHours. */
  rotationSchedule?: { scheduleExpression: string; duration?: string | undefined } | undefined;
  credentialSecretArn?: string | undefined;
  credentialSecretKmsKeyArn?: string | undefined;
  /** The provider's own fields (ProviderDefinition.connectionFields), e.g. TigerGraph's tigergraphVersion ("auto" when not given). */
  [providerField: string]: unknown;
}

/** One connection's shape; its values are checked by the rules. Every provider's own fields are taken (the rules refuse another provider's). */
const connectionSchema = () =>
  z
    .object({
      /** Letters, digits and dashes; names the secrets (`<secretNamePrefix>/<name>/token`) and construct ids. */
      name: z.string(),
      /** The token API: "tigergraph" (default), or another registered provider ("trifacta", "ica"). */
      provider: z.string().optional(),
      host: z.string(),
      /** Lifetime of each token; the provider's default when absent. Required for ICA (the tenant sets the JWT lifetime). */
      lifetimeSeconds: z.number().optional(),
      /** How often Secrets Manager rotates the token (a brand-new token each time); the default without a rotationSchedule. */
      rotationIntervalHours: z.number().int().optional(),
      /**
       * The rotation window, as Secrets Manager's RotationRules: `{"scheduleExpression": "cron(0 2 ? * SUN *)", "duration": "4h"}`;
       * the sweep's routine work happens inside it too. Instead of rotationIntervalHours.
       */
      rotationSchedule: z.object({ scheduleExpression: z.string(), duration: z.string().optional() }).strict().optional(),
      /** An existing secret holding the provider's credential; else one is created to fill in. */
      credentialSecretArn: z.string().optional(),
      /** The KMS key of that existing secret, when it is not aws/secretsmanager. */
      credentialSecretKmsKeyArn: z.string().optional(),
      ...Object.fromEntries([...fieldOwners().keys()].map((field) => [field, z.unknown().optional()])),
    })
    .strict();

/** CloudWatch Logs retentions the JSON offers (the construct takes any logs.RetentionDays). */
const logRetentionDays = z.union([z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90), z.literal(180), z.literal(365)], {
  message: 'expected one of 7, 14, 30, 60, 90, 180, 365',
});

/** Options of the "distributed-map" engine; the construct takes them as DistributedMapOptions. */
const distributedMapSchema = z
  .object({
    /** Secret ids per worker invocation. */
    batchSize: boundedInt(DISTRIBUTED_MAP_BOUNDS.batchSize).default(DISTRIBUTED_MAP_DEFAULTS.batchSize),
    /** The map run fails when more than this percentage of its items failed. */
    toleratedFailurePercentage: boundedInt(DISTRIBUTED_MAP_BOUNDS.toleratedFailurePercentage).default(DISTRIBUTED_MAP_DEFAULTS.toleratedFailurePercentage),
    /** Days the sweep bucket keeps a run's fleet list and results. */
    runRetentionDays: boundedInt(DISTRIBUTED_MAP_BOUNDS.runRetentionDays).default(DISTRIBUTED_MAP_DEFAULTS.runRetentionDays),
  })
  .strict();

/** The VPC by its ids (the construct takes an IVpc, built from these in stack.ts). */
const vpcSchema = z
  .object({
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { message: 'expected a VPC id such as vpc-0123456789abcdef0' }),
    subnetIds: z
      .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { message: 'expected a subnet id such as subnet-0123456789abcdef0' }))
      .min(1, { message: 'expected at least one subnet id' }),
    /** Also open the egress ports to IPv6 (::/0), for subnets with IPv6 routes. */
    ipv6Egress: z.boolean().default(false),
  })
  .strict();

const configSchema = () =>
  z
    .object({
    /** CloudFormation stack name. */
    stackName: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, { message: 'expected a letter, then up to 127 letters, digits or dashes' }).default(DEPLOYMENT_DEFAULTS.stackName),
    /** Token and created credential secrets are named `<prefix>/<connection>/token|credentials`. */
    secretNamePrefix: z.string().default(PRODUCT),
    connections: z.array(connectionSchema()),
    /** The scheduled refresh runs this often; at most a third of the shortest token lifetime. */
    scheduleRateMinutes: z.number().int().default(DEPLOYMENT_DEFAULTS.scheduleRate.toMinutes()),
    /** Written to the SSM settings parameter read by the handlers. */
    refreshBeforeSeconds: z.number().default(DEFAULT_SETTINGS.refreshBeforeSeconds),
    revokeGraceSeconds: z.number().default(DEFAULT_SETTINGS.revokeGraceSeconds),
    concurrency: z.number().default(DEFAULT_SETTINGS.concurrency),
    /** Memory (and so CPU) of the scheduled refresh; sweeps of thousands of secrets want more. */
    scheduledRefreshMemoryMB: z.number().default(DEPLOYMENT_DEFAULTS.scheduledRefreshMemoryMB),
    settingsParameterName: z.string().default(DEFAULT_SETTINGS_PARAMETER),
    /** The MinSecondsToExpiry alarm fires when the soonest-expiring managed token has less than this left. */
    minSecondsToExpiryAlarmThreshold: z.number().int().default(DEPLOYMENT_DEFAULTS.minSecondsToExpiryAlarmThreshold.toSeconds()),
    /** The credential-age alarm fires when a credential secret has not changed for this many days (issue 22). */
    credentialMaxAgeDays: z.number().default(DEPLOYMENT_DEFAULTS.credentialMaxAge.toDays()),
    /** Alarm notifications: an email subscribed to a topic created here, and/or an existing topic. */
    alarmEmail: z.string().optional(),
    alarmTopicArn: z.string().optional(),
    logRetentionDays: logRetentionDays.default(DEPLOYMENT_DEFAULTS.logRetentionDays),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR'], { message: 'expected one of "DEBUG", "INFO", "WARN", "ERROR"' }).default(DEPLOYMENT_DEFAULTS.logLevel),
    tracing: z.boolean().default(false),
    /**
     * Find the managed secrets by their tag (ListSecrets on `*`) instead of the stack's list of
     * token secret ARNs: for fleets too large for the list, or secrets managed outside this stack.
     */
    discoverSecretsByTag: z.boolean().default(false),
    /**
     * How a sweep runs: "lambda" (one invocation of the scheduled refresh: thousands of secrets) or
     * "distributed-map" (a Step Functions state machine sweeping the fleet in batches; see
     * docs/distributed-map.md).
     */
    sweepEngine: z.enum(SWEEP_ENGINES, { message: `expected one of ${SWEEP_ENGINES.map((e) => JSON.stringify(e)).join(', ')}` }).default('lambda'),
    /** Options of the "distributed-map" engine (only with it). */
    distributedMap: distributedMapSchema.optional(),
    /**
     * Roles CloudFormation deploys this stack with, allowed past the token secrets' write fence for
     * what CloudFormation itself changes (UpdateSecret, RotateSecret, the resource policy). Default:
     * the `cdk bootstrap` CloudFormation execution role.
     */
    deploymentRoleArns: z.array(z.string()).optional(),
    /** Places the functions in existing subnets (which need a route to the token APIs and to the AWS APIs). */
    vpc: vpcSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.distributedMap !== undefined && c.sweepEngine !== 'distributed-map') {
      ctx.addIssue({ code: 'custom', path: ['distributedMap'], message: 'only with sweepEngine "distributed-map"' });
    }
  });

type ParsedConfig = z.output<ReturnType<typeof configSchema>>;

/** The validated config, with every default filled in. */
export type TokenRotationConfig = Omit<ParsedConfig, 'connections'> & { connections: ConnectionConfig[] };
/** The JSON a user writes (defaults optional; a connection's provider fields are checked by the rules). */
export type TokenRotationConfigInput = Omit<z.input<ReturnType<typeof configSchema>>, 'connections'> & {
  connections: Array<z.input<ReturnType<typeof connectionSchema>> & Readonly<Record<string, unknown>>>;
};

/**
 * Validates a parsed config object: its shape, then the deployment's rules (rules.ts) with the
 * JSON's field names. Throws DeploymentConfigError naming every bad field (the rules run once the
 * shape is right: they read typed values).
 */
export function parseConfig(input: unknown, source = 'config'): TokenRotationConfig {
  const result = configSchema().safeParse(input);
  if (!result.success) fail(source, result.error.issues.map((issue) => `${formatPath(issue.path)}: ${describeIssue(issue)}`));
  const config = result.data as ParsedConfig;
  const issues = deploymentIssues(deploymentInput(config), { name: jsonNames });
  if (issues.length > 0) fail(source, issues.map((i) => `${i.path}: ${i.problem}`));
  return { ...config, connections: config.connections.map(filledIn) };
}

/**
 * Refuses ARNs the stack cannot use: a credential secret, its key or the alarm topic in another
 * account or region than the stack's (the rules' environment checks, once the stack knows it).
 */
export function checkEnvironment(config: TokenRotationConfig, env: KnownEnvironment, source = 'config'): void {
  const issues = deploymentIssues(deploymentInput(config), { name: jsonNames, env }).map((i) => `${i.path}: ${i.problem}`);
  if (issues.length > 0) fail(`${source} for aws://${env.account ?? 'unknown-account'}/${env.region ?? 'unknown-region'}`, issues);
}

function fail(source: string, issues: string[]): never {
  throw new DeploymentConfigError(`Invalid ${source}:\n  ${issues.join('\n  ')}`, issues);
}

/** The props the config stands for, as the rules read them (imported resources as their ARNs). */
function deploymentInput(config: ParsedConfig | TokenRotationConfig): DeploymentInput {
  return {
    ...config,
    connections: config.connections.map((c) => ({
      ...c,
      rotationInterval: c.rotationIntervalHours !== undefined ? Duration.hours(c.rotationIntervalHours) : undefined,
      credentialSecret: c.credentialSecretArn !== undefined ? { secretFullArn: c.credentialSecretArn } : undefined,
      credentialSecretKey: c.credentialSecretKmsKeyArn !== undefined ? { keyArn: c.credentialSecretKmsKeyArn } : undefined,
    })),
    scheduleRate: Duration.minutes(config.scheduleRateMinutes),
    minSecondsToExpiryAlarmThreshold: Duration.seconds(config.minSecondsToExpiryAlarmThreshold),
    credentialMaxAge: Duration.days(config.credentialMaxAgeDays),
    alarmTopic: config.alarmTopicArn !== undefined ? { topicArn: config.alarmTopicArn } : undefined,
  };
}

/** A connection that passed the rules, with its provider, lifetime and provider fields' defaults filled in. */
function filledIn(c: ParsedConfig['connections'][number]): ConnectionConfig {
  const provider = providerOf(c);
  return {
    ...c,
    provider,
    ...providerSettings(c, provider),
    lifetimeSeconds: (c.lifetimeSeconds ?? defaultLifetimeSeconds(provider)) as number,
    ...(c.rotationSchedule ? {} : { rotationIntervalHours: c.rotationIntervalHours ?? DEPLOYMENT_DEFAULTS.rotationInterval.toHours() }),
  };
}

/** Reads and validates a JSON config file. */
export function loadConfig(path: string): TokenRotationConfig {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DeploymentConfigError(`Cannot read config file ${path}: ${(err as Error).message}`, []);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new DeploymentConfigError(`Config file ${path} is not valid JSON: ${(err as Error).message}`, []);
  }
  return parseConfig(json, `config file ${path}`);
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      // zod reports a missing field as an invalid_type whose message ends in "received undefined".
      return /received undefined$/.test(issue.message) ? `required (expected ${issue.expected})` : `expected ${issue.expected === 'int' ? 'an integer' : issue.expected}`;
    case 'too_small':
      return issue.message.startsWith('Too small') ? `expected at least ${String(issue.minimum)}` : issue.message;
    case 'too_big':
      return issue.message.startsWith('Too big') ? `expected at most ${String(issue.maximum)}` : issue.message;
    case 'unrecognized_keys':
      return `unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return issue.message;
  }
}
