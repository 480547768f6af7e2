/**
 * Rotation windows in the deployment (issue 23, item 3): the JSON config and the construct's props
 * check `rotationSchedule` as Secrets Manager would, naming the field; the token secret's rotation
 * uses it as RotationRules, the sweep finds it in the token secret's settings and the sweep's
 * interval in the settings parameter; a custom event bus is the only one PutEvents is granted on.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../core/names.js';
import { DeploymentConfigError, parseConfig } from '../../infra/config.js';
import { TokenRotation } from '../../infra/construct.js';
import { exampleConfig, logicalId, resolve, synthesize, SYNTH_TIMEOUT_MS } from './helpers.js';

const conn = { name: 'prod', host: 'https://tg.example.com' };
const issuesOf = (config: unknown): string[] => {
  try {
    parseConfig(config);
    return [];
  } catch (e) {
    return (e as DeploymentConfigError).issues;
  }
};

describe('rotationSchedule in the JSON config', () => {
  it('accepts a cron or rate schedule with a duration, instead of rotationIntervalHours', () => {
    const config = parseConfig({ connections: [{ ...conn, rotationSchedule: { scheduleExpression: 'cron(0 2 ? * SUN *)', duration: '4h' } }] });
    expect(config.connections[0]).toMatchObject({ rotationSchedule: { scheduleExpression: 'cron(0 2 ? * SUN *)', duration: '4h' } });
    expect(config.connections[0]?.rotationIntervalHours).toBeUndefined();
  });

  it('refuses a malformed expression, a bad duration, both schedules, windows further apart than the lifetime, a schedule rate longer than the window', () => {
    expect(issuesOf({ connections: [{ ...conn, rotationSchedule: { scheduleExpression: 'cron(15 2 ? * SUN *)' } }] })).toEqual([
      "connections[0].rotationSchedule.scheduleExpression: minutes: expected 0 (Secrets Manager's rotation windows open on the hour), got \"15\"",
    ]);
    expect(issuesOf({ connections: [{ ...conn, rotationSchedule: { scheduleExpression: 'cron(0 2 * * MON *)' } }] })).toEqual([
      'connections[0].rotationSchedule.scheduleExpression: expected ? in exactly one of day-of-month and day-of-week',
    ]);
    expect(issuesOf({ connections: [{ ...conn, rotationSchedule: { scheduleExpression: 'cron(0 22 ? * SUN *)', duration: '4h' } }] })).toEqual([
      'connections[0].rotationSchedule.duration: expected at most 2h: the window opening at 22:00 UTC must close by the end of the UTC day',
    ]);
    expect(issuesOf({ connections: [{ ...conn, rotationIntervalHours: 24, rotationSchedule: { scheduleExpression: 'rate(1 day)' } }] })).toEqual([
      'connections[0].rotationSchedule: expected either rotationIntervalHours or rotationSchedule, not both',
    ]);
    expect(issuesOf({ connections: [{ ...conn, lifetimeSeconds: 5 * 86_400, rotationSchedule: { scheduleExpression: 'cron(0 2 ? * SUN *)' } }] })).toEqual([
      'connections[0].rotationSchedule.scheduleExpression: expected windows less far apart than lifetimeSeconds (432000 s), so a token is replaced before it expires',
    ]);
    expect(issuesOf({ scheduleRateMinutes: 120, connections: [{ ...conn, rotationSchedule: { scheduleExpression: 'cron(0 2 ? * SUN *)', duration: '1h' } }] })).toEqual([
      'scheduleRateMinutes: expected at most 60 minutes (the window of connections[0].rotationSchedule), got 120 minutes: a sweep must run inside every window',
    ]);
  });
});

describe('rotationSchedule in the construct', () => {
  const construct = (rotationSchedule: { scheduleExpression: string; duration?: string }, extra: Record<string, unknown> = {}) => () =>
    new TokenRotation(new Stack(new App()), 'R', { connections: [{ ...conn, rotationSchedule, ...extra }] });

  it('refuses what Secrets Manager would refuse, naming the field', () => {
    expect(construct({ scheduleExpression: 'rate(2 hours)' })).toThrow('TokenRotation: connections[0].rotationSchedule.scheduleExpression: expected at least rate(4 hours)');
    expect(construct({ scheduleExpression: 'cron(0 2 ? * SUN *)', duration: '2 hours' })).toThrow(/^TokenRotation: connections\[0\]\.rotationSchedule\.duration: expected whole hours/);
    expect(construct({ scheduleExpression: 'rate(1 day)' }, { rotationInterval: Duration.days(1) })).toThrow('TokenRotation: connections[0].rotationSchedule: expected either rotationInterval or rotationSchedule, not both');
  });

  it(
    'uses the schedule as the rotation rules, hands it to the token secret, writes the sweep interval, and grants PutEvents on a given bus only',
    () => {
      const schedule = { scheduleExpression: 'cron(0 2 ? * SUN *)', duration: '4h' };
      let bus: events.EventBus | undefined;
      const config = exampleConfig();
      const { stack, template } = synthesize(
        { ...config, connections: config.connections.map((c, i) => (i === 0 ? { ...c, rotationIntervalHours: undefined, rotationSchedule: schedule } : c)) },
        (s) => {
          bus = new events.EventBus(s, 'Bus');
        },
      );
      expect(bus).toBeDefined();
      const first = stack.rotation.connections[0]!;
      template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { SecretId: resolve(stack, first.tokenSecret.secretArn), RotationRules: { ScheduleExpression: schedule.scheduleExpression, Duration: '4h' } });
      // The settings are a JSON string CloudFormation joins (the credential's ARN is a reference).
      const settings = JSON.stringify(template.toJSON().Resources[logicalId(stack, first.settings)].Properties.Settings);
      expect(settings).toContain(JSON.stringify(JSON.stringify({ rotationSchedule: schedule })).slice(2, -3));
      expect(JSON.parse(String(Object.values(template.findResources('AWS::SSM::Parameter'))[0]?.Properties.Value)).sweepIntervalSeconds).toBe(3600);

      // A bus of the user's: the three functions put on it, and on nothing else.
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const own = new Stack(app, 'Own');
      const ownBus = new events.EventBus(own, 'Bus');
      const r = new TokenRotation(own, 'R', { connections: [conn], eventBus: ownBus });
      const t = own.resolve(ownBus.eventBusArn);
      expect(own.resolve(r.eventBus.eventBusArn)).toEqual(t);
      const json = JSON.stringify(app.synth().getStackByName('Own').template);
      expect(json.match(/"events:PutEvents"/g)).toHaveLength(3);
      const fn = app.synth().getStackByName('Own').template.Resources[own.getLogicalId(r.onDemandFunction.node.defaultChild as never)];
      expect(fn.Properties.Environment.Variables[ENV.EVENT_BUS]).toEqual(t);
    },
    SYNTH_TIMEOUT_MS,
  );
});
