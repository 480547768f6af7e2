/**
 * Change events end to end (issue 23, item 1): the real handlers put them with the real
 * EventBridge client over HTTP on the local endpoint, which keeps what it accepted. Every event's
 * detail matches the schema and carries no token, credential or fingerprint; a put that fails is
 * logged and counted and fails nothing.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { changeEventDetailSchema, connectionName, type ChangeEvent } from '../../core/events.js';
import { EVENT_SOURCE } from '../../core/names.js';
import { tokenFingerprint } from '../../core/operations/holders.js';
import { EventBridgeSink, EVENTS_NOT_DELIVERED_METRIC } from '../../functions/lib/events.js';
import { handler as onDemand } from '../../functions/on-demand/handler.js';
import { handler as scheduled } from '../../functions/scheduled-refresh/handler.js';
import type { ReceivedEvent } from '../../local/aws/index.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { LOCAL_CREDENTIALS, startLocalStack, type LocalStack } from '../../local/stack.js';

const DAY = 86_400;
const HOUR = 3_600;
let stack: LocalStack;
let n = 0;

beforeAll(async () => {
  process.env.TG_HTTP_TIMEOUT_MS = '1000';
  process.env.TG_HTTP_BASE_DELAY_MS = '5';
  stack = await startLocalStack();
  await stack.putSettings({ refreshBeforeSeconds: 3 * DAY, revokeGraceSeconds: HOUR });
});
afterAll(async () => stack.close());

type Ctx = Parameters<typeof scheduled>[1];
const sweep = async (secretIds: string[]) => {
  const out = await scheduled({ secretIds }, lambdaContext('scheduled-refresh', 300_000) as Ctx);
  await stack.aws.rotationsSettled();
  return out;
};
const invoke = (event: Record<string, unknown>) => onDemand(event, lambdaContext('on-demand') as Parameters<typeof onDemand>[1]);
const eventsOf = (arn: string, type?: string) => stack.aws.events().filter((e) => e.detail.secretArn === arn && (type === undefined || e.detailType === type));
const currentVersion = async (arn: string) => (await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }))).VersionId!;

describe('change events on EventBridge', () => {
  it('a rotation puts Token Rotated: source, bus, the secret, its connection, provider, versions, expiry, the rotation as correlation id', async () => {
    const arn = await stack.createTokenSecret(`ev/team/rot-${++n}/token`, { version: 4 });
    const [rotated] = eventsOf(arn, 'Token Rotated');
    expect(rotated).toMatchObject({ source: EVENT_SOURCE, eventBusName: 'default', resources: [arn] });
    const versionId = await currentVersion(arn);
    expect(rotated?.detail).toMatchObject({ secretArn: arn, connection: `rot-${n}`, provider: 'tigergraph', versionId, correlationId: versionId });
    expect(Date.parse(String(rotated?.detail.expiresAt))).toBeGreaterThan(stack.clock.now());
    expect(rotated?.detail.previousVersionId).toEqual(expect.any(String));
  });

  it('a sweep puts Token Refreshed for an in-place refresh, then Token Revoked and Token Left To Expire for the tokens it settles', async () => {
    const tg3 = await stack.createTokenSecret(`ev/refresh-${++n}`, { version: 3, fields: { lifetimeSeconds: 2 * DAY } });
    const trifacta = await stack.createTokenSecret(`ev/revoke-${++n}`, { provider: 'trifacta', fields: { lifetimeSeconds: 30 * DAY } });
    await invoke({ action: 'request', secretId: trifacta });
    const replacedTrifacta = eventsOf(trifacta, 'Token Rotated').at(-1)?.detail.previousVersionId;
    stack.clock.advance(1.5 * DAY - 2 * HOUR);
    // ICA's JWTs live 12 hours: the one replaced now still has 10 hours to live at the sweep.
    const ica = await stack.createTokenSecret(`ev/expire-${++n}`, { provider: 'ica' });
    await invoke({ action: 'request', secretId: ica });
    stack.clock.advance(2 * HOUR);
    const before = await currentVersion(tg3);
    expect(await sweep([tg3, trifacta, ica])).toMatchObject({ refreshed: 1, revoked: 1, failed: [] });

    expect(eventsOf(tg3, 'Token Refreshed')).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ versionId: await currentVersion(tg3), previousVersionId: before, provider: 'tigergraph', expiresAt: expect.any(String) }) }),
    ]);
    expect(eventsOf(trifacta, 'Token Revoked').map((e) => e.detail)).toEqual([expect.objectContaining({ versionId: replacedTrifacta, outcome: 'revoked', provider: 'trifacta' })]);
    const expiring = eventsOf(ica, 'Token Left To Expire');
    expect(expiring.length).toBeGreaterThanOrEqual(1);
    expect(expiring[0]?.detail).toMatchObject({ provider: 'ica', expiresAt: expect.any(String) });
    // The sweep's invocation ties its events together.
    expect(new Set([...eventsOf(tg3, 'Token Refreshed'), ...eventsOf(trifacta, 'Token Revoked')].map((e) => e.detail.correlationId)).size).toBe(1);
  });

  it('a credential secret not filled in yet puts Credential Not Set, a failing rotation Rotation Failed, a failing revoke Revoke Failed', async () => {
    const unset = await stack.createTokenSecret(`ev/unset-${++n}`, { provider: 'trifacta', credentials: { username: '', password: '' } });
    expect(eventsOf(unset, 'Credential Not Set')[0]?.detail).toMatchObject({ secretArn: unset, reason: expect.stringMatching(/createSecret: CredentialNotSetError/) });
    expect(eventsOf(unset, 'Rotation Failed')).toEqual([]);

    const failing = await stack.createTokenSecret(`ev/failing-${++n}`, { provider: 'trifacta' });
    stack.trifacta.setFaults({ failNext: 50, ops: ['create'] });
    await expect(invoke({ action: 'request', secretId: failing })).rejects.toThrow(/failed/);
    // The request reads the failure off the secret's tag, which the rotation writes before its event: let it finish.
    await stack.aws.rotationsSettled(failing);
    stack.trifacta.setFaults({});
    expect(eventsOf(failing, 'Rotation Failed')[0]?.detail.reason).toMatch(/^createSecret: /);

    await invoke({ action: 'request', secretId: failing });
    stack.trifacta.setFaults({ failNext: 50, ops: ['delete'] });
    await expect(invoke({ action: 'delete', secretId: failing })).rejects.toThrow();
    stack.trifacta.setFaults({});
    expect(eventsOf(failing, 'Revoke Failed')[0]?.detail.reason).toEqual(expect.any(String));
  });

  it('a put that fails is logged and counted, and fails nothing: the pause is in force without its event', async () => {
    const arn = await stack.createTokenSecret(`ev/undelivered-${++n}`, { version: 3 });
    stack.aws.setFaults({ failNext: { operation: 'PutEvents', errorType: 'InternalFailure', count: 50 } });
    try {
      const paused = await invoke({ action: 'pause', secretId: arn, reason: 'incident 42' });
      expect(paused).toMatchObject({ paused: true, reason: 'incident 42' });
    } finally {
      stack.aws.setFaults({});
    }
    expect(eventsOf(arn, 'Connection Paused')).toEqual([]);
    expect(await invoke({ action: 'status', secretId: arn })).toMatchObject({ paused: true });
    await invoke({ action: 'resume', secretId: arn });

    // The sink itself: each event not delivered is logged and counted once, and nothing is thrown.
    const warnings: Array<Record<string, unknown>> = [];
    const metrics: Array<[string, number]> = [];
    // The sink signs with a client's stack (the functions pass their Secrets Manager client's); the endpoint is the process's.
    const client = new SecretsManagerClient({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    const once = { maxAttempts: 1 };
    const sink = new EventBridgeSink(client, 'no-such-bus', { warn: (_m: string, fields: Record<string, unknown>) => warnings.push(fields) } as never, {
      addMetric: (name, _unit, value) => metrics.push([name, value]),
      publishStoredMetrics: () => undefined,
    }, once);
    const event: ChangeEvent = { detailType: 'Connection Resumed', detail: { secretArn: arn, connection: 'x', correlationId: 'c' }, time: new Date() };
    await expect(sink.put(event)).resolves.toBeUndefined();
    stack.aws.setFaults({ failNext: { operation: 'PutEvents', errorType: 'InternalFailure', count: 1 } });
    await expect(new EventBridgeSink(client, 'default', { warn: (_m: string, f: Record<string, unknown>) => warnings.push(f) } as never, { addMetric: (name, _u, v) => metrics.push([name, v]), publishStoredMetrics: () => undefined }, once).put(event)).resolves.toBeUndefined();
    stack.aws.setFaults({});
    client.destroy();
    expect(sink.failures).toBe(1);
    expect(metrics).toEqual([
      [EVENTS_NOT_DELIVERED_METRIC, 1],
      [EVENTS_NOT_DELIVERED_METRIC, 1],
    ]);
    // An entry refused (in a 200) names its code and message; a failed call its service, operation, status and code.
    expect(warnings.map((w) => w.error)).toEqual([
      'Error: InvalidArgument: Event bus no-such-bus does not exist.',
      'AwsRequestError: events PutEvents failed: HTTP 500 InternalFailure after 1 attempt(s)',
    ]);
  });

  it('every event received matches the schema and carries no token, credential or fingerprint of one', () => {
    const events: readonly ReceivedEvent[] = stack.aws.events();
    expect(events.length).toBeGreaterThan(10);
    for (const e of events) {
      expect(e.source).toBe(EVENT_SOURCE);
      expect(changeEventDetailSchema.safeParse(e.detail).success, JSON.stringify(e.detail)).toBe(true);
      expect(e.detail.connection).toBe(connectionName(String(e.detail.secretArn)));
    }
    const secrets: string[] = [stack.tigergraphSecret, stack.tigergraphUser.password, stack.trifactaUser.password, stack.icaApiKey, stack.icaUser.password];
    for (const s of stack.aws.inspectSecrets()) {
      for (const v of s.versions) {
        const token = (JSON.parse(v.secretString ?? '{}') as { token?: string }).token;
        if (token) secrets.push(token, tokenFingerprint(token), createHash('sha256').update(token).digest('hex'), token.slice(0, 16), token.slice(-16));
      }
    }
    const text = JSON.stringify(events);
    const leaked = secrets.filter((s) => s.length >= 8 && text.includes(s));
    expect(leaked).toEqual([]);
  });
});
