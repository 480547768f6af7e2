import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { providerList } from '../../core/providers/registry.js';
import { checkEnvironment, DeploymentConfigError, loadConfig, parseConfig } from '../../infra/config.js';
import { TigerGraphTokenRotation, TokenRotation } from '../../infra/construct.js';
import { deployedOrigins } from '../../infra/bindings.js';
import { egressPorts } from '../../infra/network.js';
import { checkDeployment, type ConnectionInput } from '../../infra/rules.js';
import { EXAMPLE_CONFIG_PATH, synthesize, SYNTH_TIMEOUT_MS } from './helpers.js';

const conn = { name: 'prod', host: 'https://tg.example.com' };
/** An ICA connection that passes every check: its JWT lifetime stated, and an alarm threshold below its refresh point. */
const ica = { name: 'lab', provider: 'ica', host: 'https://ica.illumina.com', lifetimeSeconds: 43200, rotationIntervalHours: 8 };

function issuesOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(DeploymentConfigError);
    return (e as DeploymentConfigError).issues;
  }
  throw new Error('expected the config to be rejected');
}

describe('config validation', () => {
  it('accepts the example config and fills in defaults', () => {
    const config = loadConfig(EXAMPLE_CONFIG_PATH);
    expect(config.connections.map((c) => [c.name, c.provider])).toEqual([
      ['analytics', 'tigergraph'],
      ['wrangling', 'trifacta'],
      ['genomics', 'ica'],
    ]);
    const minimal = parseConfig({ connections: [conn] });
    expect(minimal).toMatchObject({
      stackName: 'TgTokenRotation',
      scheduleRateMinutes: 60,
      refreshBeforeSeconds: 259200,
      revokeGraceSeconds: 3600,
      concurrency: 10,
      settingsParameterName: '/tg-token-rotation/config',
      logRetentionDays: 30,
      tracing: false,
      discoverSecretsByTag: false,
    });
    // A connection without provider is a TigerGraph one (as a token secret without provider is).
    expect(minimal.connections[0]).toEqual({ ...conn, provider: 'tigergraph', tigergraphVersion: 'auto', lifetimeSeconds: 2592000, rotationIntervalHours: 168 });
  });

  it('rejects a rotation interval under 4 hours, naming the field', () => {
    expect(issuesOf({ connections: [{ ...conn, rotationIntervalHours: 2 }] })).toEqual([
      "connections[0].rotationIntervalHours: expected at least 4 hours (Secrets Manager's minimum), got 2 hours",
    ]);
    expect(() => parseConfig({ connections: [{ ...conn, rotationIntervalHours: 3 }] })).toThrow(/connections\[0\]\.rotationIntervalHours/);
  });

  it('rejects a bad TigerGraph version, naming the field and the allowed values', () => {
    expect(issuesOf({ connections: [conn, { ...conn, name: 'b', tigergraphVersion: '5' }] })).toEqual([
      'connections[1].tigergraphVersion: expected one of "3", "4", "auto"',
    ]);
    // Numbers 3 and 4 are accepted and stored as the contract's strings.
    expect(parseConfig({ connections: [{ ...conn, tigergraphVersion: 4 }] }).connections[0]!.tigergraphVersion).toBe('4');
  });

  it('rejects a plain-HTTP host or one with a path', () => {
    expect(issuesOf({ connections: [{ ...conn, host: 'http://tg.example.com' }] })).toEqual([
      'connections[0].host: http://tg.example.com uses plain http://, which would send the credential and the tokens unencrypted: use https:// (deployed functions never use plain HTTP)',
    ]);
    expect(issuesOf({ connections: [{ ...conn, host: 'https://tg.example.com/restpp' }] })).toEqual([
      'connections[0].host: expected scheme, host and optional port only: no path, query or user info',
    ]);
  });

  it('rejects a rotation interval that outlives the token', () => {
    expect(issuesOf({ connections: [{ ...conn, lifetimeSeconds: 86400, rotationIntervalHours: 24 }], minSecondsToExpiryAlarmThreshold: 3600 })).toEqual([
      'connections[0].rotationIntervalHours: expected less than lifetimeSeconds (86400 s), so a token is replaced before it expires',
    ]);
  });

  it('requires a complete credential secret ARN', () => {
    expect(issuesOf({ connections: [{ ...conn, credentialSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tg' }] })[0]).toMatch(
      /^connections\[0\]\.credentialSecretArn: expected the complete secret ARN/,
    );
    const ok = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tg/prod-AbCdEf';
    expect(parseConfig({ connections: [{ ...conn, credentialSecretArn: ok }] }).connections[0]!.credentialSecretArn).toBe(ok);
  });

  it('reports every problem at once: first of the JSON shape (missing, unknown and mistyped fields), then of the values', () => {
    expect(
      issuesOf({
        connections: [conn, { ...conn, name: 'PROD' }, { host: 'https://x.example.com', extra: true }],
        scheduleRateMinutes: 1,
        logRetentionDays: 3,
        alarmEmail: 'not-an-email',
        vpc: { vpcId: 'vpc-0123456789abcdef0', subnetIds: [] },
        surprise: 1,
      }),
    ).toEqual([
      'connections[2].name: required (expected string)',
      'connections[2]: unknown field(s) "extra"',
      'logRetentionDays: expected one of 7, 14, 30, 60, 90, 180, 365',
      'vpc.subnetIds: expected at least one subnet id',
      '(root): unknown field(s) "surprise"',
    ]);
    expect(issuesOf({ connections: [conn, { ...conn, name: 'PROD' }], scheduleRateMinutes: 1, alarmEmail: 'not-an-email' })).toEqual([
      'connections[1].name: expected a unique name (compared case-insensitively), "PROD" is used twice',
      'scheduleRateMinutes: expected at least 5 minutes, got 1 minutes',
      'alarmEmail: expected an email address',
    ]);
    expect(issuesOf({ connections: [] })).toEqual(['connections: expected at least one connection']);
  });

  it('takes a provider and only its fields, naming the field that belongs to another provider', () => {
    expect(issuesOf({ connections: [conn, { ...ica, tenant: 'x' }, { ...conn, name: 'c', tenant: 'x' }], minSecondsToExpiryAlarmThreshold: 3600 })).toEqual([
      'connections[2].tenant: only for provider "ica"',
    ]);
    expect(
      issuesOf({ connections: [{ name: 'w', provider: 'trifacta', host: 'https://t.example.com', graph: 'G', restppPort: 9000, tigergraphVersion: '4' }] }),
    ).toEqual([
      'connections[0].tigergraphVersion: only for provider "tigergraph"',
      'connections[0].restppPort: only for provider "tigergraph"',
      'connections[0].graph: only for provider "tigergraph"',
    ]);
    expect(issuesOf({ connections: [{ ...conn, provider: 'snowflake' }] })).toEqual([
      `connections[0].provider: expected one of ${providerList()}`,
    ]);
  });

  it("checks a provider's own fields with core's definition (restppPath), naming the field", () => {
    expect(issuesOf({ connections: [{ ...conn, restppPath: 'restpp' }] })).toEqual([
      'connections[0].restppPath: expected a URL path starting with "/" without query, fragment or spaces, e.g. "/restpp"',
    ]);
    expect(parseConfig({ connections: [{ ...conn, restppPath: '/restpp' }] }).connections[0]!.restppPath).toBe('/restpp');
  });

  it("opens only the ports each connection uses: 443 for the AWS APIs, and the ports of the origins its provider calls", () => {
    const ports = (...connections: Array<Record<string, unknown> & { host: string }>) => egressPorts(connections.flatMap((c) => deployedOrigins({ name: 'c', ...c })));
    expect(ports({ provider: 'tigergraph', host: 'https://analytics.i.tgcloud.io', tigergraphVersion: '4' })).toEqual([443]);
    expect(ports({ provider: 'tigergraph', host: 'https://tg.example.com', tigergraphVersion: '3' })).toEqual([443, 9000, 14240]);
    // "auto": both versions' ports until the rotation tells them apart.
    expect(ports({ host: 'https://tg.example.com' })).toEqual([443, 9000, 14240]);
    // 3.x behind nginx: REST++ under /restpp on 14240, no 9000.
    expect(ports({ provider: 'tigergraph', host: 'https://tg.example.com', tigergraphVersion: '3', restppPath: '/restpp' })).toEqual([443, 14240]);
    expect(ports({ provider: 'trifacta', host: 'https://t.example.com:8443' }, { provider: 'ica', host: 'https://ica.illumina.com' })).toEqual([443, 8443]);
  });

  it("fills in the provider's default lifetime, and requires one for ICA, whose tenant sets the JWT lifetime", () => {
    const config = parseConfig({
      connections: [
        { name: 'w', provider: 'trifacta', host: 'https://t.example.com' },
        { ...conn, tigergraphVersion: '3' },
      ],
    });
    expect(config.connections.map((c) => [c.provider, c.lifetimeSeconds, c.tigergraphVersion])).toEqual([
      ['trifacta', 2592000, undefined],
      ['tigergraph', 2592000, '3'],
    ]);
    const { lifetimeSeconds: _, ...noLifetime } = ica;
    expect(issuesOf({ connections: [noLifetime] })).toEqual([
      'connections[0].lifetimeSeconds: required for provider "ica": its server sets the token lifetime, and the rotation interval and the schedule are checked against it',
    ]);
  });

  it('refuses a schedule slower than a third of any token lifetime, naming both fields', () => {
    expect(issuesOf({ connections: [conn, ica], scheduleRateMinutes: 300, minSecondsToExpiryAlarmThreshold: 600 })).toEqual([
      'scheduleRateMinutes: expected at most 240 minutes (a third of connections[1].lifetimeSeconds, 43200 s), so every token is checked at least three times before it expires',
    ]);
    // A third of the lifetime is not enough on its own (issue 22): 240 minutes leaves 1 sweep in the 6-hour refresh window.
    expect(issuesOf({ connections: [conn, ica], scheduleRateMinutes: 240, minSecondsToExpiryAlarmThreshold: 600 })).toEqual([
      'scheduleRateMinutes: expected at most 120 minutes: tokens of connections[1] are renewed in the last min(refreshBeforeSeconds, half of lifetimeSeconds) of their life, which holds 1 sweep(s) at this rate; at least 3 are needed so an outage or a failing rotation is retried before the token expires (or raise refreshBeforeSeconds)',
    ]);
    expect(parseConfig({ connections: [conn, ica], scheduleRateMinutes: 120, minSecondsToExpiryAlarmThreshold: 600 }).scheduleRateMinutes).toBe(120);
  });

  it('refuses an expiry alarm threshold the steady state would cross (tokens are refreshed when half their lifetime is left)', () => {
    expect(issuesOf({ connections: [ica] })).toEqual([
      'minSecondsToExpiryAlarmThreshold: expected less than 18000 seconds: tokens of connections[0] are refreshed when min(refreshBeforeSeconds, half of lifetimeSeconds) is left, so the alarm would fire in normal operation',
    ]);
  });

  it('takes the KMS key of an imported credential secret, and only with one', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tg/prod-AbCdEf';
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(parseConfig({ connections: [{ ...conn, credentialSecretArn: arn, credentialSecretKmsKeyArn: key }] }).connections[0]!.credentialSecretKmsKeyArn).toBe(key);
    expect(issuesOf({ connections: [{ ...conn, credentialSecretKmsKeyArn: key }] })).toEqual([
      "connections[0].credentialSecretKmsKeyArn: only with credentialSecretArn (a credential secret created here is encrypted with the deployment's key)",
    ]);
    expect(issuesOf({ connections: [{ ...conn, credentialSecretArn: arn, credentialSecretKmsKeyArn: 'alias/tg' }] })).toEqual([
      'connections[0].credentialSecretKmsKeyArn: expected a KMS key ARN (…:key/<key id>), not an alias',
    ]);
  });

  it("requires tag discovery when the stack's token secret ARNs would not fit the functions' environment, and refuses bindings that never would (the construct's rule)", () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ ...conn, name: `connection-${i}` }));
    expect(issuesOf({ connections: many(12) })).toEqual([
      expect.stringMatching(/^discoverSecretsByTag: expected true for 12 connections: their token secret ARNs \(about 1309 bytes\) and credential bindings \(\d+ bytes\) do not fit the functions' environment/),
    ]);
    expect(parseConfig({ connections: many(12), discoverSecretsByTag: true }).discoverSecretsByTag).toBe(true);
    // Each connection's own credential: bindings alone outgrow the environment, tag discovery or not.
    expect(issuesOf({ connections: many(40), discoverSecretsByTag: true })).toEqual([
      expect.stringMatching(/^connections: 40 connections: their credential bindings \(\d+ bytes\) do not fit the functions' environment/),
    ]);
  });

  it("refuses a credential secret, its key or the alarm topic outside the stack's account and region, once they are known", () => {
    const config = parseConfig({
      connections: [
        {
          ...conn,
          credentialSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tg/prod-AbCdEf',
          credentialSecretKmsKeyArn: 'arn:aws:kms:eu-west-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        },
      ],
      alarmTopicArn: 'arn:aws:sns:eu-west-1:210987654321:ops',
    });
    let error: unknown;
    try {
      checkEnvironment(config, { account: '123456789012', region: 'eu-west-1' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DeploymentConfigError);
    expect((error as DeploymentConfigError).issues).toEqual([
      "connections[0].credentialSecretArn: expected a secret in the stack's account and region, got region us-east-1 (the stack's is eu-west-1)",
      "connections[0].credentialSecretKmsKeyArn: expected a key in the stack's account and region, got account 210987654321 (the stack's is 123456789012)",
      "alarmTopicArn: expected a topic in the stack's account and region, got account 210987654321 (the stack's is 123456789012)",
    ]);
    // An environment-agnostic stack checks nothing; a known region alone checks the region.
    expect(() => checkEnvironment(config, {})).not.toThrow();
    expect(() => checkEnvironment(config, { region: 'us-east-1' })).toThrow(/credentialSecretKmsKeyArn: .*region eu-west-1/);
  });

  it('names the file in load errors', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tg-config-'));
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    expect(() => loadConfig(bad)).toThrow(/bad\.json is not valid JSON/);
    const invalid = path.join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ connections: [{ ...conn, rotationIntervalHours: 1 }] }));
    expect(() => loadConfig(invalid)).toThrow(/Invalid config file .*invalid\.json:\n {2}connections\[0\]\.rotationIntervalHours: expected at least 4/);
    expect(() => loadConfig(path.join(dir, 'missing.json'))).toThrow(/Cannot read config file/);
  });
});

describe('the stack refuses ARNs outside its environment', () => {
  it('throws DeploymentConfigError when the stack has an account and region', { timeout: SYNTH_TIMEOUT_MS }, () => {
    const config = { connections: [{ ...conn, credentialSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tg/prod-AbCdEf' }] };
    expect(() => synthesize(config, { env: { account: '123456789012', region: 'eu-west-1' } })).toThrow(DeploymentConfigError);
    expect(() => synthesize(config, { env: { account: '123456789012', region: 'eu-west-1' } })).toThrow(
      /connections\[0\]\.credentialSecretArn: expected a secret in the stack's account and region, got region us-east-1/,
    );
  });
});

describe('construct props validation (for users of the construct without the JSON config)', () => {
  const make = (connections: ConstructorParameters<typeof TokenRotation>[2]['connections'], extra: Partial<ConstructorParameters<typeof TokenRotation>[2]> = {}) => {
    const stack = new Stack(new App(), 'S');
    return () => new TokenRotation(stack, 'R', { connections, ...extra });
  };

  it('keeps the old class name as a deprecated alias', () => {
    expect(TigerGraphTokenRotation).toBe(TokenRotation);
  });

  it("refuses another provider's fields, an unknown provider and ICA without a lifetime, naming the field", () => {
    expect(make([conn, { ...conn, name: 'b', provider: 'trifacta', graph: 'G' }])).toThrow('TokenRotation: connections[1].graph: only for provider "tigergraph"');
    expect(make([{ ...conn, tenant: 'lab' }])).toThrow('connections[0].tenant: only for provider "ica"');
    expect(make([{ ...conn, provider: 'nope' as 'ica' }])).toThrow(/connections\[0\]\.provider: expected one of "tigergraph", "trifacta", "ica"/);
    expect(make([{ name: 'lab', provider: 'ica', host: 'https://ica.illumina.com', rotationInterval: Duration.hours(8) }])).toThrow(
      /connections\[0\]\.lifetimeSeconds: required for provider "ica"/,
    );
    expect(make([{ ...conn, host: 'http://tg.example.com' }])).toThrow('connections[0].host: http://tg.example.com uses plain http://, which would send the credential and the tokens unencrypted: use https:// (deployed functions never use plain HTTP)');
  });

  it('refuses a schedule slower than a third of a token lifetime, and a rotation interval that outlives the token', () => {
    const lab = { name: 'lab', provider: 'ica' as const, host: 'https://ica.illumina.com', lifetimeSeconds: 43200, rotationInterval: Duration.hours(8) };
    expect(make([lab], { scheduleRate: Duration.hours(5) })).toThrow(
      'TokenRotation: scheduleRate: expected at most 240 minutes (a third of connections[0].lifetimeSeconds, 43200 s)',
    );
    expect(make([{ ...lab, rotationInterval: Duration.hours(12) }])).toThrow('connections[0].rotationInterval: expected less than lifetimeSeconds (43200 s)');
  });

  it('takes a credential secret key only with an imported credential secret', () => {
    const stack = new Stack(new App(), 'S');
    const key = kms.Key.fromKeyArn(stack, 'K', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(() => new TokenRotation(stack, 'R', { connections: [{ ...conn, credentialSecretKey: key }] })).toThrow(
      'connections[0].credentialSecretKey: only with credentialSecret',
    );
  });

  it('rejects a rotation interval under 4 hours, naming the field', () => {
    expect(make([{ ...conn, rotationInterval: Duration.hours(3) }])).toThrow(
      "connections[0].rotationInterval: expected at least 4 hours (Secrets Manager's minimum), got 3 hours",
    );
  });

  it('rejects no connections, duplicate or malformed names', () => {
    expect(make([])).toThrow('connections: expected at least one connection');
    expect(make([conn, conn])).toThrow('connections[1].name: expected a unique name (compared case-insensitively), "prod" is used twice');
    expect(make([{ ...conn, name: 'has space' }])).toThrow('connections[0].name: expected 1-48 letters, digits or dashes');
  });

  it("refuses connections whose credential bindings would not fit the functions' environment, and accepts a shared credential's", () => {
    // The rule itself (checkDeployment, which the construct runs first): constructing passing stacks would bundle the functions each time.
    const check = (connections: ConnectionInput[], discoverSecretsByTag = false) => () => checkDeployment('TokenRotation', { connections, discoverSecretsByTag });
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ ...conn, name: `connection-${i}`, host: `https://tg-${i}.example.com` }));
    // Each connection its own credential: about 190 bytes of bindings each, beside about 110 of ids.
    expect(check(many(11))).not.toThrow();
    expect(check(many(12))).toThrow(/discoverSecretsByTag: expected true for 12 connections: their token secret ARNs \(about \d+ bytes\) and credential bindings \(\d+ bytes\)/);
    expect(check(many(17), true)).not.toThrow();
    expect(check(many(18), true)).toThrow(/connections: 18 connections: their credential bindings \(\d+ bytes\) do not fit/);
    // One credential for many connections of one host: one binding, the token secrets listed in it.
    const shared = { secretFullArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tg/shared-AbCdEf' };
    expect(check(Array.from({ length: 30 }, (_, i) => ({ ...conn, name: `c${i}`, credentialSecret: shared })), true)).not.toThrow();
    // The construct runs the rule before it creates anything.
    expect(make(many(12))).toThrow(/discoverSecretsByTag: expected true for 12 connections/);
  });

  it('requires an imported credential secret to carry its complete ARN', () => {
    const stack = new Stack(new App(), 'S');
    const partial = secretsmanager.Secret.fromSecretPartialArn(stack, 'P', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tg');
    expect(() => new TokenRotation(stack, 'R', { connections: [{ ...conn, credentialSecret: partial }] })).toThrow(
      /connections\[0\]\.credentialSecret: expected the complete secret ARN/,
    );
  });
});
