/**
 * The deployment config: a JSON file (infra/config.example.json by default, or the one named with
 * `cdk synth -c config=path/to/file.json`), validated here so a mistake fails at synth time with the
 * field's path and what was expected, e.g.
 *   `connections[0].rotationIntervalHours: expected at least 4 (Secrets Manager's minimum rotation interval)`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { hostUrlSchema } from '../core/secrets/fields.js';

/** Secrets Manager cannot rotate more often than every 4 hours, nor less often than every 1000 days. */
export const MIN_ROTATION_INTERVAL_HOURS = 4;
export const MAX_ROTATION_INTERVAL_HOURS = 1000 * 24;

const port = z.number().int().min(1).max(65535);

/** `https://host[:port]` only: deployed functions never talk to TigerGraph over plain HTTP. */
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

const tigergraphVersion = z.preprocess(
  // Accept 3 and 4 as numbers too; the token secret stores them as strings.
  (v) => (v === 3 || v === 4 ? String(v) : v),
  z.enum(['3', '4', 'auto'], { message: 'expected one of "3", "4", "auto"' }),
);

export const connectionSchema = z
  .object({
    /** Letters, digits and dashes; names the secrets (`<secretNamePrefix>/<name>/token`) and construct ids. */
    name: z.string().regex(/^[A-Za-z0-9-]{1,48}$/, { message: 'expected 1-48 letters, digits or dashes' }),
    host: httpsHost,
    tigergraphVersion: tigergraphVersion.default('auto'),
    restppPort: port.optional(),
    gsqlPort: port.optional(),
    graph: z.string().min(1).optional(),
    /** Lifetime TigerGraph gives each token; the contract's default is 30 days. */
    lifetimeSeconds: z.number().int().min(60).max(10 * 365 * 86400).default(30 * 86400),
    /** How often Secrets Manager rotates the token (a brand-new token each time). */
    rotationIntervalHours: z
      .number()
      .int()
      .min(MIN_ROTATION_INTERVAL_HOURS, {
        message: `expected at least ${MIN_ROTATION_INTERVAL_HOURS} (Secrets Manager's minimum rotation interval)`,
      })
      .max(MAX_ROTATION_INTERVAL_HOURS, { message: `expected at most ${MAX_ROTATION_INTERVAL_HOURS} (1000 days)` })
      .default(7 * 24),
    /** An existing secret holding `{"secret": "..."}` or `{"username", "password"}`; else one is created to fill in. */
    credentialSecretArn: completeSecretArn.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.rotationIntervalHours * 3600 >= c.lifetimeSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['rotationIntervalHours'],
        message: `expected an interval shorter than lifetimeSeconds (${c.lifetimeSeconds} s), so a token is replaced before it expires`,
      });
    }
  });

export const configSchema = z
  .object({
    /** CloudFormation stack name. */
    stackName: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/).default('TgTokenRotation'),
    /** Token and created credential secrets are named `<prefix>/<connection>/token|credentials`. */
    secretNamePrefix: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,256}$/).default('tg-token-rotation'),
    connections: z.array(connectionSchema).min(1, { message: 'expected at least one connection' }),
    /** The scheduled refresh runs this often. */
    scheduleRateMinutes: z.number().int().min(5).max(720).default(60),
    /** Written to the SSM settings parameter read by the handlers. */
    refreshBeforeSeconds: z.number().int().min(0).default(259200),
    revokeGraceSeconds: z.number().int().min(0).default(3600),
    concurrency: z.number().int().min(1).max(100).default(10),
    /** Memory (and so CPU) of the scheduled refresh; sweeps of thousands of secrets want more. */
    scheduledRefreshMemoryMB: z.number().int().min(128).max(10_240).default(1024),
    settingsParameterName: z
      .string()
      .regex(/^\/[A-Za-z0-9_./-]+$/, { message: 'expected an SSM parameter path starting with /' })
      .default('/tg-token-rotation/config'),
    /** The MinSecondsToExpiry alarm fires when the soonest-expiring managed token has less than this left. */
    minSecondsToExpiryAlarmThreshold: z.number().int().min(60).default(86400),
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
      .default(30),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR'], { message: 'expected one of "DEBUG", "INFO", "WARN", "ERROR"' }).default('INFO'),
    tracing: z.boolean().default(false),
    /** Places the functions in existing subnets (which need a route to TigerGraph and to the AWS APIs). */
    vpc: z
      .object({
        vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { message: 'expected a VPC id such as vpc-0123456789abcdef0' }),
        subnetIds: z
          .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { message: 'expected a subnet id such as subnet-0123456789abcdef0' }))
          .min(1, { message: 'expected at least one subnet id' }),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.connections.forEach((conn, i) => {
      const key = conn.name.toLowerCase();
      if (seen.has(key)) {
        ctx.addIssue({ code: 'custom', path: ['connections', i, 'name'], message: `expected a unique name (compared case-insensitively), "${conn.name}" is used twice` });
      }
      seen.add(key);
    });
  });

/** The validated config, with every default filled in. */
export type TokenRotationConfig = z.output<typeof configSchema>;
export type ConnectionConfig = z.output<typeof connectionSchema>;
/** The JSON a user writes (defaults optional). */
export type TokenRotationConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    /** One `path: problem` line per issue, e.g. `connections[0].tigergraphVersion: expected one of "3", "4", "auto"`. */
    readonly issues: string[],
  ) {
    super(message);
  }
}

/** Validates a parsed config object; throws ConfigError naming every bad field. */
export function parseConfig(input: unknown, source = 'config'): TokenRotationConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${describeIssue(issue)}`);
  throw new ConfigError(`Invalid ${source}:\n  ${issues.join('\n  ')}`, issues);
}

/** Reads and validates a JSON config file. */
export function loadConfig(path: string): TokenRotationConfig {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${path}: ${(err as Error).message}`, []);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`Config file ${path} is not valid JSON: ${(err as Error).message}`, []);
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
