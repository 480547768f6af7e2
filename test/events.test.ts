/** Change events (core/events.ts): the detail an operation's facts become, delivery that never fails the operation, and the PutEvents entry. */
import { describe, expect, it } from 'vitest';
import type { Deps } from '../core/deps.js';
import { connectionName, emitChange, MAX_REASON_LENGTH, putEventsEntry, reasonOf, type ChangeEvent } from '../core/events.js';
import { EVENT_SOURCE } from '../core/names.js';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tg-token-rotation/analytics/token-AbCdEf';

function sinkDeps(extra: Partial<Deps> = {}) {
  const events: ChangeEvent[] = [];
  const logs: [string, Record<string, unknown>][] = [];
  const deps = { clock: { now: () => NOW }, events: { put: async (e: ChangeEvent) => void events.push(e) }, log: (m: string, f: Record<string, unknown>) => logs.push([m, f]), ...extra };
  return { deps, events, logs };
}

describe('emitChange', () => {
  it('the facts, the connection and the correlation id, at the clock\'s instant', async () => {
    const s = sinkDeps({ correlationId: 'req-1' });
    await emitChange(s.deps, 'Token Refreshed', { secretArn: ARN, provider: 'tigergraph', versionId: 'v2' });
    expect(s.events).toEqual([
      { detailType: 'Token Refreshed', time: new Date(NOW), detail: { secretArn: ARN, provider: 'tigergraph', versionId: 'v2', connection: 'analytics', correlationId: 'req-1' } },
    ]);
  });

  it('correlation id `none` when the invocation has none; a reason cut to MAX_REASON_LENGTH', async () => {
    const s = sinkDeps();
    await emitChange(s.deps, 'Refresh Failed', { secretArn: ARN, provider: 'ica', reason: 'r'.repeat(MAX_REASON_LENGTH + 50) });
    expect(s.events[0]?.detail.correlationId).toBe('none');
    expect(s.events[0]?.detail.reason).toHaveLength(MAX_REASON_LENGTH);
    expect(MAX_REASON_LENGTH).toBe(1_000);
  });

  it('no sink: nothing put, nothing logged', async () => {
    const s = sinkDeps({ events: undefined });
    await emitChange(s.deps, 'Token Refreshed', { secretArn: ARN, provider: 'ica' });
    expect(s.logs).toEqual([]);
  });

  it('a sink that throws: logged with the event type, the secret and the error, never thrown', async () => {
    const s = sinkDeps({ events: { put: () => Promise.reject(new Error('throttled')) } });
    await expect(emitChange(s.deps, 'Token Revoked', { secretArn: ARN, provider: 'ica' })).resolves.toBeUndefined();
    expect(s.logs).toEqual([['change event not delivered', { detailType: 'Token Revoked', secretArn: ARN, error: 'throttled' }]]);
    const unlogged = sinkDeps({ events: { put: () => Promise.reject(new Error('throttled')) }, log: undefined });
    await expect(emitChange(unlogged.deps, 'Token Revoked', { secretArn: ARN, provider: 'ica' })).resolves.toBeUndefined();
    const odd = sinkDeps({ events: { put: () => Promise.reject('plain') } });
    await emitChange(odd.deps, 'Token Revoked', { secretArn: ARN, provider: 'ica' });
    expect(odd.logs[0]?.[1].error).toBe('plain');
  });
});

describe('reasonOf', () => {
  it('an error as `<name>: <message>`; anything else as text', () => {
    const e = new TypeError('bad');
    expect(reasonOf(e)).toBe('TypeError: bad');
    expect(reasonOf('plain')).toBe('plain');
    expect(reasonOf(42)).toBe('42');
  });
});

describe('connectionName', () => {
  it.each([
    [ARN, 'analytics'],
    ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:billing-AbC123', 'billing'],
    ['arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:a/b/token-zzzzzz', 'b'],
    ['tg-token-rotation/analytics/token', 'analytics'],
    ['plain-name', 'plain-name'],
    ['team/tokenizer', 'tokenizer'],
    ['ends/with/', 'ends/with/'],
  ])('%s -> %s', (input, expected) => {
    expect(connectionName(input)).toBe(expected);
  });
});

describe('putEventsEntry', () => {
  it('source, type, the detail as JSON, the time, the bus and the secret as the resource', () => {
    const event: ChangeEvent = { detailType: 'Token Rotated', time: new Date(NOW), detail: { secretArn: ARN, provider: 'ica', connection: 'analytics', correlationId: 'none' } };
    expect(putEventsEntry(event, 'bus')).toEqual({
      Source: EVENT_SOURCE,
      DetailType: 'Token Rotated',
      Detail: JSON.stringify(event.detail),
      Time: new Date(NOW),
      EventBusName: 'bus',
      Resources: [ARN],
    });
  });
});
