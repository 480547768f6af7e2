/**
 * The client's paging against answers the fake does not give: a scripted server on 127.0.0.1
 * answers each GET by its query string, so every paging signal and every way of getting it wrong
 * can be shown.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, HttpError, TransportError } from '../../../core/errors.js';
import { clientFor, providerFor, PURPOSE, rejection } from './helpers.js';

type Script = (pathAndQuery: string, method: string) => { status: number; body?: unknown };

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); })));
});

async function scripted(script: Script): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const { status, body } = script(req.url ?? '/', req.method ?? 'GET');
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const t = (id: string) => ({ tokenId: id, description: id, expiredAt: null, createdAt: '2026-01-01T00:00:00.000Z' });

describe('listTokens paging', () => {
  it('follows relative links, and reads a link to our host under http:// on our own origin', async () => {
    const stub = await scripted((q) => {
      if (q === '/v4/apiAccessTokens') return { status: 200, body: { data: [t('a')], next: '/v4/apiAccessTokens?p=2' } };
      if (q === '/v4/apiAccessTokens?p=2') return { status: 200, body: { data: [t('b')], links: { next: 'http://127.0.0.1:1/v4/apiAccessTokens?p=3' } } };
      if (q === '/v4/apiAccessTokens?p=3') return { status: 200, body: { data: [t('c')], next: null } };
      return { status: 500 };
    });
    const listed = await clientFor(stub).listTokens();
    expect(listed.map((x) => x.tokenId)).toEqual(['a', 'b', 'c']);
    expect(stub.seen).toEqual(['GET /v4/apiAccessTokens', 'GET /v4/apiAccessTokens?p=2', 'GET /v4/apiAccessTokens?p=3']);
  });

  it('a next link to another host => ConfigError; the credential is never sent there', async () => {
    const stub = await scripted(() => ({ status: 200, body: { data: [t('a')], next: 'https://evil.example.com/v4/apiAccessTokens?p=2' } }));
    const e = await rejection(clientFor(stub).listTokens());
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/another host/);
    expect(stub.seen).toHaveLength(1);
  });

  it('a link back to a page already read => TransportError malformed, not an endless loop', async () => {
    const stub = await scripted(() => ({ status: 200, body: { data: [t('a')], next: '/v4/apiAccessTokens' } }));
    const e = (await rejection(clientFor(stub).listTokens())) as TransportError;
    expect(e.reason).toBe('malformed');
    expect(e.message).toMatch(/points back at a page already read/);
  });

  it('follows a total with offsets until it is reached (no extra request)', async () => {
    const stub = await scripted((q) => {
      const offset = Number(new URLSearchParams(q.split('?')[1] ?? '').get('offset') ?? 0);
      const all = ['a', 'b', 'c', 'd', 'e'];
      return { status: 200, body: { data: all.slice(offset, offset + 2).map(t), count: { total: all.length } } };
    });
    expect((await clientFor(stub).listTokens()).map((x) => x.tokenId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(stub.seen).toEqual(['GET /v4/apiAccessTokens', 'GET /v4/apiAccessTokens?offset=2', 'GET /v4/apiAccessTokens?offset=4']);
  });

  it('hasMore: false ends the list at once', async () => {
    const stub = await scripted(() => ({ status: 200, body: { data: [t('a')], hasMore: false } }));
    expect(await clientFor(stub).listTokens()).toHaveLength(1);
    expect(stub.seen).toHaveLength(1);
  });

  it('a total that the pages never reach => TransportError malformed (never a silently short list)', async () => {
    const stub = await scripted(() => ({ status: 200, body: { data: [t('a'), t('b')], total: 5 } }));
    const e = (await rejection(clientFor(stub).listTokens())) as TransportError;
    expect(e.reason).toBe('malformed');
    expect(e.message).toMatch(/holds 5 tokens but only 2/);
  });

  it('a total with offsets refused (400) => TransportError malformed', async () => {
    const stub = await scripted((q) => (q.includes('offset') ? { status: 400, body: { exception: { name: 'ApiValidationFailed', message: 'bad' } } } : { status: 200, body: { data: [t('a')], total: 3 } }));
    const e = (await rejection(clientFor(stub).listTokens())) as TransportError;
    expect(e.reason).toBe('malformed');
  });

  it('a page number as next page => TransportError malformed naming the problem', async () => {
    const stub = await scripted(() => ({ status: 200, body: { data: [t('a')], nextPage: 2 } }));
    const e = (await rejection(clientFor(stub).listTokens())) as TransportError;
    expect(e.reason).toBe('malformed');
    expect(e.message).toMatch(/cannot follow/);
  });

  it('a list answer without data => TransportError malformed', async () => {
    const stub = await scripted(() => ({ status: 200, body: { tokens: [] } }));
    const e = (await rejection(clientFor(stub).listTokens())) as TransportError;
    expect(e.reason).toBe('malformed');
    expect(e.message).toContain('(list)');
  });
});

describe('deleteToken 404 without DataNotFoundException', () => {
  it('the id is still listed => HttpError, never not-found', async () => {
    const stub = await scripted((q) => (q.startsWith('/v4/apiAccessTokens/') ? { status: 404 } : { status: 200, body: { data: [t('a')], hasMore: false } }));
    const e = (await rejection(clientFor(stub).deleteToken('a'))) as HttpError;
    expect(e).toBeInstanceOf(HttpError);
    expect(e.message).toMatch(/still lists token a/);
  });

  it('a 404 from something that is not the token API (list also 404) => throws, never not-found', async () => {
    const stub = await scripted(() => ({ status: 404, body: { message: 'Not Found' } }));
    const e = (await rejection(clientFor(stub).deleteToken('a'))) as HttpError;
    expect(e).toBeInstanceOf(HttpError);
    expect(e.status).toBe(404);
    expect(e.message).toMatch(/check that the host is the workspace URL/);
  });
});

describe('createToken answers', () => {
  it('no expiredAt: issue counts the lifetime asked from createdAt (moved onto our clock: the stub is years ahead)', async () => {
    const stub = await scripted((q, method) =>
      method === 'GET'
        ? { status: 200, body: { data: [] } }
        : { status: 201, body: { tokenValue: 'v-123456', tokenInfo: { tokenId: 'i-1', createdAt: '2030-01-01T00:00:00.000Z' } } },
    );
    const before = Date.now();
    const issued = await providerFor(stub).issue({ lifetimeSeconds: 60, purpose: PURPOSE });
    expect(issued.issuedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(issued.issuedAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(issued.expiresAt!.getTime() - issued.issuedAt.getTime()).toBe(60_000);
    expect(issued.fields).toEqual({ tokenId: 'i-1' });
  });

  it('expiredAt and createdAt a server writes on a clock 10 minutes ahead: the lifetime it issued, from our now (issue 22)', async () => {
    const serverNow = Date.now() + 600_000;
    const stub = await scripted((_q, method) =>
      method === 'GET'
        ? { status: 200, body: { data: [] } }
        : { status: 201, body: { tokenValue: 'v-123456', tokenInfo: { tokenId: 'i-1', createdAt: new Date(serverNow).toISOString(), expiredAt: new Date(serverNow + 3_600_000).toISOString() } } },
    );
    const issued = await providerFor(stub).issue({ lifetimeSeconds: 3600, purpose: PURPOSE });
    expect(issued.expiresAt!.getTime() - issued.issuedAt.getTime()).toBe(3_600_000);
    expect(Math.abs(issued.expiresAt!.getTime() - (Date.now() + 3_600_000))).toBeLessThan(1_000);
  });

  it('no createdAt: issuedAt is our clock', async () => {
    const stub = await scripted((_q, method) =>
      method === 'GET' ? { status: 200, body: { data: [] } } : { status: 201, body: { tokenValue: 'v-123456', tokenInfo: { tokenId: 'i-1', expiredAt: null } } },
    );
    const before = Date.now();
    const issued = await providerFor(stub).issue({ purpose: PURPOSE });
    expect(issued.expiresAt).toBeNull();
    expect(issued.issuedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(issued.issuedAt.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('an expiredAt that is not a date => TransportError malformed', async () => {
    const stub = await scripted(() => ({ status: 201, body: { tokenValue: 'v-123456', tokenInfo: { tokenId: 'i-1', expiredAt: 'soon' } } }));
    const e = (await rejection(clientFor(stub).createToken(60, 'd'))) as TransportError;
    expect(e.reason).toBe('malformed');
  });
});
