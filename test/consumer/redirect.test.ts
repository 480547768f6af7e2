/**
 * tokenFetch and redirects (issue 21): the token never reaches another origin, nor a path outside
 * the base URL. Two servers on 127.0.0.1: the token API (a Trifacta-shaped base URL, /v4) that
 * redirects, and an attacker on another port that counts every request carrying the token, in a
 * header, the URL or the body. Each case runs with Node's own fetch and with a careless fetch
 * that follows redirects keeping every header (as older undici versions and other clients do): the
 * attacker's count must be 0 with both.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTokenSource, MAX_REDIRECTS, RedirectRefusedError, tokenFetch, type FetchLike } from '../../consumer/index.js';
import { allText, FakeSecrets, secretJson, TOKEN } from './helpers.js';

interface Received {
  method: string;
  url: string;
  headers: string;
  body: string;
}

interface Recorder {
  server: Server;
  url: string;
  received: Received[];
}

async function listen(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<Recorder> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.rawHeaders.join('\n'), body });
      handle(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const close = (r: Recorder | undefined) =>
  new Promise<void>((resolve) => {
    if (!r) return resolve();
    r.server.closeAllConnections();
    r.server.close(() => resolve());
  });

/** Requests that carry the token anywhere: a header (Authorization or any other), the URL or the body. */
const carryingToken = (r: Recorder) => r.received.filter((q) => [q.url, q.headers, q.body].some((text) => text.includes(TOKEN)));

let api: Recorder;
let attacker: Recorder;

beforeAll(async () => {
  attacker = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"stolen":true}');
  });
  // /v4/to/<status>/<where>: answers <status> with Location <where> (URL-decoded); /v4/ok: 200 with the method and body seen.
  api = await listen((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://api');
    const redirect = /^\/v4\/to\/(\d{3})\/(.+)$/.exec(url.pathname);
    if (redirect) {
      res.writeHead(Number(redirect[1]), { location: decodeURIComponent(redirect[2]!) }).end();
    } else if (url.pathname === '/v4/loop') {
      res.writeHead(302, { location: '/v4/loop' }).end();
    } else if (url.pathname === '/v4/ok') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization === `Bearer ${TOKEN}` }));
    } else {
      res.writeHead(404).end();
    }
  });
});
afterAll(async () => {
  await close(api);
  await close(attacker);
});
beforeEach(() => {
  api.received.length = 0;
  attacker.received.length = 0;
});

/** Follows every redirect itself, keeping all headers and the body: what a client without the fetch spec's rule does. */
const carelessFetch: FetchLike = async (input, init = {}) => {
  if (init.redirect === 'manual' || init.redirect === 'error') return globalThis.fetch(input, init);
  let current = input;
  for (let hops = 0; hops <= 20; hops++) {
    const res = await globalThis.fetch(current, { ...init, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status < 300 || res.status > 399 || location === null) return res;
    await res.arrayBuffer();
    current = new URL(location, current).href;
  }
  throw new TypeError('too many redirects');
};

const FETCHES: Array<[string, FetchLike | undefined]> = [
  ['Node fetch', undefined],
  ['a careless fetch', carelessFetch],
];

function client(fetch: FetchLike | undefined) {
  const secrets = new FakeSecrets(secretJson({ provider: 'trifacta', host: api.url, allowInsecureHttp: true }));
  const source = createTokenSource({ secretId: 'app/trifacta/token', client: secrets, allowInsecureHttp: true });
  return tokenFetch(source, fetch ? { fetch } : {});
}

/** The API path that answers `status` with Location `where`. */
const via = (status: number, where: string) => `/to/${status}/${encodeURIComponent(where)}`;

describe.each(FETCHES)('tokenFetch with %s', (_name, fetch) => {
  it.each([301, 302, 303, 307, 308])('a %i to another origin is not followed: RedirectRefusedError, and the attacker gets 0 requests with the token', async (status) => {
    const tf = client(fetch);
    const outcomes: unknown[] = [];
    for (const init of [undefined, { method: 'POST', body: '{"q":1}', headers: { 'content-type': 'application/json' } }]) {
      outcomes.push(await tf(via(status, `${attacker.url}/collect?from=api`), init).catch((e: unknown) => e));
    }
    expect(carryingToken(attacker)).toHaveLength(0);
    expect(attacker.received).toHaveLength(0);
    expect(api.received).toHaveLength(2); // the API was called, and redirected
    for (const error of outcomes) {
      expect(error).toBeInstanceOf(RedirectRefusedError);
      expect(error).toMatchObject({ code: 'REDIRECT_REFUSED', reason: 'elsewhere', redirectStatus: status, location: `${attacker.url}/collect`, baseUrl: `${api.url}/v4` });
      expect((error as Error).message).toContain(`not under ${api.url}/v4`);
      expect(allText(error)).not.toContain(TOKEN);
    }
  });

  it('refuses the other ways to leave: scheme-relative, another port on the same host, the same origin outside the base path, a chain that ends elsewhere', async () => {
    const tf = client(fetch);
    const attackerHostPort = attacker.url.replace('http:', '');
    const outcomes: unknown[] = [];
    for (const path of [
      via(302, `${attackerHostPort}/collect`),
      via(307, `${api.url}/admin`),
      via(302, '/v4/../admin'),
      via(301, `/v4${via(308, `${attacker.url}/collect`)}`),
    ]) {
      outcomes.push(await tf(path).catch((e: unknown) => e));
    }
    expect(carryingToken(attacker)).toHaveLength(0);
    expect(api.received.map((r) => r.url).filter((u) => u.startsWith('/admin'))).toEqual([]);
    for (const error of outcomes) expect(error).toMatchObject({ name: 'RedirectRefusedError', reason: 'elsewhere' });
  });

  it('follows redirects under the base URL with the token, as fetch would (307 keeps a POST and its body, 303 turns it into a GET)', async () => {
    const tf = client(fetch);
    const get = await tf(via(301, '/v4/ok'));
    expect(await get.json()).toEqual({ method: 'GET', body: '', auth: true });
    const kept = await tf(via(307, `${api.url}/v4/ok`), { method: 'POST', body: 'payload' });
    expect(await kept.json()).toEqual({ method: 'POST', body: 'payload', auth: true });
    const seeOther = await tf(via(303, '/v4/ok'), { method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } });
    expect(await seeOther.json()).toEqual({ method: 'GET', body: '', auth: true });
    expect(api.received.at(-1)!.headers.toLowerCase()).not.toContain('content-type');
    expect(carryingToken(attacker)).toHaveLength(0);
  });

  it(`stops after ${MAX_REDIRECTS} redirects under the base URL`, async () => {
    const tf = client(fetch);
    await expect(tf('/loop')).rejects.toMatchObject({ name: 'RedirectRefusedError', reason: 'too-many', redirectStatus: 302 });
    expect(api.received).toHaveLength(MAX_REDIRECTS + 1);
  });

  it("a caller's own redirect: 'manual' gets the redirect answer itself, unfollowed", async () => {
    const tf = client(fetch);
    const res = await tf(via(302, `${attacker.url}/collect`), { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${attacker.url}/collect`);
    expect(attacker.received).toHaveLength(0);
  });
});

describe('paths that would leave the base URL before any redirect', () => {
  it('are refused with a TypeError, nothing sent', async () => {
    const tf = client(undefined);
    for (const path of ['/../admin', '../admin', `${api.url}/v4/../admin`, `${api.url}/v4x/echo`, attacker.url]) {
      await expect(tf(path)).rejects.toThrow(TypeError);
    }
    expect(api.received).toHaveLength(0);
    expect(attacker.received).toHaveLength(0);
  });
});
