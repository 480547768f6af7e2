/** Retries only where the operation is safe: GET and DELETE are retried, a sent create never is. */
import { describe, expect, it } from 'vitest';
import { HttpError, TransportError } from '../../../core/errors.js';
import type { HttpRequestInfo } from '../../../core/http/transport.js';
import { ALICE, clientFor, FAST, providerFor, PURPOSE, rejection, useFakes } from './helpers.js';

const start = useFakes();

describe('create is sent exactly once', () => {
  it.each([
    ['a 5xx', { failNext: 5, errorStatus: 503 as const }, HttpError],
    ['a dropped connection', { dropNext: 5 }, TransportError],
    ['a malformed 201', { malformedNext: 5 }, TransportError],
  ])('%s on create: one attempt, a retryable error', async (_name, faults, type) => {
    const fake = await start({ faults: { ...faults, ops: ['create'] } });
    const seen: HttpRequestInfo[] = [];
    const provider = providerFor(fake, ALICE, { ...FAST, maxAttempts: 5, onRequest: (i) => seen.push(i) });
    const e = await rejection(provider.issue({ purpose: PURPOSE }));
    expect(e).toBeInstanceOf(type);
    expect(fake.stats().create).toBe(1);
    expect(seen.filter((i) => i.op === 'create').map((i) => i.attempt)).toEqual([1]);
  });

  it('a create that times out is not re-sent', async () => {
    const fake = await start({ faults: { latencyMs: 500, ops: ['create'] } });
    const e = (await rejection(providerFor(fake, ALICE, { ...FAST, timeoutMs: 100 }).issue({ purpose: PURPOSE }))) as TransportError;
    expect(e).toBeInstanceOf(TransportError);
    expect(e.reason).toBe('timeout');
    expect(fake.stats().create).toBe(1);
  });
});

describe('GET and DELETE are retried', () => {
  it('the pre-clean list survives two 5xx', async () => {
    const fake = await start({ faults: { failNext: 2, ops: ['list'] } });
    const issued = await providerFor(fake).issue({ purpose: PURPOSE });
    expect(fake.isLive(issued.token)).toBe(true);
    expect(fake.stats()).toMatchObject({ list: 3, create: 1 });
  });

  it('the list survives a dropped connection', async () => {
    const fake = await start({ faults: { dropNext: 1, ops: ['list'] } });
    fake.addToken({ user: 'alice', description: 'x' });
    expect(await clientFor(fake).listTokens()).toHaveLength(1);
    expect(fake.stats().list).toBe(3); // dropped, then the page, then the empty page
  });

  it('revoke survives a 5xx and a dropped connection', async () => {
    const fake = await start();
    const a = await providerFor(fake).issue({ purpose: PURPOSE });
    fake.setFaults({ failNext: 1, dropNext: 1, ops: ['delete'] });
    expect(await providerFor(fake).revoke({ token: a.token, fields: a.fields ?? {} })).toBe('revoked');
    expect(fake.stats().delete).toBe(3);
    expect(fake.isLive(a.token)).toBe(false);
  });

  it('verify survives a 5xx', async () => {
    const fake = await start();
    const a = await providerFor(fake).issue({ purpose: PURPOSE });
    fake.setFaults({ failNext: 1, ops: ['get'] });
    expect(await providerFor(fake).verify({ token: a.token, fields: a.fields ?? {} })).toBe(true);
    expect(fake.stats().get).toBe(2);
  });

  it('retries are bounded by maxAttempts; nothing is minted when the pre-clean list keeps failing', async () => {
    const fake = await start({ faults: { failNext: 10, ops: ['list'] } });
    const e = (await rejection(providerFor(fake, ALICE, { ...FAST, maxAttempts: 3 }).issue({ purpose: PURPOSE }))) as HttpError;
    expect(e).toBeInstanceOf(HttpError);
    expect(e.status).toBe(500);
    expect(e.retryable).toBe(true);
    expect(e.message).toContain(`GET ${fake.url}/v4/apiAccessTokens (list)`);
    expect(fake.stats()).toMatchObject({ list: 3, create: 0 });
  });

  it('a seeded 50% error rate on GET/DELETE is absorbed with enough attempts (reproducible)', async () => {
    const fake = await start();
    const provider = providerFor(fake, ALICE, { ...FAST, maxAttempts: 10 });
    const a = await provider.issue({ purpose: PURPOSE });
    fake.setFaults({ errorRate: 0.5, seed: 42, ops: ['get', 'delete', 'list'] });
    expect(await provider.verify({ token: a.token, fields: a.fields ?? {} })).toBe(true);
    expect(await provider.revoke({ token: a.token, fields: a.fields ?? {} })).toBe('revoked');
    expect(fake.isLive(a.token)).toBe(false);
  });
});
