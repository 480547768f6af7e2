/**
 * The deployment's rules: every check of a deployment's inputs, written once on the construct's
 * props. The construct (TokenRotation) runs them on its props whichever front door built them; the
 * JSON config (config.ts) is a serialised form of the props that checks only its own shape (types,
 * unknown fields) and runs these rules with its field names (a Namer), so both front doors refuse
 * the same things with the same words.
 *
 * They refuse at synth what CloudFormation would refuse at deploy time, and what the functions would
 * refuse at run time: the token secret each connection writes and the settings parameter are run
 * through the functions' own parsers (core/secrets/token-secret.ts, core/settings.ts and the
 * provider's definition), so a setting the functions refuse never deploys.
 */
import { Token, type Duration, type Stack } from 'aws-cdk-lib';
import { z } from 'zod';
import { describeIssues, ValidationError } from '../core/errors.js';
import { MAX_ROTATION_INTERVAL_HOURS, MIN_ROTATION_INTERVAL_HOURS, PRODUCT } from '../core/names.js';
import { isProviderName, providerDefinition, providerList } from '../core/providers/registry.js';
import { hostUrlSchema } from '../core/secrets/fields.js';
import { tokenSecretSchema } from '../core/secrets/token-secret.js';
import { DEFAULT_SETTINGS, settingsSchema } from '../core/settings.js';
import { longestGapSeconds, parseRotationSchedule, type RotationSchedule, type RotationScheduleInput } from '../core/rotation-schedule.js';
import { bindingsBytes, connectionBindings } from './bindings.js';
import { DEPLOYMENT_DEFAULTS } from './defaults.js';
import { defaultLifetimeSeconds, fieldOwners, providerOf, providerSettings } from './providers.js';
import { longestScheduleRateSeconds, MIN_SWEEPS_IN_REFRESH_WINDOW, sweepsInRefreshWindow } from './sweep-window.js';

/** A props path, e.g. ['connections', 0, 'rotationInterval']. */
export type Path = ReadonlyArray<string | number>;

/** Writes a props path (or field) as a front door names it. */
export type Namer = (path: Path) => string;

/** The construct's own names: `connections[0].rotationInterval`. */
export const propsNames: Namer = (path) =>
  path.length === 0 ? '(root)' : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${p}`)).join('');

/** One problem: where (named by the front door) and what was expected. */
export interface Issue {
  readonly path: string;
  readonly problem: string;
}

/** A deployment that cannot be deployed; `issues` has one `path: problem` line per problem. */
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

/** One connection as the rules read it (the construct's ConnectionProps is one); provider fields are read by name. */
export interface ConnectionInput {
  readonly name: string;
  readonly provider?: string | undefined;
  readonly host: string;
  readonly lifetimeSeconds?: number | undefined;
  readonly rotationInterval?: Duration | undefined;
  readonly rotationSchedule?: RotationScheduleInput | undefined;
  readonly credentialSecret?: { readonly secretFullArn?: string | undefined } | undefined;
  readonly credentialSecretKey?: { readonly keyArn: string } | undefined;
}

/** The props the rules read (the construct's TokenRotationProps is one), imported resources as their ARNs. */
export interface DeploymentInput {
  readonly connections: readonly ConnectionInput[];
  readonly secretNamePrefix?: string | undefined;
  readonly scheduleRate?: Duration | undefined;
  readonly refreshBeforeSeconds?: number | undefined;
  readonly revokeGraceSeconds?: number | undefined;
  readonly concurrency?: number | undefined;
  readonly scheduledRefreshMemoryMB?: number | undefined;
  readonly settingsParameterName?: string | undefined;
  readonly minSecondsToExpiryAlarmThreshold?: Duration | undefined;
  /** The credential-age alarm's threshold (issue 22). */
  readonly credentialMaxAge?: Duration | undefined;
  readonly alarmTopic?: { readonly topicArn: string } | undefined;
  readonly alarmEmail?: string | undefined;
  readonly logLevel?: string | undefined;
  readonly discoverSecretsByTag?: boolean | undefined;
  readonly deploymentRoleArns?: readonly string[] | undefined;
}

/** The stack's account and region where known (an environment-agnostic stack knows neither). */
export interface KnownEnvironment {
  readonly account?: string | undefined;
  readonly region?: string | undefined;
}

/** A stack's account and region where they are known at synth (an environment-agnostic stack knows neither). */
export function knownEnvironment(stack: Stack): KnownEnvironment {
  return { account: Token.isUnresolved(stack.account) ? undefined : stack.account, region: Token.isUnresolved(stack.region) ? undefined : stack.region };
}

/**
 * Lambda allows 4 KB for all of a function's environment variables; the stack's token secret ARNs
 * (ENV.MANAGED_SECRET_IDS) and the credential bindings (ENV.CREDENTIAL_BINDINGS) share what the
 * other variables leave.
 */
export const MANAGED_SECRET_IDS_BUDGET_BYTES = 3_500;

/** Scheduler rates the sweep is tested at: at least every 12 hours, at most every 5 minutes. */
export const SCHEDULE_RATE_MINUTES = { min: 5, max: 720 } as const;
/** Lambda's memory range, in MB. */
export const MEMORY_MB = { min: 128, max: 10_240 } as const;
/** Shortest expiry alarm threshold: the metric is emitted once a run, so less could not fire in time. */
const MIN_ALARM_THRESHOLD_SECONDS = 60;
/** The credential-age alarm threshold in days: at least one, at most ten years. */
const CREDENTIAL_MAX_AGE_DAYS = { min: 1, max: 3650 } as const;

const NAME = /^[A-Za-z0-9-]{1,48}$/;
const SECRET_NAME_PREFIX = /^[A-Za-z0-9/_+=.@-]{1,256}$/;
const SETTINGS_PARAMETER = /^\/[A-Za-z0-9_./-]+$/;
const COMPLETE_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
/** Deployed functions never use plain HTTP, whatever a token secret says: a deployment refuses an http:// host. */
const DEPLOYED_HOST = hostUrlSchema({ deployed: true });

/**
 * An upper estimate of the comma-separated token secret ARNs, before CloudFormation resolves them:
 * `arn:<partition>:secretsmanager:<region>:<account>:secret:<prefix>/<name>/token-XXXXXX`, with the
 * longest partition and region names.
 */
export function estimateManagedSecretIdsBytes(prefix: string, connectionNames: readonly string[]): number {
  const fixed = 'arn:aws-us-gov:secretsmanager:ap-southeast-2:123456789012:secret:'.length + '/token-XXXXXX'.length;
  return connectionNames.reduce((sum, name, i) => sum + fixed + prefix.length + 1 + name.length + (i > 0 ? 1 : 0), 0);
}

/** Collects issues, naming each path the way the front door does. */
class Issues {
  readonly list: Issue[] = [];
  constructor(readonly name: Namer) {}
  add(path: Path, problem: string): void {
    this.list.push({ path: this.name(path), problem });
  }
}

/** Every problem with `input`, in the order of its fields; empty when it deploys. */
export function deploymentIssues(input: DeploymentInput, options: { name?: Namer; env?: KnownEnvironment } = {}): Issue[] {
  const issues = new Issues(options.name ?? propsNames);
  if (input.connections.length === 0) issues.add(['connections'], 'expected at least one connection');
  const lifetimes = input.connections.map((c, i) => connectionIssues(c, i, issues, input.scheduleRate ?? DEPLOYMENT_DEFAULTS.scheduleRate));
  namesUnique(input.connections, issues);
  settingsIssues(input, issues);
  scheduleIssues(input, lifetimes, issues);
  resourceIssues(input, issues);
  environmentIssues(input, options.env ?? {}, issues);
  if (issues.list.length === 0) sizeIssues(input, issues);
  return issues.list;
}

/** Throws a DeploymentConfigError with one `<what>: <path>: <problem>` line per issue (`what` names the front door). */
export function checkDeployment(what: string, input: DeploymentInput, options: { name?: Namer; env?: KnownEnvironment } = {}): void {
  const issues = deploymentIssues(input, options).map((i) => `${i.path}: ${i.problem}`);
  if (issues.length > 0) throw new DeploymentConfigError(issues.map((i) => `${what}: ${i}`).join('\n'), issues);
}

/** One connection's problems; returns its token lifetime when it has one (for the schedule's checks). */
function connectionIssues(c: ConnectionInput, i: number, issues: Issues, scheduleRate: Duration): number | undefined {
  const at = (field: string): Path => ['connections', i, field];
  if (!NAME.test(c.name)) issues.add(at('name'), 'expected 1-48 letters, digits or dashes');
  const provider = providerOf(c);
  if (!isProviderName(provider)) {
    issues.add(at('provider'), `expected one of ${providerList()}`);
    return undefined;
  }
  for (const [field, owner] of fieldOwners()) {
    if ((c as unknown as Record<string, unknown>)[field] !== undefined && owner !== provider) issues.add(at(field), `only for provider "${owner}"`);
  }
  credentialIssues(c, at, issues);
  const scheduleGapHours = rotationScheduleGapHours(c, at, issues, scheduleRate);
  const hours = scheduleGapHours ?? (c.rotationInterval ?? DEPLOYMENT_DEFAULTS.rotationInterval).toHours({ integral: false });
  if (hours < MIN_ROTATION_INTERVAL_HOURS) issues.add(at('rotationInterval'), `expected at least ${MIN_ROTATION_INTERVAL_HOURS} hours (Secrets Manager's minimum), got ${hours} hours`);
  if (hours > MAX_ROTATION_INTERVAL_HOURS) issues.add(at('rotationInterval'), `expected at most ${MAX_ROTATION_INTERVAL_HOURS} hours (1000 days), got ${hours} hours`);
  const secretOk = tokenSecretIssues(c, provider, i, issues);
  const lifetime = c.lifetimeSeconds ?? defaultLifetimeSeconds(provider);
  if (lifetime === undefined) {
    issues.add(at('lifetimeSeconds'), `required for provider "${provider}": its server sets the token lifetime, and the rotation interval and the schedule are checked against it`);
    return undefined;
  }
  if (!secretOk) return undefined;
  if (hours * 3600 >= lifetime) {
    if (scheduleGapHours === undefined) issues.add(at('rotationInterval'), `expected less than lifetimeSeconds (${lifetime} s), so a token is replaced before it expires`);
    else issues.add([...at('rotationSchedule'), 'scheduleExpression'], `expected windows less far apart than lifetimeSeconds (${lifetime} s), so a token is replaced before it expires`);
  }
  return lifetime;
}

/**
 * A connection's rotationSchedule, checked as Secrets Manager checks RotationRules
 * (core/rotation-schedule.ts), and so that a sweep runs inside every window: the longest time
 * between two windows, in hours (undefined without a schedule, or for one that is refused).
 */
function rotationScheduleGapHours(c: ConnectionInput, at: (field: string) => Path, issues: Issues, scheduleRate: Duration): number | undefined {
  if (c.rotationSchedule === undefined) return undefined;
  if (c.rotationInterval !== undefined) issues.add(at('rotationSchedule'), `expected either ${issues.name(['rotationInterval'])} or rotationSchedule, not both`);
  let schedule: RotationSchedule;
  try {
    schedule = parseRotationSchedule(c.rotationSchedule, 'rotationSchedule');
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const field = e.field ?? 'rotationSchedule';
    issues.add([...at('rotationSchedule'), ...field.split('.').slice(1)], e.message.slice(field.length + 2));
    return undefined;
  }
  if (scheduleRate.toSeconds() > schedule.windowHours * 3600) {
    issues.add(
      ['scheduleRate'],
      `expected at most ${schedule.windowHours * 60} minutes (the window of ${issues.name(at('rotationSchedule'))}), got ${scheduleRate.toMinutes({ integral: false })} minutes: a sweep must run inside every window`,
    );
  }
  return longestGapSeconds(schedule) / 3600;
}

/** An imported credential secret: named by its complete ARN, and its key only with it. */
function credentialIssues(c: ConnectionInput, at: (field: string) => Path, issues: Issues): void {
  const arn = c.credentialSecret?.secretFullArn;
  if (c.credentialSecret && (arn === undefined || (!Token.isUnresolved(arn) && !COMPLETE_SECRET_ARN.test(arn)))) {
    issues.add(
      at('credentialSecret'),
      'expected the complete secret ARN, ending in the 6-character suffix Secrets Manager adds (…:secret:name-AbCdEf), so IAM can name exactly that secret (Secret.fromSecretCompleteArn)',
    );
  }
  const key = c.credentialSecretKey?.keyArn;
  if (key !== undefined && !Token.isUnresolved(key) && !KMS_KEY_ARN.test(key)) issues.add(at('credentialSecretKey'), 'expected a KMS key ARN (…:key/<key id>), not an alias');
  if (c.credentialSecretKey !== undefined && c.credentialSecret === undefined) {
    issues.add(at('credentialSecretKey'), `only with ${issues.name(['credentialSecret'])} (a credential secret created here is encrypted with the deployment's key)`);
  }
}

/**
 * The token secret the connection writes, through the functions' own parsers: the common fields
 * (host, lifetimeSeconds) and the provider's (its fields, and the origins it would call). Values
 * CloudFormation resolves later are left out. Returns whether it passed.
 */
function tokenSecretIssues(c: ConnectionInput, provider: string, i: number, issues: Issues): boolean {
  const fields = providerSettings(c, provider, { resolvedOnly: true });
  const written = { provider, host: c.host, ...fields, ...(c.lifetimeSeconds !== undefined ? { lifetimeSeconds: c.lifetimeSeconds } : {}), credentialSecretId: 'resolved-at-deploy' };
  const host = DEPLOYED_HOST.safeParse(c.host);
  if (!host.success) {
    issues.add(['connections', i, 'host'], host.error.issues[0]?.message ?? 'expected an https:// URL');
    return false;
  }
  const common = tokenSecretSchema.safeParse(Token.isUnresolved(c.lifetimeSeconds) ? { ...written, lifetimeSeconds: undefined } : written);
  if (!common.success) {
    for (const { field, expected } of describeIssues(common.error)) issues.add(['connections', i, field ?? 'host'], expected);
    return false;
  }
  const definition = providerDefinition(provider);
  try {
    definition.origins(definition.parseConfig({ ...written, host: c.host, allowInsecureHttp: false }, 'connection'));
    return true;
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    const field = e instanceof ValidationError && e.field && Object.hasOwn(fields, e.field) ? e.field : undefined;
    issues.add(['connections', i, ...(field ? [field] : [])], field ? e.message.slice(e.message.indexOf(`${field}: `) + field.length + 2) : e.message);
    return false;
  }
}

/** Names are unique, compared case-insensitively (they name secrets and construct ids). */
function namesUnique(connections: readonly ConnectionInput[], issues: Issues): void {
  const seen = new Set<string>();
  connections.forEach((c, i) => {
    const key = c.name.toLowerCase();
    if (seen.has(key)) issues.add(['connections', i, 'name'], `expected a unique name (compared case-insensitively), "${c.name}" is used twice`);
    seen.add(key);
  });
}

/** The settings parameter the construct writes, through the functions' own parser (core/settings.ts). */
function settingsIssues(input: DeploymentInput, issues: Issues): void {
  const written = {
    refreshBeforeSeconds: input.refreshBeforeSeconds ?? DEFAULT_SETTINGS.refreshBeforeSeconds,
    revokeGraceSeconds: input.revokeGraceSeconds ?? DEFAULT_SETTINGS.revokeGraceSeconds,
    concurrency: input.concurrency ?? DEFAULT_SETTINGS.concurrency,
  };
  const parsed = settingsSchema.safeParse(written);
  if (!parsed.success) for (const { field, expected } of describeIssues(parsed.error)) issues.add([field ?? 'concurrency'], expected);
}

/** The schedule's rate and the expiry alarm, against the shortest token lifetime. */
function scheduleIssues(input: DeploymentInput, lifetimes: ReadonlyArray<number | undefined>, issues: Issues): void {
  const rate = input.scheduleRate ?? DEPLOYMENT_DEFAULTS.scheduleRate;
  const minutes = rate.toSeconds() / 60;
  if (!Number.isInteger(minutes)) issues.add(['scheduleRate'], `expected whole minutes, got ${minutes} minutes`);
  if (minutes < SCHEDULE_RATE_MINUTES.min) issues.add(['scheduleRate'], `expected at least ${SCHEDULE_RATE_MINUTES.min} minutes, got ${minutes} minutes`);
  if (minutes > SCHEDULE_RATE_MINUTES.max) issues.add(['scheduleRate'], `expected at most ${SCHEDULE_RATE_MINUTES.max} minutes (12 hours), got ${minutes} minutes`);
  const shortest = lifetimes.reduce<{ i: number; lifetime: number } | undefined>(
    (min, lifetime, i) => (lifetime !== undefined && (min === undefined || lifetime < min.lifetime) ? { i, lifetime } : min),
    undefined,
  );
  const threshold = (input.minSecondsToExpiryAlarmThreshold ?? DEPLOYMENT_DEFAULTS.minSecondsToExpiryAlarmThreshold).toSeconds();
  if (threshold < MIN_ALARM_THRESHOLD_SECONDS) issues.add(['minSecondsToExpiryAlarmThreshold'], `expected at least ${MIN_ALARM_THRESHOLD_SECONDS} seconds, got ${threshold} seconds`);
  const maxAgeDays = (input.credentialMaxAge ?? DEPLOYMENT_DEFAULTS.credentialMaxAge).toDays({ integral: false });
  if (!Number.isInteger(maxAgeDays) || maxAgeDays < CREDENTIAL_MAX_AGE_DAYS.min || maxAgeDays > CREDENTIAL_MAX_AGE_DAYS.max) {
    issues.add(['credentialMaxAge'], `expected whole days from ${CREDENTIAL_MAX_AGE_DAYS.min} to ${CREDENTIAL_MAX_AGE_DAYS.max}, got ${maxAgeDays} days`);
  }
  if (!shortest) return;
  const lifetimeName = issues.name(['connections', shortest.i, 'lifetimeSeconds']);
  // Each token must be seen by at least three scheduled refreshes before it expires.
  if (rate.toSeconds() > shortest.lifetime / 3) {
    issues.add(
      ['scheduleRate'],
      `expected at most ${Math.floor(shortest.lifetime / 3 / 60)} minutes (a third of ${lifetimeName}, ${shortest.lifetime} s), so every token is checked at least three times before it expires`,
    );
  }
  // Issue 22: at least three sweeps between the first due point and expiry (sweep-window.ts), so an
  // outage or a failing rotation is retried before the token expires.
  const refreshBefore = input.refreshBeforeSeconds ?? DEFAULT_SETTINGS.refreshBeforeSeconds;
  const sweeps = sweepsInRefreshWindow(shortest.lifetime, refreshBefore, rate.toSeconds());
  if (rate.toSeconds() <= shortest.lifetime / 3 && sweeps < MIN_SWEEPS_IN_REFRESH_WINDOW) {
    issues.add(
      ['scheduleRate'],
      `expected at most ${Math.floor(longestScheduleRateSeconds(shortest.lifetime, refreshBefore) / 60)} minutes: tokens of ${issues.name(['connections', shortest.i])} are renewed in the last ` +
        `min(refreshBeforeSeconds, half of lifetimeSeconds) of their life, which holds ${sweeps} sweep(s) at this rate; at least ${MIN_SWEEPS_IN_REFRESH_WINDOW} are needed so an outage or a failing rotation is retried before the token expires (or raise refreshBeforeSeconds)`,
    );
  }
  // The alarm must stay quiet in the steady state: a token is refreshed once it has
  // refreshBeforeSeconds left (at most half its lifetime), within one schedule period.
  const refreshedAt = Math.min(refreshBefore, shortest.lifetime / 2) - rate.toSeconds();
  if (threshold >= refreshedAt) {
    issues.add(
      ['minSecondsToExpiryAlarmThreshold'],
      `expected less than ${Math.max(0, Math.floor(refreshedAt))} seconds: tokens of ${issues.name(['connections', shortest.i])} are refreshed when min(refreshBeforeSeconds, half of lifetimeSeconds) is left, so the alarm would fire in normal operation`,
    );
  }
}

/** Names and ARNs the deployment creates or uses: CloudFormation would refuse them at deploy time, or they would name nothing. */
function resourceIssues(input: DeploymentInput, issues: Issues): void {
  const text = (value: string | undefined) => value !== undefined && !Token.isUnresolved(value);
  if (text(input.secretNamePrefix) && !SECRET_NAME_PREFIX.test(input.secretNamePrefix as string)) issues.add(['secretNamePrefix'], 'expected 1-256 letters, digits or /_+=.@- characters');
  if (text(input.settingsParameterName) && !SETTINGS_PARAMETER.test(input.settingsParameterName as string)) {
    issues.add(['settingsParameterName'], 'expected an SSM parameter path starting with /');
  }
  const memory = input.scheduledRefreshMemoryMB;
  if (memory !== undefined && (!Number.isInteger(memory) || memory < MEMORY_MB.min || memory > MEMORY_MB.max)) {
    issues.add(['scheduledRefreshMemoryMB'], `expected a whole number of MB from ${MEMORY_MB.min} to ${MEMORY_MB.max}, got ${memory}`);
  }
  if (text(input.alarmEmail) && !z.email().safeParse(input.alarmEmail).success) issues.add(['alarmEmail'], 'expected an email address');
  const topic = input.alarmTopic?.topicArn;
  if (text(topic) && !SNS_TOPIC_ARN.test(topic as string)) issues.add(['alarmTopic'], 'expected an SNS topic ARN');
  if (input.logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(input.logLevel)) {
    issues.add(['logLevel'], `expected one of ${LOG_LEVELS.map((l) => JSON.stringify(l)).join(', ')}`);
  }
  const roles = input.deploymentRoleArns;
  if (roles !== undefined && roles.length === 0) issues.add(['deploymentRoleArns'], 'expected at least one role ARN (omit the field for the cdk bootstrap role)');
  roles?.forEach((role, i) => {
    if (text(role) && !ROLE_ARN.test(role)) issues.add(['deploymentRoleArns', i], 'expected an IAM role ARN (arn:aws:iam::<account>:role/<name>)');
  });
}

/**
 * ARNs the stack cannot use: a credential secret, its key or the alarm topic in another account or
 * region than the stack's. Only what is known is checked (an unresolved account, region or ARN
 * checks nothing).
 */
function environmentIssues(input: DeploymentInput, env: KnownEnvironment, issues: Issues): void {
  const check = (path: Path, arn: string | undefined, what: string) => {
    if (!arn || Token.isUnresolved(arn)) return;
    const [, , , region, account] = arn.split(':');
    const wrong = [
      env.account && account !== env.account ? `account ${account} (the stack's is ${env.account})` : undefined,
      env.region && region !== env.region ? `region ${region} (the stack's is ${env.region})` : undefined,
    ].filter(Boolean);
    if (wrong.length) issues.add(path, `expected ${what} in the stack's account and region, got ${wrong.join(' and ')}`);
  };
  input.connections.forEach((c, i) => {
    check(['connections', i, 'credentialSecret'], c.credentialSecret?.secretFullArn, 'a secret');
    check(['connections', i, 'credentialSecretKey'], c.credentialSecretKey?.keyArn, 'a key');
  });
  check(['alarmTopic'], input.alarmTopic?.topicArn, 'a topic');
}

/** The token secret ARNs and the credential bindings must fit the functions' 4 KB environment. */
function sizeIssues(input: DeploymentInput, issues: Issues): void {
  const prefix = input.secretNamePrefix ?? PRODUCT;
  const byTag = input.discoverSecretsByTag === true;
  const ids = byTag ? 0 : estimateManagedSecretIdsBytes(prefix, input.connections.map((c) => c.name));
  const bindings = bindingsBytes(connectionBindings(prefix, input.connections));
  if (ids + bindings <= MANAGED_SECRET_IDS_BUDGET_BYTES) return;
  const n = input.connections.length;
  if (byTag || bindings > MANAGED_SECRET_IDS_BUDGET_BYTES) {
    issues.add(
      ['connections'],
      `${n} connections: their credential bindings (${bindings} bytes) do not fit the functions' environment (Lambda allows 4 KB in all); share credential secrets between connections of one host, or split the connections over several stacks`,
    );
  } else {
    issues.add(
      ['discoverSecretsByTag'],
      `expected true for ${n} connections: their token secret ARNs (about ${ids} bytes) and credential bindings (${bindings} bytes) do not fit the functions' environment (Lambda allows 4 KB in all)`,
    );
  }
}

