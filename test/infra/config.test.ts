import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../infra/config.js';
import { TigerGraphTokenRotation } from '../../infra/construct.js';
import { EXAMPLE_CONFIG_PATH } from './helpers.js';

const conn = { name: 'prod', host: 'https://tg.example.com' };

function issuesOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error('expected the config to be rejected');
}

describe('config validation', () => {
  it('accepts the example config and fills in defaults', () => {
    const config = loadConfig(EXAMPLE_CONFIG_PATH);
    expect(config.connections.map((c) => c.name)).toEqual(['analytics', 'legacy']);
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
    });
    expect(minimal.connections[0]).toEqual({ ...conn, tigergraphVersion: 'auto', lifetimeSeconds: 2592000, rotationIntervalHours: 168 });
  });

  it('rejects a rotation interval under 4 hours, naming the field', () => {
    expect(issuesOf({ connections: [{ ...conn, rotationIntervalHours: 2 }] })).toEqual([
      "connections[0].rotationIntervalHours: expected at least 4 (Secrets Manager's minimum rotation interval)",
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
      'connections[0].host: expected an https:// URL (deployed functions never use plain HTTP)',
    ]);
    expect(issuesOf({ connections: [{ ...conn, host: 'https://tg.example.com/restpp' }] })).toEqual([
      'connections[0].host: expected scheme, host and optional port only: no path, query or user info',
    ]);
  });

  it('rejects a rotation interval that outlives the token', () => {
    expect(issuesOf({ connections: [{ ...conn, lifetimeSeconds: 86400, rotationIntervalHours: 24 }] })).toEqual([
      'connections[0].rotationIntervalHours: expected an interval shorter than lifetimeSeconds (86400 s), so a token is replaced before it expires',
    ]);
  });

  it('requires a complete credential secret ARN', () => {
    expect(issuesOf({ connections: [{ ...conn, credentialSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tg' }] })[0]).toMatch(
      /^connections\[0\]\.credentialSecretArn: expected the complete secret ARN/,
    );
    const ok = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tg/prod-AbCdEf';
    expect(parseConfig({ connections: [{ ...conn, credentialSecretArn: ok }] }).connections[0]!.credentialSecretArn).toBe(ok);
  });

  it('reports every problem at once: missing, unknown, duplicate and out-of-range fields', () => {
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
      'scheduleRateMinutes: expected at least 5',
      'alarmEmail: expected an email address',
      'logRetentionDays: expected one of 7, 14, 30, 60, 90, 180, 365',
      'vpc.subnetIds: expected at least one subnet id',
      '(root): unknown field(s) "surprise"',
    ]);
    expect(issuesOf({ connections: [conn, { ...conn, name: 'PROD' }] })).toEqual([
      'connections[1].name: expected a unique name (compared case-insensitively), "PROD" is used twice',
    ]);
    expect(issuesOf({ connections: [] })).toEqual(['connections: expected at least one connection']);
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

describe('construct props validation (for users of the construct without the JSON config)', () => {
  const make = (connections: ConstructorParameters<typeof TigerGraphTokenRotation>[2]['connections']) => {
    const stack = new Stack(new App(), 'S');
    return () => new TigerGraphTokenRotation(stack, 'R', { connections });
  };

  it('rejects a rotation interval under 4 hours, naming the field', () => {
    expect(make([{ ...conn, rotationInterval: Duration.hours(3) }])).toThrow(
      "connections[0].rotationInterval: expected at least 4 hours (Secrets Manager's minimum), got 3 hours",
    );
  });

  it('rejects no connections, duplicate or malformed names', () => {
    expect(make([])).toThrow('connections: expected at least one connection');
    expect(make([conn, conn])).toThrow('connections[1].name: "prod" is used twice');
    expect(make([{ ...conn, name: 'has space' }])).toThrow('connections[0].name: expected 1-48 letters, digits or dashes');
  });

  it('requires an imported credential secret to carry its complete ARN', () => {
    const stack = new Stack(new App(), 'S');
    const partial = secretsmanager.Secret.fromSecretPartialArn(stack, 'P', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tg');
    expect(() => new TigerGraphTokenRotation(stack, 'R', { connections: [{ ...conn, credentialSecret: partial }] })).toThrow(
      /connections\[0\]\.credentialSecret: import it with its complete ARN/,
    );
  });
});
