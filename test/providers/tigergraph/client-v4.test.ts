import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BadCredentialError, HttpError, RefreshUnsupportedError, TokenNotFoundError } from '../../../core/errors.js';
import { decodeTigerGraphClaims, TigerGraphClient } from '../../../core/providers/tigergraph/index.js';
import { connFor, FAST, rejection, SECRET, USERS, useFakes } from './helpers.js';

const start = useFakes();
/** Offset 0 (mints.ts): the requested lifetime exactly, so spans can be asserted to the second. */
const EXACT = { ...FAST, random: () => 0 };

function claims(token: string) {
  const c = decodeTigerGraphClaims(token);
  if (!c || c.exp === undefined || c.iat === undefined) throw new Error('not a JWT with exp/iat');
  return c as Required<Pick<typeof c, 'exp' | 'iat'>> & typeof c;
}

describe('TigerGraph 4.x client against the fake', () => {
  it('requests a JWT with the secret; expiresAt and issuedAt come from exp and iat', async () => {
    const fake = await start({ version: 4 });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, EXACT);
    const issued = await client.requestToken({ lifetimeSeconds: 3600 });
    const c = claims(issued.token);
    expect(issued.token.split('.')).toHaveLength(3);
    expect(c.iss).toBe('TigerGraph');
    expect(c.exp - c.iat).toBe(3600);
    expect(issued.expiresAt.getTime()).toBe(c.exp * 1000);
    expect(issued.issuedAt.getTime()).toBe(c.iat * 1000);
    expect(fake.isLive(issued.token)).toBe(true);
    expect(fake.stats().request).toBe(1);
  });

  it('reads the lifetime from exp against iat, not from the server-local expiration string, and counts it on our clock (issue 22)', async () => {
    // The fake's clock is 9 hours ahead: the token lives exp - iat from now on ours, not until exp read as our instant.
    const fake = await start({ version: 4 });
    fake.clock.advance(9 * 3600);
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, EXACT);
    const issued = await client.requestToken();
    const c = claims(issued.token);
    expect(issued.expiresAt.getTime() - issued.issuedAt.getTime()).toBe((c.exp - c.iat) * 1000);
    expect(Math.abs(issued.expiresAt.getTime() - (Date.now() + 2_592_000_000))).toBeLessThan(1_500);
  });

  it('a server whose clock agrees with ours (within 2 s): exp exactly as the server wrote it', async () => {
    const fake = await start({ version: 4 });
    const issued = await new TigerGraphClient(connFor(fake), { secret: SECRET }, EXACT).requestToken();
    expect(issued.expiresAt.getTime()).toBe(claims(issued.token).exp * 1000);
    expect(Math.abs(issued.expiresAt.getTime() - (fake.clock.now() + 2_592_000_000))).toBeLessThan(1_500);
  });

  it('with the milliseconds lifetime quirk: expiry still from exp, and the client learns the unit', async () => {
    const fake = await start({ version: 4, quirks: { lifetimeUnit: 'milliseconds' } });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, EXACT);
    const issued = await client.requestToken({ lifetimeSeconds: 3600 });
    const c = claims(issued.token);
    expect(issued.expiresAt.getTime()).toBe(c.exp * 1000);
    expect(c.exp - c.iat).toBe(3600);
    expect(fake.stats().request).toBe(2); // the first answer lived 3 s, so it asked again in ms
    const again = await client.requestToken({ lifetimeSeconds: 7200 });
    const c2 = claims(again.token);
    expect(c2.exp - c2.iat).toBe(7200);
    expect(fake.stats().request).toBe(3); // unit remembered: one call
  });

  it('with the milliseconds quirk and no lifetime: the default 30 days are asked for (4.x always sends a lifetime) and read from exp', async () => {
    // Without a lifetime every mint would ask for the same server default, and same-second tokens
    // would be identical (mints.ts): so the client sends its default (minus the offset) itself.
    const fake = await start({ version: 4, quirks: { lifetimeUnit: 'milliseconds' } });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, EXACT);
    const issued = await client.requestToken();
    expect(issued.expiresAt.getTime()).toBe(claims(issued.token).exp * 1000);
    expect(claims(issued.token).exp - claims(issued.token).iat).toBe(2_592_000);
    expect(fake.stats().request).toBe(2); // the first answer lived 2592 s: the unit was learned
  });

  it('requests with Basic auth and a graph: sub and graph claims', async () => {
    const fake = await start({ version: 4, graphs: ['Social'] });
    const client = new TigerGraphClient(connFor(fake, { graph: 'Social' }), { username: 'alice', password: USERS.alice }, FAST);
    const issued = await client.requestToken({ lifetimeSeconds: 600 });
    const c = claims(issued.token);
    expect(c.sub).toBe('alice');
    expect(c.graph).toBe('Social');
  });

  it('an unknown graph => HttpError with the "Graph X not found" message', async () => {
    const fake = await start({ version: 4, graphs: ['Social'] });
    const client = new TigerGraphClient(connFor(fake, { graph: 'Nope' }), { secret: SECRET }, FAST);
    const e = (await rejection(client.requestToken())) as HttpError;
    expect(e).toBeInstanceOf(HttpError);
    expect(e.status).toBe(400);
    expect(e.serverMessage).toBe('Graph Nope not found');
  });

  it('refresh throws RefreshUnsupportedError without calling the server', async () => {
    const fake = await start({ version: 4 });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    const { token } = await client.requestToken();
    fake.resetStats();
    await expect(client.refreshToken(token)).rejects.toBeInstanceOf(RefreshUnsupportedError);
    expect(fake.stats().total).toBe(0);
  });

  it('deletes by block-list with Basic __GSQL__secret; deleting again is TokenNotFoundError', async () => {
    const fake = await start({ version: 4 });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    const { token } = await client.requestToken();
    const other = await client.requestToken();
    await client.deleteToken(token);
    expect(fake.isLive(token)).toBe(false);
    expect(fake.isLive(other.token)).toBe(true);
    expect(fake.stats().delete).toBe(1);
    const e = await rejection(client.deleteToken(token));
    expect(e).toBeInstanceOf(TokenNotFoundError);
    expect(e.message).not.toContain(token);
    expect(fake.stats().delete).toBe(1); // the check found it gone: no second block-list call
    expect(fake.stats().check).toBe(2);
  });

  it('deletes with username/password', async () => {
    const fake = await start({ version: 4 });
    const client = new TigerGraphClient(connFor(fake), { username: 'tigergraph', password: USERS.tigergraph }, FAST);
    const { token } = await client.requestToken();
    await client.deleteToken(token);
    expect(fake.isLive(token)).toBe(false);
  });

  it('a delete with a wrong GSQL login => BadCredentialError', async () => {
    const fake = await start({ version: 4 });
    const good = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    const { token } = await good.requestToken();
    const bad = new TigerGraphClient(connFor(fake), { username: 'alice', password: 'wrong-password' }, FAST);
    const e = await rejection(bad.deleteToken(token));
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(e.message).not.toContain('wrong-password');
    expect(fake.isLive(token)).toBe(true);
  });

  it('checkToken (REST++ /restpp/echo) and checkTokenAtGsql agree: live, block-listed, expired, garbage', async () => {
    const fake = await start({ version: 4 });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    const a = await client.requestToken({ lifetimeSeconds: 100 });
    const b = await client.requestToken({ lifetimeSeconds: 10_000 });
    expect(await client.checkToken(a.token)).toBe(true);
    expect(await client.checkTokenAtGsql(a.token)).toBe(true);
    await client.deleteToken(b.token);
    expect(await client.checkToken(b.token)).toBe(false);
    expect(await client.checkTokenAtGsql(b.token)).toBe(false);
    fake.clock.advance(101);
    expect(await client.checkToken(a.token)).toBe(false);
    expect(await client.checkTokenAtGsql(a.token)).toBe(false);
    expect(await client.checkToken('aaaa.bbbb.cccc')).toBe(false);
    expect(fake.stats().echo).toBe(4);
  });

  it('checkTokenAtGsql treats an HTTP 200 error:true failure body as "not valid"', async () => {
    const fake = await start({ version: 4, quirks: { tokenCheckFailure: { status: 200 } } });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    expect(await client.checkTokenAtGsql('x.y.z')).toBe(false);
  });

  it('a wrong secret => BadCredentialError, not retried', async () => {
    const fake = await start({ version: 4 });
    const client = new TigerGraphClient(connFor(fake), { secret: 'not-the-secret-0000' }, FAST);
    const e = await rejection(client.requestToken());
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(e.message).not.toContain('not-the-secret-0000');
    expect(fake.stats().request).toBe(1);
  });
});

describe('4.x check endpoint missing', () => {
  it('checkTokenAtGsql throws HttpError 404; delete still block-lists', async () => {
    // A 3.x layout answers 404 on /gsql/v1/*: a client forced to "4" sees no check endpoint.
    const fake = await start({ version: 3 });
    const client = new TigerGraphClient(connFor(fake, { tigergraphVersion: '4' }), { secret: SECRET }, FAST);
    const e = (await rejection(client.checkTokenAtGsql('a.b.c'))) as HttpError;
    expect(e).toBeInstanceOf(HttpError);
    expect(e.status).toBe(404);
    // The block-list DELETE then also 404s: an HttpError that names the version setting.
    const d = (await rejection(client.deleteToken('a.b.c'))) as HttpError;
    expect(d).toBeInstanceOf(HttpError);
    expect(d.message).toMatch(/tigergraphVersion/);
    expect(fake.stats()).toMatchObject({ check: 2, delete: 1 });
  });
});

describe('4.x token check sends the GSQL login (issue 17)', () => {
  /**
   * A gate in front of the fake that refuses POST /gsql/v1/tokens/check unless it carries the GSQL
   * login `expected`, as a server requiring a login there would (the fake's own check needs none).
   */
  async function loginGate(target: string, expected: string) {
    const gate = { url: '', refused: 0, close: async () => {} };
    const server = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/gsql/v1/tokens/check' && req.headers.authorization !== expected) {
        gate.refused++;
        req.resume();
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: true, message: 'You are not authorized to use this operation.' }));
        return;
      }
      const upstream = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    gate.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    gate.close = () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    return gate;
  }

  const basicOf = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  it.each([
    ['a secret', { secret: SECRET }, basicOf('__GSQL__secret', SECRET)],
    ['username/password', { username: 'alice', password: USERS.alice }, basicOf('alice', USERS.alice)],
  ] as const)('with %s: the check answers "live", so a revoke needs no REST++ proof', async (_kind, credentials, login) => {
    const fake = await start({ version: 4 });
    const gate = await loginGate(fake.url, login);
    try {
      const client = new TigerGraphClient(connFor({ url: gate.url, version: 4 }), credentials, FAST);
      const { token } = await client.requestToken();
      expect(await client.checkTokenAtGsql(token)).toBe(true);
      await client.deleteToken(token);
      expect(fake.isLive(token)).toBe(false);
      expect(gate.refused).toBe(0);
      expect(fake.stats()).toMatchObject({ check: 2, echo: 0, delete: 1 });
    } finally {
      await gate.close();
    }
  });
});


describe('a short credential the server quotes is redacted by value (issue 17)', () => {
  it('4.x: a wrong secret too short for the token-like patterns is still not in the message', async () => {
    const wrong = 'tiny-wrong-7';
    const fake = await start({ version: 4, quirks: { wrongSecret: { message: 'The secret {secret} is not valid.' } } });
    const e = await rejection(new TigerGraphClient(connFor(fake), { secret: wrong }, FAST).requestToken());
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(e.message).not.toContain(wrong);
    expect(e.message).toContain('The secret [redacted] is not valid');
  });
});
