/**
 * The fake's unkind defaults (each one a case a client used to be spared) and every UNCONFIRMED
 * variant of them, exercised with plain fetch.
 */
import { describe, expect, it } from 'vitest';
import { parseTigerGraphVersion } from '../../../core/providers/tigergraph/index.js';
import { startFakeTigerGraph } from '../../../local/fakes/tigergraph/index.js';
import { basic, call } from '../../helpers/fakes.js';
import { FrozenClock, SECRET, USERS, useFakes } from './helpers.js';

const start = useFakes();

const GSQL_SECRET = basic('__GSQL__secret', SECRET);

const json = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({ method, body: JSON.stringify(body), headers });
const payloadOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('4.x JWTs carry no unique claim', () => {
  const mint = async (url: string, body: Record<string, unknown>, auth?: string) =>
    (await call(`${url}/gsql/v1/tokens`, json('POST', body, auth ? { authorization: auth } : {}))).body?.token as string;

  it('two tokens minted in the same second for the same user, graph and lifetime are byte-identical', async () => {
    const fake = await start({ version: 4, clock: new FrozenClock(), graphs: ['G', 'H'] });
    const a = await mint(fake.url, { secret: SECRET, graph: 'G', lifetime: 600 });
    const b = await mint(fake.url, { secret: SECRET, graph: 'G', lifetime: 600 });
    expect(b).toBe(a);
    expect(Object.keys(payloadOf(a)).sort()).toEqual(['exp', 'graph', 'iat', 'iss', 'sub']);
    expect(fake.minted).toBe(2);
    // Any claim that differs makes a different token: lifetime, graph, user, second.
    expect(await mint(fake.url, { secret: SECRET, graph: 'G', lifetime: 599 })).not.toBe(a);
    expect(await mint(fake.url, { secret: SECRET, graph: 'H', lifetime: 600 })).not.toBe(a);
    expect(await mint(fake.url, { graph: 'G', lifetime: 600 }, basic('alice', USERS.alice))).not.toBe(a);
    fake.clock.advance(1);
    expect(await mint(fake.url, { secret: SECRET, graph: 'G', lifetime: 600 })).not.toBe(a);
  });

  it('uniqueClaim: true adds a random jti, so same-second tokens differ', async () => {
    const fake = await start({ version: 4, clock: new FrozenClock(), quirks: { uniqueClaim: true } });
    const a = await mint(fake.url, { secret: SECRET, lifetime: 600 });
    const b = await mint(fake.url, { secret: SECRET, lifetime: 600 });
    expect(b).not.toBe(a);
    expect(payloadOf(a).jti).toMatch(/^[0-9a-f]{16}$/);
    expect(fake.liveTokens().sort()).toEqual([a, b].sort());
  });
});

describe('3.x PUT/DELETE /requesttoken with a refused credential', () => {
  describe.each([
    { refusal: undefined, invalidTokenStatus: undefined, code: 'REST-10016', status: 401 },
    { refusal: 'invalid-token' as const, invalidTokenStatus: 403 as const, code: 'REST-10016', status: 403 },
    { refusal: 'wrong-secret' as const, invalidTokenStatus: undefined, code: 'REST-10002', status: 401 },
  ])('tokenOpCredentialRefusal $refusal (invalidTokenStatus $invalidTokenStatus)', ({ refusal, invalidTokenStatus, code, status }) => {
    type Request = (token: string) => { body: Record<string, unknown>; headers?: Record<string, string> };
    it.each<[string, Request]>([
      ['a wrong secret', (token: string) => ({ body: { secret: 'not-the-secret-123', token } })],
      ['a wrong password', (token: string) => ({ body: { token }, headers: { authorization: basic('alice', 'wrong-password') } })],
    ])('%s: the answer on PUT and DELETE; POST keeps the distinct REST-10002', async (_what, request) => {
      const fake = await start({ version: 3, quirks: { ...(refusal ? { tokenOpCredentialRefusal: refusal } : {}), ...(invalidTokenStatus ? { invalidTokenStatus } : {}) } });
      const token = (await call(`${fake.url}/requesttoken`, json('POST', { secret: SECRET }))).body?.token as string;
      for (const method of ['PUT', 'DELETE']) {
        const { body, headers } = request(token);
        const r = await call(`${fake.url}/requesttoken`, json(method, body, headers));
        expect([r.status, r.body?.code, r.body?.error]).toEqual([status, code, true]);
        // The default is byte for byte what an unknown token gets: the token is quoted back.
        if (code === 'REST-10016') expect(r.body?.message).toBe(`Access Denied because the input token = '${token}' is invalid.`);
      }
      expect(fake.isLive(token)).toBe(true);
      const post = await call(`${fake.url}/requesttoken`, json('POST', { secret: 'not-the-secret-123' }));
      expect([post.status, post.body?.code]).toEqual([401, 'REST-10002']);
    });
  });
});

describe('REST++ only where the layout puts it', () => {
  const echo = (url: string, token: string) => call(url, { headers: { authorization: `Bearer ${token}` } });

  it.each([
    { layout: 'root' as const, root: true, restpp: false },
    { layout: 'restpp' as const, root: false, restpp: true },
    { layout: 'both' as const, root: true, restpp: true },
  ])('3.x restppLayout $layout: root $root, /restpp $restpp', async ({ layout, root, restpp }) => {
    const fake = await start({ version: 3, restppLayout: layout });
    const base = restpp ? `${fake.url}/restpp` : fake.url;
    const token = (await call(`${base}/requesttoken`, json('POST', { secret: SECRET }))).body?.token as string;
    expect(fake.isLive(token)).toBe(true);
    const atRoot = await echo(`${fake.url}/echo`, token);
    const underRestpp = await echo(`${fake.url}/restpp/echo`, token);
    expect(atRoot.status).toBe(root ? 200 : 404);
    expect(underRestpp.status).toBe(restpp ? 200 : 404);
    // Off the layout: nginx's HTML 404 on an nginx-only port; REST++ itself names an unknown path.
    if (!root) expect([atRoot.body, atRoot.text]).toEqual([undefined, expect.stringContaining('nginx')]);
    if (!restpp) expect(underRestpp.body).toMatchObject({ code: 'REST-1000', message: expect.stringContaining('url = /restpp/echo,') });
    expect((await call(`${fake.url}/gsql/v1/version`)).status).toBe(404);
  });

  it('4.x serves REST++ under /restpp only, and refuses another layout', async () => {
    const fake = await start({ version: 4 });
    expect((await call(`${fake.url}/version`)).status).toBe(404);
    expect((await call(`${fake.url}/restpp/version`)).status).toBe(200);
    await expect(startFakeTigerGraph({ version: 4, restppLayout: 'root' })).rejects.toThrow(/restpp only/);
  });
});

/** pyTigerGraph's getVersion(): every line after the third, split on whitespace, fields 0 to 5 (the last line is skipped). */
function pyTigerGraphGetVersion(message: string): Array<{ name: string; version: string; hash: string; datetime: string }> {
  const lines = message.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    if (i > 2 && i < lines.length - 1) {
      const m = lines[i]!.trim().split(/\s+/);
      if (m.length < 6) throw new Error(`component line ${i} has ${m.length} fields: IndexError in pyTigerGraph`);
      out.push({ name: m[0]!, version: m[1]!, hash: m[2]!, datetime: `${m[3]} ${m[4]} ${m[5]}` });
    }
  }
  return out;
}

/** pyTigerGraph's getVer(): the component's version, X.Y.Z taken from between its underscores. */
function pyTigerGraphGetVer(message: string, component = 'product'): string {
  const v = pyTigerGraphGetVersion(message).find((c) => c.name === component)?.version;
  if (!v) throw new Error(`"${component}" is not a valid component.`);
  return /_.+_/.exec(v)![0].replace(/^_+|_+$/g, '');
}

describe('/version answers the real message shape', () => {
  it.each([
    { version: 3 as const, layout: 'root' as const, prefix: '', versionString: undefined, expected: '3.10.1' },
    { version: 3 as const, layout: 'restpp' as const, prefix: '/restpp', versionString: '3.9.3', expected: '3.9.3' },
    { version: 4 as const, layout: undefined, prefix: '/restpp', versionString: undefined, expected: '4.1.2' },
  ])('$version.x ($layout): pyTigerGraph getVersion()/getVer() parse it, on /version and /version/<graph>', async ({ version, layout, prefix, versionString, expected }) => {
    const fake = await start({ version, ...(layout ? { restppLayout: layout } : {}), quirks: versionString ? { versionString } : {} });
    for (const path of ['/version', '/version/MyGraph']) {
      const r = await call(`${fake.url}${prefix}${path}`);
      const message = r.body?.message as string;
      const lines = message.split('\n');
      expect(lines.slice(0, 3)).toEqual(['TigerGraph RESTPP:', ' --- Version ---', `TigerGraph version: ${expected}`]);
      expect(message.endsWith('\n')).toBe(true);
      const components = pyTigerGraphGetVersion(message);
      expect(components.map((c) => c.name)).toEqual(expect.arrayContaining(['product', 'gle', 'gpe', 'gse', 'restpp', 'gsql']));
      for (const c of components) {
        expect(c.hash).toMatch(/^[0-9a-f]{40}$/);
        expect(c.datetime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}$/);
      }
      expect(pyTigerGraphGetVer(message)).toBe(expected);
      expect(pyTigerGraphGetVer(message, 'gpe')).toBe(expected);
      expect(parseTigerGraphVersion(r.text)).toBe(expected);
    }
    expect(fake.stats().version).toBe(2);
  });
});

describe('4.x block lists: per user, bounded, UNCONFIRMED when full', () => {
  /** Distinct tokens (distinct lifetimes), so same-second minting cannot make two equal. */
  async function mintMany(url: string, n: number, lifetime = 1_000): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push((await call(`${url}/gsql/v1/tokens`, json('POST', { secret: SECRET, lifetime: lifetime + i }))).body?.token as string);
    return out;
  }
  const block = (url: string, tokens: string, auth = GSQL_SECRET) => call(`${url}/gsql/v1/tokens`, json('DELETE', { tokens }, { authorization: auth }));

  it('holds 20 entries by default; the 21st pushes out the oldest, which works again (drop-oldest, the default)', async () => {
    const fake = await start({ version: 4 });
    const tokens = await mintMany(fake.url, 21);
    for (const t of tokens) expect((await block(fake.url, t)).status).toBe(200);
    expect(fake.isLive(tokens[0]!)).toBe(true); // a revoke silently undone: the answer was 200
    expect(tokens.slice(1).some((t) => fake.isLive(t))).toBe(false);
  });

  describe.each([
    { whenFull: 'refuse' as const, full: undefined, status: 400, message: 'Failed to drop the JWT tokens: the number of dropped tokens has reached the limit of 3 (GSQL.Token.DropLimit).' },
    { whenFull: 'refuse' as const, full: { status: 409, message: 'Token block list full ({limit})' }, status: 409, message: 'Token block list full (3)' },
    { whenFull: 'refuse' as const, full: { status: 200, message: 'Drop limit reached' }, status: 200, message: 'Drop limit reached' },
    { whenFull: 'drop-oldest' as const, full: undefined, status: 200, message: undefined },
  ])('capacity 3, when full: $whenFull ($status)', ({ whenFull, full, status, message }) => {
    it('the 4th token is refused with the configured answer, or evicts the oldest', async () => {
      const fake = await start({ version: 4, quirks: { blockListCapacity: 3, blockListWhenFull: whenFull, ...(full ? { blockListFull: full } : {}) } });
      const [t1, t2, t3, t4] = await mintMany(fake.url, 4);
      for (const t of [t1!, t2!, t3!]) expect((await block(fake.url, t)).body?.error).toBe(false);
      expect((await block(fake.url, t1!)).body?.error).toBe(false); // already listed: no new entry
      const r = await block(fake.url, t4!);
      expect(r.status).toBe(status);
      if (whenFull === 'refuse') {
        expect(r.body).toEqual({ error: true, message });
        expect([t1, t2, t3, t4].map((t) => fake.isLive(t!))).toEqual([false, false, false, true]);
      } else {
        expect([t1, t2, t3, t4].map((t) => fake.isLive(t!))).toEqual([true, false, false, false]);
      }
    });

    it("lists are per user: one user's full list does not touch another's, and ?clear=true clears only one's own", async () => {
      const fake = await start({ version: 4, quirks: { blockListCapacity: 3, blockListWhenFull: whenFull } });
      const tokens = await mintMany(fake.url, 5);
      for (const t of tokens.slice(0, 3)) await block(fake.url, t, basic('alice', USERS.alice));
      expect((await block(fake.url, tokens[3]!)).body?.error).toBe(false); // tigergraph's list is empty
      await call(`${fake.url}/gsql/v1/tokens?clear=true`, json('DELETE', {}, { authorization: GSQL_SECRET }));
      expect(tokens.slice(0, 4).map((t) => fake.isLive(t))).toEqual([false, false, false, true]);
    });
  });

  it.each([
    { dropsExpired: true, refused: false },
    { dropsExpired: false, refused: true },
  ])('blockListDropsExpired $dropsExpired: an expired entry frees room = $dropsExpired', async ({ dropsExpired, refused }) => {
    const fake = await start({ version: 4, quirks: { blockListCapacity: 2, blockListWhenFull: 'refuse', blockListDropsExpired: dropsExpired } });
    const [short] = await mintMany(fake.url, 1, 10);
    const [a, b] = await mintMany(fake.url, 2, 5_000);
    await block(fake.url, short!);
    await block(fake.url, a!);
    fake.clock.advance(11);
    expect((await block(fake.url, b!)).body?.error).toBe(refused);
    expect(fake.isLive(b!)).toBe(refused);
  });

  it('capacity is 1 to 50 (GSQL.Token.DropLimit); the per-call bound is separate', async () => {
    await expect(startFakeTigerGraph({ version: 4, quirks: { blockListCapacity: 51 } })).rejects.toThrow(RangeError);
    await expect(startFakeTigerGraph({ version: 4, quirks: { blockListCapacity: 0 } })).rejects.toThrow(RangeError);
    const fake = await start({ version: 4, quirks: { blockListCapacity: 50, blockListLimit: 2 } });
    const tokens = await mintMany(fake.url, 3);
    const r = await block(fake.url, tokens.join(','));
    expect([r.status, r.body?.message]).toEqual([400, 'At most 2 tokens can be dropped at once.']);
    expect(tokens.every((t) => fake.isLive(t))).toBe(true);
  });
});
