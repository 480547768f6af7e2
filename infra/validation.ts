/**
 * Checks of the construct's props that CloudFormation would only reject at deploy time (or never,
 * and then the functions would fail at run time), each naming the field. The JSON config
 * (infra/config.ts) checks the same things with the JSON's field names first; these cover users of
 * the construct without the config.
 */
import { Duration, Token } from 'aws-cdk-lib';
import { MAX_ROTATION_INTERVAL_HOURS, MIN_ROTATION_INTERVAL_HOURS } from '../core/names.js';
import { PROVIDER_NAMES, providerDefinition } from '../core/providers/registry.js';
import { hostUrlSchema } from '../core/secrets/fields.js';
import { CONCURRENCY_BOUNDS, DEFAULT_SETTINGS } from '../core/settings.js';
import { bindingsBytes, connectionBindings } from './bindings.js';
import { DEFAULT_PROVIDER, defaultLifetimeSeconds, isProviderName, PROVIDER_SPECIFIC_FIELDS, type ProviderName } from './providers.js';
import { longestScheduleRateSeconds, MIN_SWEEPS_IN_REFRESH_WINDOW, sweepsInRefreshWindow } from './sweep-window.js';

/**
 * Lambda allows 4 KB for all of a function's environment variables; the stack's token secret ARNs
 * (ENV.MANAGED_SECRET_IDS) and the credential bindings (ENV.CREDENTIAL_BINDINGS) share what the
 * other variables leave.
 */
export const MANAGED_SECRET_IDS_BUDGET_BYTES = 3_500;

/**
 * An upper estimate of the comma-separated token secret ARNs, before CloudFormation resolves them:
 * `arn:<partition>:secretsmanager:<region>:<account>:secret:<prefix>/<name>/token-XXXXXX`, with the
 * longest partition and region names.
 */
export function estimateManagedSecretIdsBytes(prefix: string, connectionNames: readonly string[]): number {
  const fixed = 'arn:aws-us-gov:secretsmanager:ap-southeast-2:123456789012:secret:'.length + '/token-XXXXXX'.length;
  return connectionNames.reduce((sum, name, i) => sum + fixed + prefix.length + 1 + name.length + (i > 0 ? 1 : 0), 0);
}

/** The fields of one connection the checks read (the construct's ConnectionProps). */
export interface CheckedConnection {
  readonly name: string;
  readonly provider?: string;
  readonly host: string;
  readonly lifetimeSeconds?: number;
  readonly rotationInterval?: Duration;
  readonly credentialSecret?: { readonly secretFullArn?: string | undefined };
  readonly credentialSecretKey?: unknown;
}

export interface CheckedProps {
  readonly connections: readonly CheckedConnection[];
  readonly secretNamePrefix: string;
  readonly scheduleRate: Duration;
  readonly rotationInterval: Duration;
  /** The deploy-time refreshBeforeSeconds (the settings parameter's), for the sweeps-per-window check. */
  readonly refreshBeforeSeconds?: number;
  readonly concurrency?: number;
  readonly discoverSecretsByTag: boolean;
}

/** Throws an Error `<construct>: <field>: <problem>` for the first problem found. */
export function validateProps(what: string, props: CheckedProps): void {
  const fail = (field: string, problem: string): never => {
    throw new Error(`${what}: ${field}: ${problem}`);
  };
  if (props.connections.length === 0) fail('connections', 'expected at least one connection');
  if (props.concurrency !== undefined && (props.concurrency < CONCURRENCY_BOUNDS.min || props.concurrency > CONCURRENCY_BOUNDS.max)) {
    fail('concurrency', `expected ${CONCURRENCY_BOUNDS.min} to ${CONCURRENCY_BOUNDS.max}, got ${props.concurrency}`);
  }
  const names = new Set<string>();
  const https = hostUrlSchema(['https:']);
  props.connections.forEach((c, i) => {
    const field = `connections[${i}]`;
    if (!/^[A-Za-z0-9-]{1,48}$/.test(c.name)) fail(`${field}.name`, `expected 1-48 letters, digits or dashes, got "${c.name}"`);
    if (names.has(c.name.toLowerCase())) fail(`${field}.name`, `"${c.name}" is used twice`);
    names.add(c.name.toLowerCase());

    const provider = c.provider ?? DEFAULT_PROVIDER;
    if (!isProviderName(provider)) fail(`${field}.provider`, `expected one of ${PROVIDER_NAMES.map((n) => JSON.stringify(n)).join(', ')}, got "${provider}"`);
    for (const [key, owner] of PROVIDER_SPECIFIC_FIELDS) {
      if ((c as unknown as Record<string, unknown>)[key] !== undefined && owner !== provider) fail(`${field}.${key}`, `only for provider "${owner}"`);
    }
    const host = https.safeParse(c.host);
    if (!host.success) fail(`${field}.host`, host.error.issues[0]?.message ?? 'expected an https:// URL');

    const hours = (c.rotationInterval ?? props.rotationInterval).toHours({ integral: false });
    if (hours < MIN_ROTATION_INTERVAL_HOURS) {
      fail(`${field}.rotationInterval`, `expected at least ${MIN_ROTATION_INTERVAL_HOURS} hours (Secrets Manager's minimum), got ${hours} hours`);
    }
    if (hours > MAX_ROTATION_INTERVAL_HOURS) fail(`${field}.rotationInterval`, `expected at most ${MAX_ROTATION_INTERVAL_HOURS} hours (1000 days), got ${hours} hours`);

    const lifetime = c.lifetimeSeconds ?? defaultLifetimeSeconds(provider as ProviderName);
    if (lifetime === undefined) {
      fail(`${field}.lifetimeSeconds`, `required for provider "${provider}": its server sets the token lifetime, and the schedule is checked against it`);
    } else {
      if (hours * 3600 >= lifetime) fail(`${field}.rotationInterval`, `expected less than lifetimeSeconds (${lifetime} s), so a token is replaced before it expires`);
      const rate = props.scheduleRate.toSeconds();
      if (rate > lifetime / 3) {
        fail('scheduleRate', `expected at most a third of ${field}.lifetimeSeconds (${lifetime} s), got ${rate} s: every token must be checked at least three times before it expires`);
      }
      // Issue 22: at least three sweeps between the first due point and expiry (sweep-window.ts).
      const before = props.refreshBeforeSeconds ?? DEFAULT_SETTINGS.refreshBeforeSeconds;
      const sweeps = sweepsInRefreshWindow(lifetime, before, rate);
      if (sweeps < MIN_SWEEPS_IN_REFRESH_WINDOW) {
        fail(
          'scheduleRate',
          `expected at most ${longestScheduleRateSeconds(lifetime, before)} s: ${field}'s tokens are renewed in the last ${Math.min(before, Math.floor(lifetime / 2))} s of their life ` +
            `(min(refreshBeforeSeconds, half of lifetimeSeconds)), and a sweep every ${rate} s leaves ${sweeps} attempt(s) there; ` +
            `at least ${MIN_SWEEPS_IN_REFRESH_WINDOW} are needed so an outage or a failing rotation is retried before the token expires (or raise refreshBeforeSeconds)`,
        );
      }
    }
    if (c.credentialSecret && !c.credentialSecret.secretFullArn) {
      fail(`${field}.credentialSecret`, 'import it with its complete ARN (Secret.fromSecretCompleteArn) so IAM can name exactly that secret');
    }
    if (c.credentialSecretKey !== undefined && c.credentialSecret === undefined) {
      fail(`${field}.credentialSecretKey`, "only with credentialSecret (a created credential secret is encrypted with the construct's key)");
    }

    // The provider's own check of its fields (core), on the values known at synth time.
    const fields = Object.fromEntries(Object.entries(c).filter(([k, v]) => PROVIDER_SPECIFIC_FIELDS.has(k) && v !== undefined && !Token.isUnresolved(v)));
    try {
      providerDefinition(provider).parseConfig({ host: c.host, allowInsecureHttp: false, ...fields }, field);
    } catch (e) {
      fail(field, (e as Error).message);
    }
  });
  const ids = props.discoverSecretsByTag ? 0 : estimateManagedSecretIdsBytes(props.secretNamePrefix, props.connections.map((c) => c.name));
  const bindings = bindingsBytes(connectionBindings(props.secretNamePrefix, props.connections));
  if (ids + bindings > MANAGED_SECRET_IDS_BUDGET_BYTES) {
    fail(
      props.discoverSecretsByTag || bindings > MANAGED_SECRET_IDS_BUDGET_BYTES ? 'connections' : 'discoverSecretsByTag',
      props.discoverSecretsByTag || bindings > MANAGED_SECRET_IDS_BUDGET_BYTES
        ? `${props.connections.length} connections: their credential bindings (${bindings} bytes) do not fit the functions' environment (Lambda allows 4 KB in all); share credential secrets between connections of one host, or split the connections over several stacks`
        : `expected true for ${props.connections.length} connections: their token secret ARNs (about ${ids} bytes) and credential bindings (${bindings} bytes) do not fit the functions' environment (Lambda allows 4 KB in all)`,
    );
  }
}
