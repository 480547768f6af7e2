/** The fake itself: layout, wire shapes and quirks, exercised with plain fetch. */
import { describe, expect, it } from 'vitest';
import { basic, call } from '../../helpers/fakes.js';
import { SECRET, USERS, useFakes } from './helpers.js';

const start = useFakes();

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({ method: 'POST', body: JSON.stringify(body), headers });

describe('fake TigerGraph 3.x', () => {
  it('serves REST++ at the root by default, where /restpp/... is an unknown REST++ endpoint; /gsql/v1 is a plain 404', async () => {
    const fake = await start({ version: 3 });
    const before = Math.floor(fake.clock.now() / 1000);
    const a = await call(`${fake.url}/requesttoken`, post({ secret: SECRET, lifetime: '60' }));
    const after = Math.floor(fake.clock.now() / 1000);
    const b = await call(`${fake.url}/requesttoken`, post({ secret: SECRET, lifetime: 60 }));
    expect(a.body).toMatchObject({ code: 'REST-0000', error: false });
    expect(a.body?.token).toMatch(/^[a-z0-9]{32}$/);
    expect(b.body?.token).toMatch(/^[a-z0-9]{32}$/);
    // Whole seconds of the server clock at the request (a second may tick over meanwhile).
    expect(a.body?.expiration).toBeGreaterThanOrEqual(before + 60);
    expect(a.body?.expiration).toBeLessThanOrEqual(after + 60);
    expect(a.body?.message).toMatch(/^Generate new token successfully\.\nWarning/);
    // The REST++ process itself does not know /restpp: it names the whole path (layouts: fake-unkind.test.ts).
    const r = await call(`${fake.url}/restpp/requesttoken`, post({ secret: SECRET, lifetime: 60 }));
    expect([r.status, r.body?.code]).toEqual([404, 'REST-1000']);
    expect(r.body?.message).toContain('url = /restpp/requesttoken,');
    const g = await call(`${fake.url}/gsql/v1/tokens`, post({ secret: SECRET }));
    expect(g.status).toBe(404);
    expect(g.body).toBeUndefined();
    expect(fake.liveTokens().sort()).toEqual([a.body?.token, b.body?.token].sort());
    expect(fake.minted).toBe(2);
  });

  it('Basic auth nests the token in results and has no top-level token', async () => {
    const fake = await start({ version: 3 });
    const r = await call(`${fake.url}/requesttoken`, post({}, { authorization: basic('alice', USERS.alice) }));
    expect(r.body?.token).toBeUndefined();
    expect((r.body?.results as { token: string }).token).toMatch(/^[a-z0-9]{32}$/);
  });

  it('PUT/DELETE with only a query string answer REST-1101 with the configured status', async () => {
    const fake = await start({ version: 3, quirks: { queryStringStatus: 422 } });
    const r = await call(`${fake.url}/requesttoken?secret=${SECRET}&token=abc`, { method: 'DELETE' });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ error: true, code: 'REST-1101' });
    expect(r.body?.version).toEqual({ edition: 'enterprise', api: 'v2', schema: 0 });
  });

  it('legacyQueryString accepts pre-3.5 PUT/DELETE query strings', async () => {
    const fake = await start({ version: 3, quirks: { legacyQueryString: true, refreshReturnsLifetime: true } });
    const token = (await call(`${fake.url}/requesttoken`, post({ secret: SECRET }))).body?.token as string;
    const put = await call(`${fake.url}/requesttoken?secret=${SECRET}&token=${token}&lifetime=500`, { method: 'PUT' });
    expect(put.body).toMatchObject({ error: false, expiration: 500, token });
    const del = await call(`${fake.url}/requesttoken?secret=${SECRET}&token=${token}`, { method: 'DELETE' });
    expect(del.body).toMatchObject({ error: false, expiration: -1 });
    expect(fake.isLive(token)).toBe(false);
  });

  it('legacy GET /requesttoken?secret=&lifetime= still issues', async () => {
    const fake = await start({ version: 3 });
    const r = await call(`${fake.url}/requesttoken?secret=${SECRET}&lifetime=100`);
    expect(fake.isLive(r.body?.token as string)).toBe(true);
  });

  it('/echo refuses missing, unknown and expired tokens with REST-10016/REST-10019', async () => {
    const fake = await start({ version: 3, quirks: { invalidTokenStatus: 403 } });
    const { body } = await call(`${fake.url}/requesttoken`, post({ secret: SECRET, lifetime: 10 }));
    const token = body?.token as string;
    const ok = await call(`${fake.url}/echo`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.body).toEqual({ error: false, message: 'Hello GSQL' });
    const none = await call(`${fake.url}/echo`);
    expect([none.status, none.body?.code]).toEqual([403, 'REST-10016']);
    const unknown = await call(`${fake.url}/echo`, { headers: { authorization: `Bearer ${'b'.repeat(32)}` } });
    expect(unknown.body?.message).toContain(`input token = '${'b'.repeat(32)}' is invalid`);
    fake.clock.advance(11);
    const expired = await call(`${fake.url}/echo`, { headers: { authorization: `Bearer ${token}` } });
    expect([expired.status, expired.body?.code]).toEqual([401, 'REST-10019']);
    expect(fake.isLive(token)).toBe(false);
    expect(fake.liveTokens()).toEqual([]);
  });

  it('/version answers error "false" and the version line; REST-1000 for unknown endpoints', async () => {
    const fake = await start({ version: 3, quirks: { versionString: '3.9.3' } });
    const v = await call(`${fake.url}/version`);
    expect(v.body?.error).toBe('false');
    expect(v.body?.message).toContain('TigerGraph version: 3.9.3');
    const nf = await call(`${fake.url}/nope`);
    expect([nf.status, nf.body?.code]).toEqual([404, 'REST-1000']);
    expect(nf.body?.message).toBe('Endpoint is not found from url = /nope, please use GET /endpoints to list all valid endpoints.');
  });

  it('with authentication disabled: /requesttoken is REST-1000 404 and /echo needs no token', async () => {
    const fake = await start({ version: 3, authEnabled: false });
    const r = await call(`${fake.url}/requesttoken`, post({ secret: SECRET }));
    expect([r.status, r.body?.code]).toEqual([404, 'REST-1000']);
    expect((await call(`${fake.url}/echo`)).status).toBe(200);
  });

  it('counts requests per operation and resets', async () => {
    const fake = await start({ version: 3 });
    await call(`${fake.url}/requesttoken`, post({ secret: SECRET }));
    await call(`${fake.url}/requesttoken`, { method: 'PUT', body: '{}' });
    await call(`${fake.url}/echo`);
    await call(`${fake.url}/version`);
    expect(fake.stats()).toMatchObject({ request: 1, refresh: 1, echo: 1, version: 1, delete: 0, total: 4 });
    fake.resetStats();
    expect(fake.stats().total).toBe(0);
  });
});

describe('fake TigerGraph 4.x', () => {
  it('issues HS256 JWTs with iat/exp/iss/sub/graph and a Java Date expiration string in UTC', async () => {
    const fake = await start({ version: 4, graphs: ['G'] });
    const r = await call(`${fake.url}/gsql/v1/tokens`, post({ secret: SECRET, graph: 'G', lifetime: 1000 }, { 'content-type': 'application/json' }));
    expect(r.body).toMatchObject({ error: false, message: 'Generate new JWT token successfully.' });
    const [head, payload] = (r.body?.token as string).split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as unknown);
    expect(head).toEqual({ alg: 'HS256' });
    expect(payload).toMatchObject({ sub: 'tigergraph', iss: 'TigerGraph', graph: 'G' });
    const { iat, exp } = payload as { iat: number; exp: number };
    expect(exp - iat).toBe(1000);
    expect(r.body?.expiration).toMatch(/^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d UTC \d{4}$/);
    expect(new Date(String(r.body?.expiration).replace(' UTC', '') + ' UTC').getTime()).toBe(exp * 1000);
  });

  it('REST++ lives under /restpp only; /requesttoken is REST-1000 404 unless the quirk enables it', async () => {
    const fake = await start({ version: 4 });
    expect((await call(`${fake.url}/echo`)).status).toBe(404);
    const r = await call(`${fake.url}/restpp/requesttoken`, post({ secret: SECRET }));
    expect([r.status, r.body?.code]).toEqual([404, 'REST-1000']);
    fake.setQuirks({ requestTokenOn4x: true });
    const ok = await call(`${fake.url}/restpp/requesttoken`, post({ secret: SECRET }));
    expect(ok.status).toBe(200);
  });

  it('block-list DELETE: Basic auth required, comma-separated string, limit, ?clear=true', async () => {
    const fake = await start({ version: 4, quirks: { blockListLimit: 3 } });
    const mint = async () => (await call(`${fake.url}/gsql/v1/tokens`, post({ secret: SECRET }))).body?.token as string;
    const [t1, t2] = [await mint(), await mint()];
    const del = (body: unknown, auth?: string, q = '') =>
      call(`${fake.url}/gsql/v1/tokens${q}`, { method: 'DELETE', body: JSON.stringify(body), headers: auth ? { authorization: auth } : {} });
    expect((await del({ tokens: t1 })).status).toBe(401);
    expect((await del({ tokens: 'a,b,c,d' }, basic('__GSQL__secret', SECRET))).status).toBe(400);
    expect((await del({ tokens: [t1] }, basic('__GSQL__secret', SECRET))).status).toBe(400);
    const ok = await del({ tokens: `${t1}, ${t2}` }, basic('tigergraph', USERS.tigergraph));
    expect(ok.body).toEqual({ error: false, message: 'Successfully dropped the specified JWT tokens' });
    expect([fake.isLive(t1), fake.isLive(t2)]).toEqual([false, false]);
    await del({}, basic('__GSQL__secret', SECRET), '?clear=true');
    expect([fake.isLive(t1), fake.isLive(t2)]).toEqual([true, true]);
  });

  it('/gsql/v1/tokens/check verifies signature, expiry and block-list', async () => {
    const fake = await start({ version: 4 });
    const token = (await call(`${fake.url}/gsql/v1/tokens`, post({ secret: SECRET, lifetime: 5 }))).body?.token as string;
    const check = (t: string) => call(`${fake.url}/gsql/v1/tokens/check`, post({ token: t }));
    expect((await check(token)).body?.error).toBe(false);
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.AAAA`;
    expect((await check(forged)).status).toBe(401);
    fake.clock.advance(6);
    expect((await check(token)).status).toBe(401);
  });

  it('POST /gsql/v1/tokens without any credential is 401 and mints nothing; lifetime in ms with the quirk', async () => {
    const fake = await start({ version: 4, quirks: { lifetimeUnit: 'milliseconds' } });
    expect((await call(`${fake.url}/gsql/v1/tokens`, post({}))).status).toBe(401);
    expect(fake.minted).toBe(0);
    const r = await call(`${fake.url}/gsql/v1/tokens`, post({ lifetime: 60_000 }, { authorization: basic('alice', USERS.alice) }));
    const { iat, exp, sub } = JSON.parse(Buffer.from((r.body?.token as string).split('.')[1]!, 'base64url').toString()) as Record<string, number | string>;
    expect(Number(exp) - Number(iat)).toBe(60);
    expect(sub).toBe('alice');
  });

  it('/gsql/v1/version needs a GSQL login', async () => {
    const fake = await start({ version: 4 });
    expect((await call(`${fake.url}/gsql/v1/version`)).status).toBe(401);
    const ok = await call(`${fake.url}/gsql/v1/version`, { headers: { authorization: basic('__GSQL__secret', SECRET) } });
    expect(ok.body?.message).toContain('4.1.2');
  });
});

describe('fake faults', () => {
  it('seeded rates are reproducible', async () => {
    const outcomes: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const fake = await start({ version: 3, faults: { errorRate: 0.5, seed: 42 } });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await call(`${fake.url}/version`)).status);
      outcomes.push(statuses);
      await fake.close();
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
    expect(outcomes[0]).toContain(500);
    expect(outcomes[0]).toContain(200);
  });

  it('ops limits faults to the listed operations; setFaults replaces the plan', async () => {
    const fake = await start({ version: 3, faults: { failNext: 1, ops: ['request'] } });
    expect((await call(`${fake.url}/version`)).status).toBe(200);
    expect((await call(`${fake.url}/requesttoken`, post({ secret: SECRET }))).status).toBe(500);
    expect((await call(`${fake.url}/requesttoken`, post({ secret: SECRET }))).status).toBe(200);
    fake.setFaults({ malformedNext: 1 });
    const m = await call(`${fake.url}/version`);
    expect([m.status, m.body]).toEqual([200, undefined]);
  });

  it('drops connections without an answer', async () => {
    const fake = await start({ version: 4, faults: { dropNext: 1 } });
    await expect(fetch(`${fake.url}/restpp/version`)).rejects.toThrow();
    expect((await call(`${fake.url}/restpp/version`)).status).toBe(200);
  });
});
