import { generate } from 'selfsigned';
import { describe, expect, it } from 'vitest';
import { HttpError, TransportError } from '../../../core/errors.js';
import type { HttpRequestInfo } from '../../../core/http/transport.js';
import { TigerGraphClient } from '../../../core/providers/tigergraph/index.js';
import { connFor, FAST, rejection, SECRET, useFakes } from './helpers.js';

const start = useFakes();

describe('retries', () => {
  it('retries 5xx and gives up after maxAttempts with a retryable HttpError', async () => {
    const fake = await start({ version: 3, faults: { failNext: 10 } });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, { ...FAST, maxAttempts: 3 });
    const e = (await rejection(client.requestToken())) as HttpError;
    expect(e).toBeInstanceOf(HttpError);
    expect(e.status).toBe(500);
    expect(e.retryable).toBe(true);
    expect(fake.stats().request).toBe(3);
  });

  it('succeeds when a 503 clears before the last attempt, reporting each attempt', async () => {
    const fake = await start({ version: 4, faults: { failNext: 2, errorStatus: 503 } });
    const seen: HttpRequestInfo[] = [];
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, { ...FAST, onRequest: (i) => seen.push(i) });
    const issued = await client.requestToken();
    expect(fake.isLive(issued.token)).toBe(true);
    expect(seen.map((i) => [i.op, i.attempt, i.status])).toEqual([
      ['request', 1, 503],
      ['request', 2, 503],
      ['request', 3, 200],
    ]);
  });

  it('never retries a 4xx', async () => {
    const fake = await start({ version: 3 });
    const client = new TigerGraphClient(connFor(fake), { secret: 'wrong-secret-value' }, { ...FAST, maxAttempts: 5 });
    await expect(client.requestToken()).rejects.toThrow();
    expect(fake.stats().request).toBe(1);
  });

  it('a seeded 100% 503 rate is bounded by maxAttempts (default 3)', async () => {
    const fake = await start({ version: 3, faults: { errorRate: 1, errorStatus: 503, seed: 7, ops: ['echo'] } });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, { baseDelayMs: 1, maxDelayMs: 5 });
    const { token } = await client.requestToken(); // not faulted (ops filter)
    const e = (await rejection(client.checkToken(token))) as HttpError;
    expect(e.status).toBe(503);
    expect(fake.stats().echo).toBe(3);
  });
});

describe('transport faults', () => {
  it('latency beyond the timeout => TransportError "timeout" per attempt', async () => {
    const fake = await start({ version: 3, faults: { latencyMs: 1_000 } });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, { ...FAST, timeoutMs: 100, maxAttempts: 2 });
    const t0 = Date.now();
    const e = (await rejection(client.requestToken())) as TransportError;
    expect(e).toBeInstanceOf(TransportError);
    expect(e.reason).toBe('timeout');
    expect(e.message).toMatch(/100 ms/);
    expect(Date.now() - t0).toBeLessThan(900);
    expect(fake.stats().request).toBe(2);
  });

  it('latency within the timeout is fine', async () => {
    const fake = await start({ version: 4, faults: { latencyMs: 50 } });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, { ...FAST, timeoutMs: 1_000 });
    expect(fake.isLive((await client.requestToken()).token)).toBe(true);
  });

  it('dropped connections => TransportError "reset" after maxAttempts', async () => {
    const fake = await start({ version: 3, faults: { dropNext: 5 } });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, { ...FAST, maxAttempts: 2 });
    const e = (await rejection(client.requestToken())) as TransportError;
    expect(e).toBeInstanceOf(TransportError);
    expect(e.reason).toBe('reset');
    expect(fake.stats().request).toBe(2);
  });

  it('one dropped connection is retried transparently', async () => {
    const fake = await start({ version: 4, faults: { dropNext: 1 } });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    expect(fake.isLive((await client.requestToken()).token)).toBe(true);
    expect(fake.stats().request).toBe(2);
  });

  it('a malformed 200 body => TransportError "malformed", not retried', async () => {
    const fake = await start({ version: 3, faults: { malformedNext: 1 } });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    const e = (await rejection(client.requestToken())) as TransportError;
    expect(e.reason).toBe('malformed');
    expect(fake.stats().request).toBe(1);
  });

  it('connection refused => TransportError "refused" naming host and port to check', async () => {
    const fake = await start({ version: 3 });
    const url = fake.url;
    await fake.close();
    const client = new TigerGraphClient(connFor({ url, version: 3 }), { secret: SECRET }, { ...FAST, maxAttempts: 2 });
    const e = (await rejection(client.requestToken())) as TransportError;
    expect(e.reason).toBe('refused');
    expect(e.message).toMatch(/host/);
    expect(e.message).toMatch(/port/);
  });
});

describe('TLS', () => {
  async function tlsFake(version: 3 | 4) {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
      ],
    });
    const fake = await start({ version, tls: { key: pems.private, cert: pems.cert } });
    return { fake, ca: pems.cert };
  }

  it('refuses a self-signed certificate without the CA => TransportError "tls", not retried', async () => {
    const { fake } = await tlsFake(4);
    expect(fake.url.startsWith('https://')).toBe(true);
    const seen: HttpRequestInfo[] = [];
    const client = new TigerGraphClient({ host: fake.url, tigergraphVersion: '4', allowInsecureHttp: false }, { secret: SECRET }, {
      ...FAST,
      onRequest: (i) => seen.push(i),
    });
    const e = (await rejection(client.requestToken())) as TransportError;
    expect(e).toBeInstanceOf(TransportError);
    expect(e.reason).toBe('tls');
    expect(e.message).toMatch(/caCertificate/);
    expect(seen.map((i) => [i.attempt, i.status, i.error])).toEqual([[1, undefined, 'tls']]);
    expect(fake.stats().total).toBe(0);
  });

  it('accepts it with caCertificate, for every operation', async () => {
    const { fake, ca } = await tlsFake(3);
    const conn = { host: fake.url, tigergraphVersion: '3' as const, allowInsecureHttp: false, caCertificate: ca };
    const client = new TigerGraphClient(conn, { secret: SECRET }, FAST);
    const issued = await client.requestToken({ lifetimeSeconds: 600 });
    expect(await client.checkToken(issued.token)).toBe(true);
    await client.refreshToken(issued.token, { lifetimeSeconds: 900 });
    await client.deleteToken(issued.token);
    expect(fake.isLive(issued.token)).toBe(false);
  });

  it('https:// against a plain HTTP port fails as a transport error', async () => {
    const fake = await start({ version: 3 });
    const client = new TigerGraphClient(
      { host: fake.url.replace('http://', 'https://'), tigergraphVersion: '3', allowInsecureHttp: false },
      { secret: SECRET },
      { ...FAST, maxAttempts: 1 },
    );
    const e = (await rejection(client.requestToken())) as TransportError;
    expect(e).toBeInstanceOf(TransportError);
    expect(['tls', 'reset']).toContain(e.reason);
  });
});
