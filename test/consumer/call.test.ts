/**
 * isAuthRefusal per provider, withToken's one-re-read-one-retry rule, and tokenFetch (base URL,
 * headers, replayable bodies, same-host rule), all without a network: a fake Secrets Manager
 * client and fake fetch functions.
 */
import { describe, expect, it } from 'vitest';
import {
  createTokenSource,
  isAuthRefusal,
  isAuthRefusalError,
  tokenFetch,
  TokenRefusedError,
  withToken,
  type FetchLike,
  type ProviderName,
} from '../../consumer/index.js';
import { allText, FakeSecrets, fakeNow, secretJson, TOKEN } from './helpers.js';

const SECRET_ID = 'app/token';
const NEW_TOKEN = 'tok-NEW-VALUE-1111111111111111111111';

const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });

const refusal10016 = (status: number, token = TOKEN) =>
  json(status, { error: true, code: 'REST-10016', message: `Access Denied because the input token = '${token}' is invalid.` });

describe('isAuthRefusal', () => {
  it.each<[ProviderName, number, unknown, boolean]>([
    ['tigergraph', 401, { code: 'REST-10016' }, true],
    ['tigergraph', 403, { code: 'REST-10016' }, true],
    ['tigergraph', 400, { error: true, code: 'REST-10019', message: 'token expired' }, true],
    ['tigergraph', 500, { error: true, code: 'REST-10016' }, true],
    ['tigergraph', 404, { error: true, code: 'REST-1000', message: 'Endpoint is not found' }, false],
    ['tigergraph', 400, { error: true, code: 'REST-30000' }, false],
    ['tigergraph', 200, { error: false, code: 'REST-10016' }, false],
    ['tigergraph', 500, 'Internal server error', false],
    ['trifacta', 401, { exception: { name: 'UnauthorizedException' } }, true],
    ['trifacta', 403, { exception: { name: 'AccessControlException' } }, true],
    ['trifacta', 404, { exception: { name: 'DataNotFoundException' } }, false],
    ['ica', 401, { type: 'about:blank', title: 'Unauthorized', status: 401 }, true],
    ['ica', 403, { type: 'about:blank', title: 'Forbidden', status: 403 }, false],
    ['ica', 406, { type: 'about:blank', title: 'Not Acceptable', status: 406 }, false],
  ])('%s %i %j -> %s', async (provider, status, body, expected) => {
    expect(await isAuthRefusal(json(status, body), provider)).toBe(expected);
  });

  it('reads a clone: the caller can still read the body', async () => {
    const response = json(400, { code: 'REST-10019' });
    expect(await isAuthRefusal(response)).toBe(true);
    expect(await response.json()).toEqual({ code: 'REST-10019' });
  });

  it('isAuthRefusalError reads the status of common client errors and the REST++ code of messages', () => {
    expect(isAuthRefusalError(Object.assign(new Error('x'), { status: 401 }), 'ica')).toBe(true);
    expect(isAuthRefusalError(Object.assign(new Error('x'), { statusCode: 403 }), 'trifacta')).toBe(true);
    expect(isAuthRefusalError(Object.assign(new Error('x'), { response: { status: 401 } }), 'tigergraph')).toBe(true);
    expect(isAuthRefusalError(new Error('REST-10019: token expired'), 'tigergraph')).toBe(true);
    expect(isAuthRefusalError(new Error('REST-10019'), 'ica')).toBe(false);
    expect(isAuthRefusalError(Object.assign(new Error('x'), { status: 403 }), 'ica')).toBe(false);
    expect(isAuthRefusalError(Object.assign(new Error('x'), { status: 500 }), 'tigergraph')).toBe(false);
    expect(isAuthRefusalError('401', 'tigergraph')).toBe(false);
  });
});

function rotatingSource(fields: Record<string, unknown> = {}) {
  const client = new FakeSecrets(secretJson(fields));
  // AWSPENDING (none here) read once after a refusal, not waited for: these tests count AWSCURRENT reads.
  const source = createTokenSource({ secretId: SECRET_ID, client, maxAgeMs: Infinity, pendingWaitMs: 0 });
  return { client, source };
}

describe('withToken', () => {
  it('a refusal re-reads AWSCURRENT once and retries once with the new token', async () => {
    const { client, source } = rotatingSource();
    await source.get();
    client.set(secretJson({ token: NEW_TOKEN }));
    const seen: string[] = [];
    const result = await withToken(source, async (info) => {
      seen.push(info.token);
      return info.token === NEW_TOKEN ? json(200, { ok: true }) : refusal10016(401);
    });
    expect(result.status).toBe(200);
    expect(seen).toEqual([TOKEN, NEW_TOKEN]);
    expect(client.calls).toBe(2);
    expect(source.stats().refreshes).toBe(1);
  });

  it('a second refusal throws TokenRefusedError saying what to check, never the token, after exactly two attempts', async () => {
    const { client, source } = rotatingSource({ graph: 'social' });
    let attempts = 0;
    const error = await withToken(source, async (info) => {
      attempts++;
      return refusal10016(403, info.token);
    }).catch((e: unknown) => e);
    expect(attempts).toBe(2);
    expect(client.currentReads).toBe(2);
    expect(error).toBeInstanceOf(TokenRefusedError);
    expect(error).toMatchObject({ code: 'TOKEN_REFUSED', secretId: SECRET_ID, provider: 'tigergraph', status: 403, sameVersion: true });
    const message = (error as Error).message;
    expect(message).toContain(SECRET_ID);
    expect(message).toContain('re-reading AWSCURRENT');
    expect(message).toContain('no rotation has replaced the refused token');
    expect(message).toContain('REST++');
    expect(message).toContain('graph "social"');
    expect(message).toContain('tg-token-rotation:last-rotation-error');
    expect(message).toContain("rotation function's logs");
    expect(allText(error)).not.toContain(TOKEN);
  });

  it('a thrown refusal (an HTTP client error carrying the token) is retried; the final error does not carry it', async () => {
    const { source } = rotatingSource({ provider: 'ica', host: 'https://ica.example.com' });
    let attempts = 0;
    const error = await withToken(source, async (info) => {
      attempts++;
      throw Object.assign(new Error(`401 Unauthorized: JWT ${info.token} is expired`), { status: 401 });
    }).catch((e: unknown) => e);
    expect(attempts).toBe(2);
    expect(error).toBeInstanceOf(TokenRefusedError);
    expect((error as Error).message).toContain('ICA portal');
    expect(allText(error)).not.toContain(TOKEN);
    expect((error as Error).cause).toBeUndefined();
  });

  it('other failures are not retried and reach the caller as they are', async () => {
    const { client, source } = rotatingSource();
    let attempts = 0;
    const boom = Object.assign(new Error('server down'), { status: 503 });
    await expect(
      withToken(source, async () => {
        attempts++;
        throw boom;
      }),
    ).rejects.toBe(boom);
    const notFound = await withToken(source, async () => json(404, { code: 'REST-1000' }));
    expect(notFound.status).toBe(404);
    expect(attempts).toBe(1);
    expect(client.calls).toBe(1);
  });

  it('a custom classifier for non-fetch clients', async () => {
    const { client, source } = rotatingSource();
    await source.get();
    client.set(secretJson({ token: NEW_TOKEN }));
    const result = await withToken(source, async (info) => ({ ok: info.token === NEW_TOKEN }), { isRefusal: (r) => !r.ok });
    expect(result).toEqual({ ok: true });
  });

  it('rereadDelayMs: the one re-read waits, so a token write under way (ICA password refresh) lands first', async () => {
    const attemptWith = async (rereadDelayMs: number | undefined) => {
      const { client, source } = rotatingSource({ provider: 'ica', host: 'https://ica.example.com' });
      await source.get();
      // The old JWT is already dead at ICA; the product stores the new one 30 ms later.
      setTimeout(() => client.set(secretJson({ provider: 'ica', host: 'https://ica.example.com', token: NEW_TOKEN })), 30);
      let attempts = 0;
      const outcome = await withToken(
        source,
        async (info) => {
          attempts++;
          return info.token === NEW_TOKEN ? json(200, {}) : json(401, { status: 401 });
        },
        rereadDelayMs === undefined ? {} : { rereadDelayMs },
      ).then(
        (r) => r.status,
        (e: unknown) => (e as Error).name,
      );
      return { outcome, attempts, reads: client.currentReads };
    };
    expect(await attemptWith(undefined)).toEqual({ outcome: 'TokenRefusedError', attempts: 2, reads: 2 });
    expect(await attemptWith(200)).toEqual({ outcome: 200, attempts: 2, reads: 2 });
  });

  it('during the refusal back-off a refused call is sent once, not re-read, not retried: TokenRefusedError (backedOff)', async () => {
    const clock = fakeNow();
    const client = new FakeSecrets(secretJson());
    const source = createTokenSource({ secretId: SECRET_ID, client, now: clock.now, pendingWaitMs: 0 });
    let attempts = 0;
    const refuse = async () => {
      attempts++;
      return refusal10016(401);
    };
    const first = await withToken(source, refuse).catch((e: unknown) => e);
    expect(first).toMatchObject({ code: 'TOKEN_REFUSED', sameVersion: true, backedOff: false });
    expect([attempts, client.currentReads]).toEqual([2, 2]);
    const again = await withToken(source, refuse).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(TokenRefusedError);
    expect(again).toMatchObject({ code: 'TOKEN_REFUSED', sameVersion: true, backedOff: true, status: 401, versionId: 'v1' });
    expect((again as Error).message).toMatch(/not re-read again until the back-off ends \(refusalBackoffMs\)/);
    expect(allText(again)).not.toContain(TOKEN);
    expect([attempts, client.currentReads]).toEqual([3, 2]);
  });

  it('concurrent refused calls share one re-read', async () => {
    const { client, source } = rotatingSource();
    await source.get();
    client.set(secretJson({ token: NEW_TOKEN }));
    const results = await Promise.all(
      Array.from({ length: 10 }, () => withToken(source, async (info) => (info.token === NEW_TOKEN ? json(200, {}) : json(401, {})))),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(client.calls).toBe(2);
  });
});

describe('tokenFetch', () => {
  function recorder(answer: (url: string, init: RequestInit, n: number) => Response) {
    const calls: Array<{ url: string; init: RequestInit; headers: Headers; body: unknown }> = [];
    const fetch: FetchLike = async (url, init = {}) => {
      calls.push({ url, init, headers: new Headers(init.headers), body: init.body });
      return answer(url, init, calls.length);
    };
    return { calls, fetch };
  }

  it('resolves paths under the base URL and sets the Bearer header, keeping the caller headers', async () => {
    const { source } = rotatingSource({ providerVersion: '4' });
    const { calls, fetch } = recorder(() => json(200, { message: 'Hello GSQL' }));
    const tg = tokenFetch(source, { fetch });
    await tg('/echo', { headers: { 'x-trace': '1' } });
    await tg('query/g/q?x=1');
    await tg('https://tg.example.com:14240/restpp/endpoints');
    await tg('//tg.example.com:14240/restpp/version');
    expect(calls.map((c) => c.url)).toEqual([
      'https://tg.example.com:14240/restpp/echo',
      'https://tg.example.com:14240/restpp/query/g/q?x=1',
      'https://tg.example.com:14240/restpp/endpoints',
      'https://tg.example.com:14240/restpp/version',
    ]);
    expect(calls[0]!.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
    expect(calls[0]!.headers.get('x-trace')).toBe('1');
  });

  it('ICA: adds the Accept header the API wants unless the caller set one', async () => {
    const { source } = rotatingSource({ provider: 'ica', host: 'https://ica.example.com' });
    const { calls, fetch } = recorder(() => json(200, { items: [] }));
    const ica = tokenFetch(source, { fetch });
    await ica('/api/regions');
    await ica('/api/projects', { headers: { Accept: 'application/json' } });
    expect(calls[0]!.url).toBe('https://ica.example.com/ica/rest/api/regions');
    expect(calls[0]!.headers.get('accept')).toBe('application/problem+json, application/vnd.illumina.v3+json');
    expect(calls[1]!.headers.get('accept')).toBe('application/json');
  });

  it('refuses to send the token to another host', async () => {
    const { source } = rotatingSource();
    const { calls, fetch } = recorder(() => json(200, {}));
    const tg = tokenFetch(source, { fetch });
    await expect(tg('https://evil.example.com/echo?token=x')).rejects.toThrow(/not under https:\/\/tg\.example\.com:9000/);
    await expect(tg('https://tg.example.com:9000.evil.com/echo')).rejects.toThrow(TypeError);
    await expect(tg('//evil.example.com/echo')).rejects.toThrow(TypeError);
    expect(calls).toHaveLength(0);
  });

  it('re-sends a string body unchanged after a refusal, with the new token', async () => {
    const { client, source } = rotatingSource({ provider: 'trifacta', host: 'https://trifacta.example.com' });
    await source.get();
    client.set(secretJson({ provider: 'trifacta', host: 'https://trifacta.example.com', token: NEW_TOKEN }));
    const { calls, fetch } = recorder((_u, _i, n) => (n === 1 ? json(403, { exception: { name: 'UnauthorizedException' } }) : json(201, {})));
    const res = await tokenFetch(source, { fetch })('/jobGroups', { method: 'POST', body: '{"wrangledDataset":{"id":1}}' });
    expect(res.status).toBe(201);
    expect(calls.map((c) => [c.url, c.headers.get('authorization'), c.body])).toEqual([
      ['https://trifacta.example.com/v4/jobGroups', `Bearer ${TOKEN}`, '{"wrangledDataset":{"id":1}}'],
      ['https://trifacta.example.com/v4/jobGroups', `Bearer ${NEW_TOKEN}`, '{"wrangledDataset":{"id":1}}'],
    ]);
  });

  it('accepts replayable bodies and refuses streams before sending anything', async () => {
    const { source } = rotatingSource();
    const { calls, fetch } = recorder(() => json(200, {}));
    const tg = tokenFetch(source, { fetch });
    for (const body of ['x', Buffer.from('x'), new Uint8Array([1]), new URLSearchParams({ a: '1' }), new Blob(['x']), new FormData()]) {
      await tg('/echo', { method: 'POST', body });
    }
    expect(calls).toHaveLength(6);
    const stream = new ReadableStream({ start: (c) => c.close() });
    await expect(tg('/echo', { method: 'POST', body: stream, duplex: 'half' } as RequestInit)).rejects.toThrow(/stream body cannot be sent again/);
    expect(calls).toHaveLength(6);
  });

  it('a second refusal throws TokenRefusedError and releases both refused answers', async () => {
    const { source } = rotatingSource();
    const answers: Response[] = [];
    const fetch: FetchLike = async () => {
      const r = refusal10016(401);
      answers.push(r);
      return r;
    };
    const error = await tokenFetch(source, { fetch })('/echo').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRefusedError);
    expect(allText(error)).not.toContain(TOKEN);
    expect(answers).toHaveLength(2);
  });
});
