/**
 * Every fake's freshTokenRefusedSeconds quirk (issue 22): a token minted a moment ago is refused
 * where it authenticates, for N seconds of the fake's clock, then accepted; the calls that manage
 * a token (revoke) treat it as any other, so a revoke of a fresh token is a real revoke.
 */
import { describe, expect, it } from 'vitest';
import { OffsetClock } from '../../core/clock.js';
import { startFakeIca } from '../../local/fakes/ica/index.js';
import { startFakeTigerGraph } from '../../local/fakes/tigergraph/index.js';
import { startFakeTrifacta } from '../../local/fakes/trifacta/index.js';
import { basic, call, closedAfterEach } from '../helpers/fakes.js';

const SECRET = 'k3v9q2m8x7w1p0z5r4t6y8u2i1o3a5s7';
const USER = { username: 'alice', password: 'alice-pw-456' };
const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

const tigergraph = closedAfterEach((version: 3 | 4, seconds: number) =>
  startFakeTigerGraph({ version, secrets: [SECRET], users: { [USER.username]: USER.password }, quirks: { freshTokenRefusedSeconds: seconds } }),
);
const trifacta = closedAfterEach((seconds: number) => startFakeTrifacta({ users: { [USER.username]: USER.password }, quirks: { freshTokenRefusedSeconds: seconds } }));
const ica = closedAfterEach((seconds: number) => startFakeIca({ apiKeys: ['icak-key'], quirks: { freshTokenRefusedSeconds: seconds } }));

describe('freshTokenRefusedSeconds', () => {
  it('TigerGraph 3.x: REST++ refuses the token as invalid for its first N seconds, then accepts it; a delete meanwhile revokes it', async () => {
    const fake = await tigergraph(3, 30);
    const mint = async () => (await call(`${fake.url}/requesttoken`, json({ secret: SECRET, lifetime: 3600 }))).body?.token as string;
    const token = await mint();
    const refused = await call(`${fake.url}/echo`, bearer(token));
    expect([refused.status, refused.body?.code]).toEqual([401, 'REST-10016']);
    expect(fake.isLive(token)).toBe(false);
    expect(fake.liveTokens()).toContain(token); // not accepted yet, but minted and tracked
    fake.clock.advance(31);
    expect((await call(`${fake.url}/echo`, bearer(token))).status).toBe(200);
    expect(fake.isLive(token)).toBe(true);

    const fresh = await mint();
    const del = await call(`${fake.url}/requesttoken`, { method: 'DELETE', body: JSON.stringify({ secret: SECRET, token: fresh }) });
    expect(del.body).toMatchObject({ error: false });
    fake.clock.advance(31);
    expect((await call(`${fake.url}/echo`, bearer(fresh))).status).toBe(401);
  });

  it('TigerGraph 4.x: REST++ and /gsql/v1/tokens/check refuse the JWT for its first N seconds, then accept it', async () => {
    const fake = await tigergraph(4, 30);
    const minted = await call(`${fake.url}/gsql/v1/tokens`, json({ lifetime: 3600 }, { authorization: basic(USER.username, USER.password) }));
    const token = minted.body?.token as string;
    expect(token).toEqual(expect.any(String));
    expect((await call(`${fake.url}/restpp/echo`, bearer(token))).status).toBe(401);
    expect((await call(`${fake.url}/gsql/v1/tokens/check`, json({ token }))).status).toBe(401);
    expect(fake.isLive(token)).toBe(false);
    fake.clock.advance(31);
    expect((await call(`${fake.url}/restpp/echo`, bearer(token))).status).toBe(200);
    expect((await call(`${fake.url}/gsql/v1/tokens/check`, json({ token }))).status).toBe(200);
    expect(fake.isLive(token)).toBe(true);
  });

  it('Trifacta: a Bearer token is refused like an unknown one for its first N seconds; deleting it by id works meanwhile', async () => {
    const fake = await trifacta(30);
    const auth = { authorization: basic(USER.username, USER.password) };
    const mint = async () => (await call(`${fake.url}/v4/apiAccessTokens`, json({ lifetimeSeconds: 3600 }, auth))).body as { tokenValue: string; tokenInfo: { tokenId: string } };
    const a = await mint();
    expect((await call(`${fake.url}/v4/apiAccessTokens`, bearer(a.tokenValue))).status).toBe(403);
    expect(fake.isLive(a.tokenValue)).toBe(false);
    fake.clock.advance(31);
    expect((await call(`${fake.url}/v4/apiAccessTokens`, bearer(a.tokenValue))).status).toBe(200);
    expect(fake.isLive(a.tokenValue)).toBe(true);

    const b = await mint();
    expect((await call(`${fake.url}/v4/apiAccessTokens/${b.tokenInfo.tokenId}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    fake.clock.advance(31);
    expect(fake.isLive(b.tokenValue)).toBe(false);
  });

  it('ICA: the JWT is refused as not valid for its first N seconds (regions), then accepted', async () => {
    const fake = await ica(30);
    const minted = await call(`${fake.url}/ica/rest/api/tokens`, { method: 'POST', headers: { 'x-api-key': 'icak-key' } });
    const token = minted.body?.token as string;
    expect((await call(`${fake.url}/ica/rest/api/regions`, bearer(token))).status).toBe(401);
    expect(fake.isLive(token)).toBe(false);
    fake.clock.advance(31);
    expect((await call(`${fake.url}/ica/rest/api/regions`, bearer(token))).status).toBe(200);
    expect(fake.isLive(token)).toBe(true);
  });

  it('defaults to 0: every fake accepts a token at once', async () => {
    const tg = await startFakeTigerGraph({ version: 3, secrets: [SECRET], clock: new OffsetClock() });
    try {
      const token = (await call(`${tg.url}/requesttoken`, json({ secret: SECRET, lifetime: 3600 }))).body?.token as string;
      expect((await call(`${tg.url}/echo`, bearer(token))).status).toBe(200);
    } finally {
      await tg.close();
    }
  });
});
