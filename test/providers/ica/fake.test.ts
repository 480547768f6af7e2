/** The fake ICA itself: wire shapes, routing, inspection API (raw HTTP with fetch, no client). */
import { describe, expect, it } from 'vitest';
import { OffsetClock } from '../../../core/clock.js';
import { ICA_ACCEPT } from '../../../core/providers/ica/index.js';
import { startFakeIca } from '../../../local/fakes/ica/index.js';
import { API_KEY, clientFor, KEY, useFakeIca } from './helpers.js';

const start = useFakeIca();

async function call(url: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
  const res = await fetch(url, { method: 'POST', ...init, headers: { accept: ICA_ACCEPT, ...init.headers } });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

describe('fake ICA', () => {
  it('answers failures as Problems with exactly the documented fields', async () => {
    const fake = await start();
    const res = await call(`${fake.url}/ica/rest/api/tokens`, { headers: { 'x-api-key': 'nope-nope-nope' } });
    expect(res.status).toBe(401);
    expect(res.type).toBe('application/problem+json');
    expect(Object.keys(res.body).sort()).toEqual(['detail', 'id', 'instance', 'parameters', 'status', 'timestamp', 'title', 'type']);
    expect(res.body).toMatchObject({ type: 'about:blank', title: 'Unauthorized', status: 401, instance: '/ica/rest/api/tokens', parameters: {} });
    expect(res.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(res.body.timestamp).toBe(new Date(fake.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  });

  it('answers a mint as {"token", ...extra} in the Illumina media type', async () => {
    const fake = await start();
    const res = await call(`${fake.url}/ica/rest/api/tokens`, { headers: { 'x-api-key': API_KEY } });
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/vnd.illumina.v3+json;charset=UTF-8');
    expect(res.body).toEqual({ token: expect.stringMatching(/^eyJ/), tokenType: 'Bearer', expiresIn: null });
  });

  it('unknown path 404, wrong method 405, unacceptable Accept 406 (quirk strictAccept, default on)', async () => {
    const fake = await start();
    expect((await call(`${fake.url}/ica/rest/api/nothing`)).status).toBe(404);
    expect((await call(`${fake.url}/ica/rest/api/tokens`, { method: 'GET' })).status).toBe(405);
    expect((await call(`${fake.url}/ica/rest/api/tokens`, { headers: { accept: 'application/json', 'x-api-key': API_KEY } })).status).toBe(406);
    fake.setQuirks({ strictAccept: false });
    expect((await call(`${fake.url}/ica/rest/api/tokens`, { headers: { accept: 'application/json', 'x-api-key': API_KEY } })).status).toBe(200);
  });

  it('accepts the refresh path with the colon percent-encoded too', async () => {
    const fake = await start();
    const res = await call(`${fake.url}/ica/rest/api/tokens%3Arefresh`, { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(401);
    expect(fake.stats().refresh).toBe(1);
  });

  it('the inspection API never returns a token value', async () => {
    const fake = await start();
    const { token } = await clientFor(fake, KEY).createToken();
    await clientFor(fake, KEY).checkToken(token);
    const seen = JSON.stringify({ stats: fake.stats(), requests: fake.requests(), minted: fake.minted, live: fake.liveCount() });
    expect(seen).not.toContain(token);
    expect(seen).not.toContain(API_KEY);
    expect(fake.minted).toBe(1);
    expect(fake.liveCount()).toBe(1);
  });

  it('shares a clock passed in; defaults to its own OffsetClock on a free port', async () => {
    const clock = new OffsetClock();
    const a = await startFakeIca({ clock, apiKeys: [API_KEY] });
    const b = await startFakeIca({ apiKeys: [API_KEY] });
    try {
      expect(a.clock).toBe(clock);
      expect(b.clock).toBeInstanceOf(OffsetClock);
      expect(b.clock).not.toBe(clock);
      expect(a.port).not.toBe(b.port);
      expect(a.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await a.close();
      await b.close();
      await b.close(); // idempotent
    }
  });

  it('an API key given as a list mints for the default owner; resetStats clears the record', async () => {
    const fake = await start({ apiKeys: [API_KEY] });
    await clientFor(fake, KEY).createToken();
    expect(fake.requests()).toHaveLength(1);
    fake.resetStats();
    expect(fake.requests()).toHaveLength(0);
    expect(fake.stats().total).toBe(0);
  });
});
