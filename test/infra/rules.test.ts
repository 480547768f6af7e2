/**
 * One rule set for both front doors (infra/rules.ts): every rule the JSON config checks on a value
 * is the construct's, so each case below is refused by the construct (TokenRotation, before it
 * creates anything) and by the JSON config, each with its own field names. Where the rule guards a
 * setting the functions would refuse at run time, the case also shows that refusal: the value the
 * deployment would have written, through the functions' own parser.
 *
 * What only the JSON checks is the JSON's own shape: types, unknown fields, the stack name, the
 * log retention's JSON values, VPC and subnet ids (the construct takes an IVpc) and the Distributed
 * Map options (the construct checks them in sweep-engine.ts).
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import { providerDefinition } from '../../core/providers/registry.js';
import { parseTokenSecret } from '../../core/secrets/token-secret.js';
import { parseSettings } from '../../core/settings.js';
import { checkEnvironment, DeploymentConfigError, parseConfig } from '../../infra/config.js';
import { TokenRotation, type ConnectionProps, type TokenRotationProps } from '../../infra/construct.js';

const TG = { name: 'prod', host: 'https://tg.example.com' };
const LAB = { name: 'lab', provider: 'ica' as const, host: 'https://ica.illumina.com', lifetimeSeconds: 43_200 };
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tg/prod-AbCdEf';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

interface Case {
  rule: string;
  /** The props, built in the construct's stack (imported resources need a scope). */
  props: (stack: Stack) => Partial<TokenRotationProps>;
  json: Record<string, unknown>;
  /** `path: problem` as the construct names it. */
  issue: string;
  /** As the JSON config names it; default: the same. */
  jsonIssue?: string;
  /** The functions' own refusal of the value the deployment would write (must throw a ValidationError). */
  atRunTime?: () => unknown;
}

const tokenSecret = (fields: Record<string, unknown>) => () => {
  const secret = parseTokenSecret(JSON.stringify({ host: TG.host, credentialSecretId: 'c', ...fields }));
  return providerDefinition(secret.provider).parseConfig(secret, 'token secret');
};
const settings = (fields: Record<string, unknown>) => () => parseSettings(JSON.stringify(fields));
const conn = (fields: Partial<ConnectionProps>) => (): Partial<TokenRotationProps> => ({ connections: [{ ...TG, ...fields }] });

const CASES: Case[] = [
  { rule: 'at least one connection', props: () => ({ connections: [] }), json: { connections: [] }, issue: 'connections: expected at least one connection' },
  {
    rule: 'a rotation schedule Secrets Manager accepts',
    props: conn({ rotationSchedule: { scheduleExpression: 'rate(2 hours)' } }),
    json: { connections: [{ ...TG, rotationSchedule: { scheduleExpression: 'rate(2 hours)' } }] },
    issue: 'connections[0].rotationSchedule.scheduleExpression: expected at least rate(4 hours) (Secrets Manager rotates at most every 4 hours), got "rate(2 hours)"',
  },
  {
    rule: 'a sweep inside every rotation window',
    props: () => ({ connections: [{ ...TG, rotationSchedule: { scheduleExpression: 'cron(0 2 ? * SUN *)', duration: '1h' } }], scheduleRate: Duration.hours(2) }),
    json: { connections: [{ ...TG, rotationSchedule: { scheduleExpression: 'cron(0 2 ? * SUN *)', duration: '1h' } }], scheduleRateMinutes: 120 },
    issue: 'scheduleRate: expected at most 60 minutes (the window of connections[0].rotationSchedule), got 120 minutes: a sweep must run inside every window',
    jsonIssue: 'scheduleRateMinutes: expected at most 60 minutes (the window of connections[0].rotationSchedule), got 120 minutes: a sweep must run inside every window',
  },
  { rule: 'connection names', props: conn({ name: 'has space' }), json: { connections: [{ ...TG, name: 'has space' }] }, issue: 'connections[0].name: expected 1-48 letters, digits or dashes' },
  {
    rule: 'unique names',
    props: () => ({ connections: [TG, { ...TG, name: 'PROD' }] }),
    json: { connections: [TG, { ...TG, name: 'PROD' }] },
    issue: 'connections[1].name: expected a unique name (compared case-insensitively), "PROD" is used twice',
  },
  {
    rule: 'a known provider',
    props: conn({ provider: 'snowflake' as never }),
    json: { connections: [{ ...TG, provider: 'snowflake' }] },
    issue: 'connections[0].provider: expected one of "tigergraph", "trifacta", "ica"',
    atRunTime: tokenSecret({ provider: 'snowflake' }),
  },
  { rule: "another provider's field", props: conn({ tenant: 'x' }), json: { connections: [{ ...TG, tenant: 'x' }] }, issue: 'connections[0].tenant: only for provider "ica"' },
  {
    rule: 'https only',
    props: conn({ host: 'http://tg.example.com' }),
    json: { connections: [{ ...TG, host: 'http://tg.example.com' }] },
    issue: 'connections[0].host: http://tg.example.com uses plain http://, which would send the credential and the tokens unencrypted: use https:// (deployed functions never use plain HTTP)',
  },
  {
    rule: 'a host without a path',
    props: conn({ host: 'https://tg.example.com/restpp' }),
    json: { connections: [{ ...TG, host: 'https://tg.example.com/restpp' }] },
    issue: 'connections[0].host: expected scheme, host and optional port only: no path, query or user info',
    atRunTime: tokenSecret({ host: 'https://tg.example.com/restpp' }),
  },
  {
    rule: "Secrets Manager's shortest rotation interval",
    props: conn({ rotationInterval: Duration.hours(3) }),
    json: { connections: [{ ...TG, rotationIntervalHours: 3 }] },
    issue: "connections[0].rotationInterval: expected at least 4 hours (Secrets Manager's minimum), got 3 hours",
    jsonIssue: "connections[0].rotationIntervalHours: expected at least 4 hours (Secrets Manager's minimum), got 3 hours",
  },
  {
    rule: "Secrets Manager's longest rotation interval",
    props: conn({ rotationInterval: Duration.days(1001) }),
    json: { connections: [{ ...TG, rotationIntervalHours: 24_024 }] },
    issue: 'connections[0].rotationInterval: expected at most 24000 hours (1000 days), got 24024 hours',
    jsonIssue: 'connections[0].rotationIntervalHours: expected at most 24000 hours (1000 days), got 24024 hours',
  },
  {
    rule: 'a lifetime where the provider has no default',
    props: () => ({ connections: [{ ...LAB, lifetimeSeconds: undefined, rotationInterval: Duration.hours(8) }] }),
    json: { connections: [{ ...LAB, lifetimeSeconds: undefined, rotationIntervalHours: 8 }] },
    issue: 'connections[0].lifetimeSeconds: required for provider "ica": its server sets the token lifetime, and the rotation interval and the schedule are checked against it',
  },
  {
    rule: 'a rotation before the token expires',
    props: () => ({ connections: [{ ...LAB, rotationInterval: Duration.hours(12) }], minSecondsToExpiryAlarmThreshold: Duration.hours(1) }),
    json: { connections: [{ ...LAB, rotationIntervalHours: 12 }], minSecondsToExpiryAlarmThreshold: 3600 },
    issue: 'connections[0].rotationInterval: expected less than lifetimeSeconds (43200 s), so a token is replaced before it expires',
    jsonIssue: 'connections[0].rotationIntervalHours: expected less than lifetimeSeconds (43200 s), so a token is replaced before it expires',
  },
  {
    rule: 'the shortest lifetime the functions take',
    props: conn({ lifetimeSeconds: 59, rotationInterval: Duration.hours(4) }),
    json: { connections: [{ ...TG, lifetimeSeconds: 59, rotationIntervalHours: 4 }] },
    issue: 'connections[0].lifetimeSeconds: expected at least 60',
    atRunTime: tokenSecret({ lifetimeSeconds: 59 }),
  },
  {
    rule: 'the longest lifetime the functions take',
    props: conn({ lifetimeSeconds: 10 * 365 * 86_400 + 1 }),
    json: { connections: [{ ...TG, lifetimeSeconds: 10 * 365 * 86_400 + 1 }] },
    issue: 'connections[0].lifetimeSeconds: expected at most 315360000',
    atRunTime: tokenSecret({ lifetimeSeconds: 10 * 365 * 86_400 + 1 }),
  },
  {
    rule: 'a whole number of seconds of lifetime',
    props: conn({ lifetimeSeconds: 86_400.5 }),
    json: { connections: [{ ...TG, lifetimeSeconds: 86_400.5 }] },
    issue: 'connections[0].lifetimeSeconds: expected an integer',
    atRunTime: tokenSecret({ lifetimeSeconds: 86_400.5 }),
  },
  {
    rule: "the provider's own fields (TigerGraph's version)",
    props: conn({ tigergraphVersion: '5' as never }),
    json: { connections: [{ ...TG, tigergraphVersion: '5' }] },
    issue: 'connections[0].tigergraphVersion: expected one of "3", "4", "auto"',
    atRunTime: tokenSecret({ tigergraphVersion: '5' }),
  },
  {
    rule: "the provider's own fields (a port)",
    props: conn({ restppPort: 70_000 }),
    json: { connections: [{ ...TG, restppPort: 70_000 }] },
    issue: 'connections[0].restppPort: expected at most 65535',
    atRunTime: tokenSecret({ restppPort: 70_000 }),
  },
  {
    rule: "the provider's own fields (a path)",
    props: conn({ restppPath: 'restpp' }),
    json: { connections: [{ ...TG, restppPath: 'restpp' }] },
    issue: 'connections[0].restppPath: expected a URL path starting with "/" without query, fragment or spaces, e.g. "/restpp"',
    atRunTime: tokenSecret({ restppPath: 'restpp' }),
  },
  {
    rule: "the provider's own fields (ICA's tenant)",
    props: () => ({ connections: [{ ...LAB, tenant: '', rotationInterval: Duration.hours(8) }], minSecondsToExpiryAlarmThreshold: Duration.hours(1) }),
    json: { connections: [{ ...LAB, tenant: '', rotationIntervalHours: 8 }], minSecondsToExpiryAlarmThreshold: 3600 },
    issue: 'connections[0].tenant: expected a non-empty string',
    atRunTime: tokenSecret({ provider: 'ica', tenant: '' }),
  },
  {
    rule: "an imported credential secret's complete ARN",
    props: (s) => ({ connections: [{ ...TG, credentialSecret: secretsmanager.Secret.fromSecretPartialArn(s, 'P', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tg') }] }),
    json: { connections: [{ ...TG, credentialSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tg' }] },
    issue:
      'connections[0].credentialSecret: expected the complete secret ARN, ending in the 6-character suffix Secrets Manager adds (…:secret:name-AbCdEf), so IAM can name exactly that secret (Secret.fromSecretCompleteArn)',
    jsonIssue:
      'connections[0].credentialSecretArn: expected the complete secret ARN, ending in the 6-character suffix Secrets Manager adds (…:secret:name-AbCdEf), so IAM can name exactly that secret (Secret.fromSecretCompleteArn)',
  },
  {
    rule: "a credential secret's key only with an imported credential secret",
    props: (s) => ({ connections: [{ ...TG, credentialSecretKey: kms.Key.fromKeyArn(s, 'K', KEY_ARN) }] }),
    json: { connections: [{ ...TG, credentialSecretKmsKeyArn: KEY_ARN }] },
    issue: "connections[0].credentialSecretKey: only with credentialSecret (a credential secret created here is encrypted with the deployment's key)",
    jsonIssue: "connections[0].credentialSecretKmsKeyArn: only with credentialSecretArn (a credential secret created here is encrypted with the deployment's key)",
  },
  {
    rule: 'a key ARN, not an alias',
    props: (s) => ({
      connections: [
        { ...TG, credentialSecret: secretsmanager.Secret.fromSecretCompleteArn(s, 'C', SECRET_ARN), credentialSecretKey: kms.Key.fromKeyArn(s, 'K', 'arn:aws:kms:eu-west-1:123456789012:alias/tg') },
      ],
    }),
    json: { connections: [{ ...TG, credentialSecretArn: SECRET_ARN, credentialSecretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/tg' }] },
    issue: 'connections[0].credentialSecretKey: expected a KMS key ARN (…:key/<key id>), not an alias',
    jsonIssue: 'connections[0].credentialSecretKmsKeyArn: expected a KMS key ARN (…:key/<key id>), not an alias',
  },
  {
    rule: 'the schedule at most every 5 minutes',
    props: () => ({ connections: [TG], scheduleRate: Duration.minutes(1) }),
    json: { connections: [TG], scheduleRateMinutes: 1 },
    issue: 'scheduleRate: expected at least 5 minutes, got 1 minutes',
    jsonIssue: 'scheduleRateMinutes: expected at least 5 minutes, got 1 minutes',
  },
  {
    rule: 'the schedule at least every 12 hours',
    props: () => ({ connections: [TG], scheduleRate: Duration.hours(13) }),
    json: { connections: [TG], scheduleRateMinutes: 780 },
    issue: 'scheduleRate: expected at most 720 minutes (12 hours), got 780 minutes',
    jsonIssue: 'scheduleRateMinutes: expected at most 720 minutes (12 hours), got 780 minutes',
  },
  {
    rule: 'every token checked three times before it expires',
    props: () => ({ connections: [{ ...LAB, rotationInterval: Duration.hours(8) }], scheduleRate: Duration.hours(5), minSecondsToExpiryAlarmThreshold: Duration.minutes(10) }),
    json: { connections: [{ ...LAB, rotationIntervalHours: 8 }], scheduleRateMinutes: 300, minSecondsToExpiryAlarmThreshold: 600 },
    issue: 'scheduleRate: expected at most 240 minutes (a third of connections[0].lifetimeSeconds, 43200 s), so every token is checked at least three times before it expires',
    jsonIssue: 'scheduleRateMinutes: expected at most 240 minutes (a third of connections[0].lifetimeSeconds, 43200 s), so every token is checked at least three times before it expires',
  },
  {
    rule: 'refreshBeforeSeconds the functions take',
    props: () => ({ connections: [TG], refreshBeforeSeconds: -1 }),
    json: { connections: [TG], refreshBeforeSeconds: -1 },
    issue: 'refreshBeforeSeconds: expected at least 0',
    atRunTime: settings({ refreshBeforeSeconds: -1 }),
  },
  {
    rule: 'revokeGraceSeconds the functions take',
    props: () => ({ connections: [TG], revokeGraceSeconds: 1.5 }),
    json: { connections: [TG], revokeGraceSeconds: 1.5 },
    issue: 'revokeGraceSeconds: expected an integer',
    atRunTime: settings({ revokeGraceSeconds: 1.5 }),
  },
  {
    rule: 'concurrency the functions take',
    props: () => ({ connections: [TG], concurrency: 101 }),
    json: { connections: [TG], concurrency: 101 },
    issue: 'concurrency: expected at most 100',
    atRunTime: settings({ concurrency: 101 }),
  },
  {
    rule: "Lambda's memory sizes",
    props: () => ({ connections: [TG], scheduledRefreshMemoryMB: 64 }),
    json: { connections: [TG], scheduledRefreshMemoryMB: 64 },
    issue: 'scheduledRefreshMemoryMB: expected a whole number of MB from 128 to 10240, got 64',
  },
  {
    rule: 'an SSM parameter name',
    props: () => ({ connections: [TG], settingsParameterName: 'settings' }),
    json: { connections: [TG], settingsParameterName: 'settings' },
    issue: 'settingsParameterName: expected an SSM parameter path starting with /',
  },
  {
    rule: 'a secret name prefix',
    props: () => ({ connections: [TG], secretNamePrefix: 'bad prefix!' }),
    json: { connections: [TG], secretNamePrefix: 'bad prefix!' },
    issue: 'secretNamePrefix: expected 1-256 letters, digits or /_+=.@- characters',
  },
  {
    rule: 'an alarm threshold the metric can cross',
    props: () => ({ connections: [TG], minSecondsToExpiryAlarmThreshold: Duration.seconds(30) }),
    json: { connections: [TG], minSecondsToExpiryAlarmThreshold: 30 },
    issue: 'minSecondsToExpiryAlarmThreshold: expected at least 60 seconds, got 30 seconds',
  },
  {
    rule: 'a credential-age alarm threshold in whole days (issue 22)',
    props: () => ({ connections: [TG], credentialMaxAge: Duration.hours(12) }),
    json: { connections: [TG], credentialMaxAgeDays: 0.5 },
    issue: 'credentialMaxAge: expected whole days from 1 to 3650, got 0.5 days',
    jsonIssue: 'credentialMaxAgeDays: expected whole days from 1 to 3650, got 0.5 days',
  },
  {
    rule: 'at least three sweeps inside every refresh window (issue 22)',
    props: () => ({ connections: [TG], scheduleRate: Duration.hours(12), refreshBeforeSeconds: 30 * 3600, minSecondsToExpiryAlarmThreshold: Duration.hours(1) }),
    json: { connections: [TG], scheduleRateMinutes: 720, refreshBeforeSeconds: 30 * 3600, minSecondsToExpiryAlarmThreshold: 3600 },
    issue:
      'scheduleRate: expected at most 600 minutes: tokens of connections[0] are renewed in the last min(refreshBeforeSeconds, half of lifetimeSeconds) of their life, which holds 2 sweep(s) at this rate; at least 3 are needed so an outage or a failing rotation is retried before the token expires (or raise refreshBeforeSeconds)',
    jsonIssue:
      'scheduleRateMinutes: expected at most 600 minutes: tokens of connections[0] are renewed in the last min(refreshBeforeSeconds, half of lifetimeSeconds) of their life, which holds 2 sweep(s) at this rate; at least 3 are needed so an outage or a failing rotation is retried before the token expires (or raise refreshBeforeSeconds)',
  },
  {
    rule: 'an alarm quiet in the steady state',
    props: () => ({ connections: [{ ...LAB, rotationInterval: Duration.hours(8) }] }),
    json: { connections: [{ ...LAB, rotationIntervalHours: 8 }] },
    issue:
      'minSecondsToExpiryAlarmThreshold: expected less than 18000 seconds: tokens of connections[0] are refreshed when min(refreshBeforeSeconds, half of lifetimeSeconds) is left, so the alarm would fire in normal operation',
  },
  {
    rule: 'an e-mail address',
    props: () => ({ connections: [TG], alarmEmail: 'not-an-email' }),
    json: { connections: [TG], alarmEmail: 'not-an-email' },
    issue: 'alarmEmail: expected an email address',
  },
  {
    rule: 'an SNS topic',
    props: (s) => ({ connections: [TG], alarmTopic: sns.Topic.fromTopicArn(s, 'T', 'arn:aws:sqs:eu-west-1:123456789012:ops') }),
    json: { connections: [TG], alarmTopicArn: 'arn:aws:sqs:eu-west-1:123456789012:ops' },
    issue: 'alarmTopic: expected an SNS topic ARN',
    jsonIssue: 'alarmTopicArn: expected an SNS topic ARN',
  },
  {
    rule: 'deployment roles',
    props: () => ({ connections: [TG], deploymentRoleArns: ['arn:aws:iam::123456789012:role/ok', 'pipeline'] }),
    json: { connections: [TG], deploymentRoleArns: ['arn:aws:iam::123456789012:role/ok', 'pipeline'] },
    issue: 'deploymentRoleArns[1]: expected an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
  },
  {
    rule: 'at least one deployment role when the field is given',
    props: () => ({ connections: [TG], deploymentRoleArns: [] }),
    json: { connections: [TG], deploymentRoleArns: [] },
    issue: 'deploymentRoleArns: expected at least one role ARN (omit the field for the cdk bootstrap role)',
  },
  {
    rule: "a list of token secrets that fits the functions' environment",
    props: () => ({ connections: Array.from({ length: 12 }, (_, i) => ({ ...TG, name: `connection-${i}` })) }),
    json: { connections: Array.from({ length: 12 }, (_, i) => ({ ...TG, name: `connection-${i}` })) },
    issue:
      "discoverSecretsByTag: expected true for 12 connections: their token secret ARNs (about 1309 bytes) and credential bindings (2273 bytes) do not fit the functions' environment (Lambda allows 4 KB in all)",
  },
];

/** The construct's issues: it throws before it creates anything. */
function constructIssues(build: (stack: Stack) => Partial<TokenRotationProps>, env?: { account: string; region: string }): string[] {
  // No bundling: a construct that wrongly accepted its props would otherwise bundle four functions.
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S', env ? { env } : {});
  try {
    new TokenRotation(stack, 'R', build(stack) as TokenRotationProps);
  } catch (e) {
    expect(e).toBeInstanceOf(DeploymentConfigError);
    expect((e as Error).message.split('\n').every((line) => line.startsWith('TokenRotation: '))).toBe(true);
    return (e as DeploymentConfigError).issues;
  }
  throw new Error('expected the construct to refuse its props');
}

function jsonIssues(json: Record<string, unknown>): string[] {
  try {
    parseConfig(json);
  } catch (e) {
    expect(e).toBeInstanceOf(DeploymentConfigError);
    return (e as DeploymentConfigError).issues;
  }
  throw new Error('expected the config to be refused');
}

describe('one rule set: the construct and the JSON config refuse the same things', () => {
  it.each(CASES.map((c) => [c.rule, c] as const))('%s', (_rule, c) => {
    expect(constructIssues(c.props)).toContain(c.issue);
    expect(jsonIssues(c.json)).toContain(c.jsonIssue ?? c.issue);
    if (c.atRunTime) expect(c.atRunTime).toThrow(ValidationError);
  });

  it('the same props without the fault pass both doors (so each case above fails on its rule alone)', () => {
    expect(() => new TokenRotation(new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S'), 'R', { connections: [TG, { ...LAB, rotationInterval: Duration.hours(8) }], minSecondsToExpiryAlarmThreshold: Duration.hours(1) })).not.toThrow();
    expect(() => parseConfig({ connections: [TG, { ...LAB, rotationIntervalHours: 8 }], minSecondsToExpiryAlarmThreshold: 3600 })).not.toThrow();
  });

  it("refuses a credential secret, its key or the alarm topic outside the stack's account and region, at both doors", () => {
    const env = { account: '123456789012', region: 'eu-west-1' };
    const elsewhere = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tg/prod-AbCdEf';
    const otherKey = 'arn:aws:kms:eu-west-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const topic = 'arn:aws:sns:eu-west-1:210987654321:ops';
    expect(
      constructIssues(
        (s) => ({
          connections: [{ ...TG, credentialSecret: secretsmanager.Secret.fromSecretCompleteArn(s, 'C', elsewhere), credentialSecretKey: kms.Key.fromKeyArn(s, 'K', otherKey) }],
          alarmTopic: sns.Topic.fromTopicArn(s, 'T', topic),
        }),
        env,
      ),
    ).toEqual([
      "connections[0].credentialSecret: expected a secret in the stack's account and region, got region us-east-1 (the stack's is eu-west-1)",
      "connections[0].credentialSecretKey: expected a key in the stack's account and region, got account 210987654321 (the stack's is 123456789012)",
      "alarmTopic: expected a topic in the stack's account and region, got account 210987654321 (the stack's is 123456789012)",
    ]);
    const config = parseConfig({ connections: [{ ...TG, credentialSecretArn: elsewhere, credentialSecretKmsKeyArn: otherKey }], alarmTopicArn: topic });
    expect(() => checkEnvironment(config, env)).toThrow(/connections\[0\]\.credentialSecretArn: expected a secret in the stack's account and region/);
  });
});
