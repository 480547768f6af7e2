/**
 * The deployment config: a JSON file (infra/config.example.json by default, or the one named with
 * `cdk synth -c config=path/to/file.json`), validated here so a mistake fails at synth time with the
 * field's path and what was expected, e.g.
 *   `connections[0].rotationIntervalHours: expected at least 4 (Secrets Manager's minimum rotation interval)`
 *   `connections[1].tenant: only for provider "ica"`.
 * Defaults and bounds come from core/ (names, settings, field bounds, providers); checks that need
 * the stack's account and region run once the stack knows them (checkEnvironment).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  DEFAULT_SETTINGS_PARAMETER,
  MAX_ROTATION_INTERVAL_HOURS,
  MIN_ROTATION_INTERVAL_HOURS,
  PRODUCT,
  // TODO(core): core/names.ts has no default CloudFormation stack name; the product's PascalCase
  // name is the metrics namespace, which is what the stack has always been called. Import a
  // DEFAULT_STACK_NAME from core/names.ts once it exists.
  METRICS_NAMESPACE as TODO_CORE_DEFAULT_STACK_NAME,
} from '../core/names.js';
import { ValidationError } from '../core/errors.js';
import { PROVIDER_NAMES, providerDefinition } from '../core/providers/registry.js';
import { hostUrlSchema, MAX_LIFETIME_SECONDS, MIN_LIFETIME_SECONDS } from '../core/secrets/fields.js';
import { CONCURRENCY_BOUNDS, DEFAULT_SETTINGS } from '../core/settings.js';
import { DEFAULT_PROVIDER, defaultLifetimeSeconds, isProviderName, PROVIDER_FIELDS, PROVIDER_SPECIFIC_FIELDS, type ProviderName } from './providers.js';
import { DEPLOYMENT_DEFAULTS } from './defaults.js';
import { estimateManagedSecretIdsBytes, MANAGED_SECRET_IDS_BUDGET_BYTES } from './validation.js';
import { DISTRIBUTED_MAP_BOUNDS, DISTRIBUTED_MAP_DEFAULTS, SWEEP_ENGINES } from './sweep-engine.js';
import { longestScheduleRateSeconds, MIN_SWEEPS_IN_REFRESH_WINDOW, sweepsInRefreshWindow } from './sweep-window.js';

const port = z.number().int().min(1).max(65535);
const boundedInt = (bounds: { min: number; max: number }) => z.number().int().min(bounds.min).max(bounds.max);

/** `https://host[:port]` only: deployed functions never talk to a token API over plain HTTP. */
const httpsHost = hostUrlSchema(['https:']);

/**
 * A complete secret ARN: Secrets Manager appends `-` and 6 random characters to the name. IAM
 * statements need it to name exactly one secret (a partial ARN would need a `-??????` wildcard).
 */
const completeSecretArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/, {
    message: 'expected the complete secret ARN, ending in the 6-character suffix Secrets Manager adds (…:secret:name-AbCdEf)',
  });

const kmsKeyArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, { message: 'expected a KMS key ARN (…:key/<key id>), not an alias' });

const roleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, { message: 'expected an IAM role ARN (arn:aws:iam::<account>:role/<name>)' });

const tigergraphVersion = z.preprocess(
  // Accept 3 and 4 as numbers too; the token secret stores them as strings.
  (v) => (v === 3 || v === 4 ? String(v) : v),
  z.enum(['3', '4', 'auto'], { message: 'expected one of "3", "4", "auto"' }),
);

const providerList = PROVIDER_NAMES.map((n) => JSON.stringify(n)).join(', ');

/** A connection as the deployment sees it once validated: provider and lifetime filled in. */
export interface ConnectionConfig {
  name: string;
  provider: ProviderName;
  host: string;
  /** TigerGraph only; "auto" when not given. */
  tigergraphVersion?: '3' | '4' | 'auto';
  restppPort?: number;
  gsqlPort?: number;
  graph?: string;
  restppPath?: string;
  /** ICA only. */
  tenant?: string;
  /** The token lifetime: given, or the provider's default. */
  lifetimeSeconds: number;
  rotationIntervalHours: number;
  credentialSecretArn?: string;
  credentialSecretKmsKeyArn?: string;
}

export const connectionSchema = z
  .object({
    /** Letters, digits and dashes; names the secrets (`<secretNamePrefix>/<name>/token`) and construct ids. */
    name: z.string().regex(/^[A-Za-z0-9-]{1,48}$/, { message: 'expected 1-48 letters, digits or dashes' }),
    /** The token API: "tigergraph" (default), "trifacta" or "ica". */
    provider: z.string().optional(),
    host: httpsHost,
    /** TigerGraph only. */
    tigergraphVersion: tigergraphVersion.optional(),
    restppPort: port.optional(),
    gsqlPort: port.optional(),
    graph: z.string().min(1).optional(),
    /** TigerGraph only: the REST++ path (checked by core's TigerGraph definition). */
    restppPath: z.string().optional(),
    /** ICA only: the tenant, for a user in several tenants. */
    tenant: z.string().min(1).optional(),
    /** Lifetime of each token; the provider's default when absent. Required for ICA (the tenant sets the JWT lifetime). */
    lifetimeSeconds: z.number().int().min(MIN_LIFETIME_SECONDS).max(MAX_LIFETIME_SECONDS).optional(),
    /** How often Secrets Manager rotates the token (a brand-new token each time). */
    rotationIntervalHours: z
      .number()
      .int()
      .min(MIN_ROTATION_INTERVAL_HOURS, {
        message: `expected at least ${MIN_ROTATION_INTERVAL_HOURS} (Secrets Manager's minimum rotation interval)`,
      })
      .max(MAX_ROTATION_INTERVAL_HOURS, { message: `expected at most ${MAX_ROTATION_INTERVAL_HOURS} (1000 days)` })
      .default(DEPLOYMENT_DEFAULTS.rotationInterval.toHours()),
    /** An existing secret holding the provider's credential; else one is created to fill in. */
    credentialSecretArn: completeSecretArn.optional(),
    /** The KMS key of that existing secret, when it is not aws/secretsmanager. */
    credentialSecretKmsKeyArn: kmsKeyArn.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.provider !== undefined && !isProviderName(c.provider)) {
      ctx.addIssue({ code: 'custom', path: ['provider'], message: `expected one of ${providerList}` });
      return;
    }
    const provider = (c.provider ?? DEFAULT_PROVIDER) as ProviderName;
    for (const [field, owner] of PROVIDER_SPECIFIC_FIELDS) {
      if ((c as Record<string, unknown>)[field] !== undefined && owner !== provider) {
        ctx.addIssue({ code: 'custom', path: [field], message: `only for provider "${owner}"` });
      }
    }
    // The provider's own check of its fields (core), e.g. restppPath.
    const fields = Object.fromEntries(PROVIDER_FIELDS[provider].map((f) => [f, (c as Record<string, unknown>)[f]]).filter(([, v]) => v !== undefined));
    try {
      providerDefinition(provider).parseConfig({ host: c.host, allowInsecureHttp: false, ...fields }, 'connection');
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      const field = e.field && Object.hasOwn(fields, e.field) ? e.field : undefined;
      ctx.addIssue({ code: 'custom', path: field ? [field] : [], message: field ? e.message.slice(e.message.indexOf(`${field}: `) + field.length + 2) : e.message });
    }
    if (c.credentialSecretKmsKeyArn !== undefined && c.credentialSecretArn === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['credentialSecretKmsKeyArn'],
        message: "only with credentialSecretArn (a credential secret created here is encrypted with the stack's key)",
      });
    }
    const lifetime = c.lifetimeSeconds ?? defaultLifetimeSeconds(provider);
    if (lifetime === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['lifetimeSeconds'],
        message: `required for provider "${provider}": its server sets the token lifetime, and the rotation interval and the schedule are checked against it`,
      });
      return;
    }
    if (c.rotationIntervalHours * 3600 >= lifetime) {
      ctx.addIssue({
        code: 'custom',
        path: ['rotationIntervalHours'],
        message: `expected an interval shorter than lifetimeSeconds (${lifetime} s), so a token is replaced before it expires`,
      });
    }
  })
  .transform((c): ConnectionConfig => {
    const provider = (c.provider ?? DEFAULT_PROVIDER) as ProviderName;
    return {
      ...c,
      provider,
      ...(provider === 'tigergraph' ? { tigergraphVersion: c.tigergraphVersion ?? 'auto' } : {}),
      lifetimeSeconds: (c.lifetimeSeconds ?? defaultLifetimeSeconds(provider)) as number,
    };
  });

export const configSchema = z
  .object({
    /** CloudFormation stack name. */
    stackName: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/).default(TODO_CORE_DEFAULT_STACK_NAME),
    /** Token and created credential secrets are named `<prefix>/<connection>/token|credentials`. */
    secretNamePrefix: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,256}$/).default(PRODUCT),
    connections: z.array(connectionSchema).min(1, { message: 'expected at least one connection' }),
    /** The scheduled refresh runs this often; at most a third of the shortest token lifetime. */
    scheduleRateMinutes: z.number().int().min(5).max(720).default(DEPLOYMENT_DEFAULTS.scheduleRate.toMinutes()),
    /** Written to the SSM settings parameter read by the handlers. */
    refreshBeforeSeconds: z.number().int().min(0).default(DEFAULT_SETTINGS.refreshBeforeSeconds),
    revokeGraceSeconds: z.number().int().min(0).default(DEFAULT_SETTINGS.revokeGraceSeconds),
    concurrency: z.number().int().min(CONCURRENCY_BOUNDS.min).max(CONCURRENCY_BOUNDS.max).default(DEFAULT_SETTINGS.concurrency),
    /** Memory (and so CPU) of the scheduled refresh; sweeps of thousands of secrets want more. */
    scheduledRefreshMemoryMB: z.number().int().min(128).max(10_240).default(DEPLOYMENT_DEFAULTS.scheduledRefreshMemoryMB),
    settingsParameterName: z
      .string()
      .regex(/^\/[A-Za-z0-9_./-]+$/, { message: 'expected an SSM parameter path starting with /' })
      .default(DEFAULT_SETTINGS_PARAMETER),
    /** The MinSecondsToExpiry alarm fires when the soonest-expiring managed token has less than this left. */
    minSecondsToExpiryAlarmThreshold: z.number().int().min(60).default(DEPLOYMENT_DEFAULTS.minSecondsToExpiryAlarmThreshold.toSeconds()),
    /** The credential-age alarm fires when a credential secret has not changed for this many days (issue 22). */
    credentialMaxAgeDays: z.number().int().min(1).max(3650).default(DEPLOYMENT_DEFAULTS.credentialMaxAge.toDays()),
    /** Alarm notifications: an email subscribed to a topic created here, and/or an existing topic. */
    alarmEmail: z.email({ message: 'expected an email address' }).optional(),
    alarmTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, { message: 'expected an SNS topic ARN' })
      .optional(),
    logRetentionDays: z
      .union([z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90), z.literal(180), z.literal(365)], {
        message: 'expected one of 7, 14, 30, 60, 90, 180, 365',
      })
      .default(DEPLOYMENT_DEFAULTS.logRetentionDays),
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
    distributedMap: z
      .object({
        /** Secret ids per worker invocation. */
        batchSize: boundedInt(DISTRIBUTED_MAP_BOUNDS.batchSize).default(DISTRIBUTED_MAP_DEFAULTS.batchSize),
        /** The map run fails when more than this percentage of its items failed. */
        toleratedFailurePercentage: boundedInt(DISTRIBUTED_MAP_BOUNDS.toleratedFailurePercentage).default(DISTRIBUTED_MAP_DEFAULTS.toleratedFailurePercentage),
        /** Days the sweep bucket keeps a run's fleet list and results. */
        runRetentionDays: boundedInt(DISTRIBUTED_MAP_BOUNDS.runRetentionDays).default(DISTRIBUTED_MAP_DEFAULTS.runRetentionDays),
      })
      .strict()
      .optional(),
    /**
     * Roles CloudFormation deploys this stack with, allowed past the token secrets' write fence for
     * what CloudFormation itself changes (UpdateSecret, RotateSecret, the resource policy). Default:
     * the `cdk bootstrap` CloudFormation execution role.
     */
    deploymentRoleArns: z.array(roleArn).min(1, { message: 'expected at least one role ARN (omit the field for the cdk bootstrap role)' }).optional(),
    /** Places the functions in existing subnets (which need a route to the token APIs and to the AWS APIs). */
    vpc: z
      .object({
        vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { message: 'expected a VPC id such as vpc-0123456789abcdef0' }),
        subnetIds: z
          .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { message: 'expected a subnet id such as subnet-0123456789abcdef0' }))
          .min(1, { message: 'expected at least one subnet id' }),
        /** Also open the egress ports to IPv6 (::/0), for subnets with IPv6 routes. */
        ipv6Egress: z.boolean().default(false),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.distributedMap !== undefined && c.sweepEngine !== 'distributed-map') {
      ctx.addIssue({ code: 'custom', path: ['distributedMap'], message: 'only with sweepEngine "distributed-map"' });
    }
    const seen = new Set<string>();
    c.connections.forEach((conn, i) => {
      const key = conn.name.toLowerCase();
      if (seen.has(key)) {
        ctx.addIssue({ code: 'custom', path: ['connections', i, 'name'], message: `expected a unique name (compared case-insensitively), "${conn.name}" is used twice` });
      }
      seen.add(key);
    });
    // Each token must be seen by at least three scheduled refreshes before it expires.
    // (A connection with issues of its own has no lifetime filled in; it is left out.)
    const shortest = c.connections.reduce<{ i: number; lifetime: number } | undefined>(
      (min, conn, i) =>
        typeof conn.lifetimeSeconds === 'number' && (min === undefined || conn.lifetimeSeconds < min.lifetime) ? { i, lifetime: conn.lifetimeSeconds } : min,
      undefined,
    );
    if (shortest && c.scheduleRateMinutes * 60 > shortest.lifetime / 3) {
      ctx.addIssue({
        code: 'custom',
        path: ['scheduleRateMinutes'],
        message: `expected at most ${Math.floor(shortest.lifetime / 3 / 60)} (a third of connections[${shortest.i}].lifetimeSeconds, ${shortest.lifetime} s), so every token is checked at least three times before it expires`,
      });
    }
    // Issue 22: at least three sweeps inside the refresh window, so a failure is retried before expiry.
    if (shortest && c.scheduleRateMinutes * 60 <= shortest.lifetime / 3) {
      const sweeps = sweepsInRefreshWindow(shortest.lifetime, c.refreshBeforeSeconds, c.scheduleRateMinutes * 60);
      if (sweeps < MIN_SWEEPS_IN_REFRESH_WINDOW) {
        ctx.addIssue({
          code: 'custom',
          path: ['scheduleRateMinutes'],
          message:
            `expected at most ${Math.floor(longestScheduleRateSeconds(shortest.lifetime, c.refreshBeforeSeconds) / 60)}: tokens of connections[${shortest.i}] are renewed in the last ` +
            `min(refreshBeforeSeconds, half of lifetimeSeconds) of their life, which holds ${sweeps} sweep(s) at this rate; at least ${MIN_SWEEPS_IN_REFRESH_WINDOW} are needed so a failure is retried before the token expires`,
        });
      }
    }
    // The alarm must stay quiet in the steady state: a token is refreshed once it has
    // refreshBeforeSeconds left (at most half its lifetime), within one schedule period.
    if (shortest) {
      const refreshedAt = Math.min(c.refreshBeforeSeconds, shortest.lifetime / 2) - c.scheduleRateMinutes * 60;
      if (c.minSecondsToExpiryAlarmThreshold >= refreshedAt) {
        ctx.addIssue({
          code: 'custom',
          path: ['minSecondsToExpiryAlarmThreshold'],
          message: `expected less than ${Math.max(0, Math.floor(refreshedAt))}: tokens of connections[${shortest.i}] are refreshed when min(refreshBeforeSeconds, half of lifetimeSeconds) is left, so the alarm would fire in normal operation`,
        });
      }
    }
    if (!c.discoverSecretsByTag) {
      const bytes = estimateManagedSecretIdsBytes(c.secretNamePrefix, c.connections.map((conn) => conn.name));
      if (bytes > MANAGED_SECRET_IDS_BUDGET_BYTES) {
        ctx.addIssue({
          code: 'custom',
          path: ['discoverSecretsByTag'],
          message: `expected true for ${c.connections.length} connections: their token secret ARNs (about ${bytes} bytes) do not fit the functions' environment (Lambda allows 4 KB in all)`,
        });
      }
    }
  });

/** The validated config, with every default filled in. */
export type TokenRotationConfig = z.output<typeof configSchema>;
/** The JSON a user writes (defaults optional). */
export type TokenRotationConfigInput = z.input<typeof configSchema>;

/** A deployment config that cannot be deployed; `issues` has one `path: problem` line per field. */
export class DeploymentConfigError extends Error {
  override readonly name = 'DeploymentConfigError';
  constructor(
    message: string,
    /** One `path: problem` line per issue, e.g. `connections[0].tigergraphVersion: expected one of "3", "4", "auto"`. */
    readonly issues: string[],
  ) {
    super(message);
  }
}

/** Validates a parsed config object; throws DeploymentConfigError naming every bad field. */
export function parseConfig(input: unknown, source = 'config'): TokenRotationConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${describeIssue(issue)}`);
  throw new DeploymentConfigError(`Invalid ${source}:\n  ${issues.join('\n  ')}`, issues);
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

/** The stack's account and region where known (an environment-agnostic stack knows neither). */
export interface KnownEnvironment {
  readonly account?: string | undefined;
  readonly region?: string | undefined;
}

/**
 * Refuses ARNs the stack cannot use: a credential secret, its key or the alarm topic in another
 * account or region than the stack's. Only what is known is checked (an unresolved account or
 * region checks nothing). Throws DeploymentConfigError naming each field.
 */
export function checkEnvironment(config: TokenRotationConfig, env: KnownEnvironment, source = 'config'): void {
  const issues: string[] = [];
  const check = (path: string, arn: string | undefined, what: string) => {
    if (!arn) return;
    const [, , , region, account] = arn.split(':');
    const wrong = [
      env.account && account !== env.account ? `account ${account} (the stack's is ${env.account})` : undefined,
      env.region && region !== env.region ? `region ${region} (the stack's is ${env.region})` : undefined,
    ].filter(Boolean);
    if (wrong.length) issues.push(`${path}: expected ${what} in the stack's account and region, got ${wrong.join(' and ')}`);
  };
  config.connections.forEach((c, i) => {
    check(`connections[${i}].credentialSecretArn`, c.credentialSecretArn, 'a secret');
    check(`connections[${i}].credentialSecretKmsKeyArn`, c.credentialSecretKmsKeyArn, 'a key');
  });
  check('alarmTopicArn', config.alarmTopicArn, 'a topic');
  if (issues.length) {
    const where = `aws://${env.account ?? 'unknown-account'}/${env.region ?? 'unknown-region'}`;
    throw new DeploymentConfigError(`Invalid ${source} for ${where}:\n  ${issues.join('\n  ')}`, issues);
  }
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
