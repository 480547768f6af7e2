/** The fake itself, over plain fetch: wire shapes, quirks, faults and an inspection API without values. */
import { describe, expect, it } from 'vitest';
import { OffsetClock } from '../../../core/clock.js';
import { basic, call } from '../../helpers/fakes.js';
import { useFakes, USERS } from './helpers.js';

const start = useFakes();
const ALICE_AUTH = { authorization: basic('alice', USERS.alice) };

const create = (url: string, json: unknown, headers: Record<string, string> = ALICE_AUTH) =>
  call(`${url}/v4/apiAccessTokens`, { method: 'POST', body: JSON.stringify(json), headers: { 'content-type': 'application/json', ...headers } });

describe('fake Trifacta', () => {
  it('create answers 201 {tokenValue, tokenInfo} as documented', async () => {
    const fake = await start();
    const r = await create(fake.url, { lifetimeSeconds: 100, description: 'doc' });
    expect(r.status).toBe(201);
    const info = r.body?.tokenInfo as Record<string, unknown>;
    expect(Object.keys(info).sort()).toEqual(['createdAt', 'description', 'expiredAt', 'lastUsed', 'tokenId']);
    expect(info).toMatchObject({ description: 'doc', lastUsed: null });
    expect(Date.parse(info.expiredAt as string) - Date.parse(info.createdAt as string)).toBe(100_000);
    expect(typeof r.body?.tokenValue).toBe('string');
  });

  it('a Bearer token acts as its owner: it lists, creates, and marks lastUsed', async () => {
    const fake = await start();
    const token = (await create(fake.url, { lifetimeSeconds: 100 })).body?.tokenValue as string;
    const made = await create(fake.url, { lifetimeSeconds: 100 }, { authorization: `Bearer ${token}` });
    expect(made.status).toBe(201);
    const list = await call(`${fake.url}/v4/apiAccessTokens?limit=10`, { headers: { authorization: `Bearer ${token}` } });
    expect((list.body?.data as unknown[]).length).toBe(2);
    expect(fake.tokens().every((t) => t.user === 'alice')).toBe(true);
  });

  it.each([
    [{}, 400, undefined],
    [{ omittedLifetime: 'non-expiring' as const }, 201, null],
    [{ omittedLifetime: 'default' as const }, 201, 'default'],
  ])('a create without lifetimeSeconds, quirks %j', async (quirks, status, expiry) => {
    const fake = await start({ quirks, defaultLifetimeSeconds: 50 });
    const r = await create(fake.url, { description: 'x' });
    expect(r.status).toBe(status);
    if (status === 201) {
      const info = r.body?.tokenInfo as { expiredAt: string | null; createdAt: string };
      expect(expiry === null ? info.expiredAt : Date.parse(info.expiredAt as string) - Date.parse(info.createdAt)).toBe(expiry === null ? null : 50_000);
    } else {
      expect(r.text).toBe('lifetimeSeconds is required');
    }
  });

  it('lifetimeSeconds -1: refused by default, non-expiring with the quirk', async () => {
    const fake = await start();
    expect((await create(fake.url, { lifetimeSeconds: -1 })).status).toBe(400);
    fake.setQuirks({ minusOneLifetime: 'non-expiring' });
    const r = await create(fake.url, { lifetimeSeconds: -1 });
    expect((r.body?.tokenInfo as { expiredAt: unknown }).expiredAt).toBeNull();
  });

  it('a token may not delete itself by default (403 AccessControlException); with the quirk it may', async () => {
    const fake = await start({ quirks: { errorBody: 'envelope' } });
    const r = await create(fake.url, { lifetimeSeconds: 100 });
    const { tokenValue } = r.body as { tokenValue: string };
    const { tokenId } = r.body?.tokenInfo as { tokenId: string };
    const self = { method: 'DELETE', headers: { authorization: `Bearer ${tokenValue}` } };
    const refused = await call(`${fake.url}/v4/apiAccessTokens/${tokenId}`, self);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ exception: { name: 'AccessControlException' } });
    fake.setQuirks({ tokenMayDeleteItself: true });
    expect((await call(`${fake.url}/v4/apiAccessTokens/${tokenId}`, self)).status).toBe(204);
    expect(fake.isLive(tokenValue)).toBe(false);
  });

  it('refusals: 403 for a bad token and 401 for a bad password by default; the exception envelope on request', async () => {
    const fake = await start();
    const badToken = await call(`${fake.url}/v4/apiAccessTokens`, { headers: { authorization: 'Bearer nope-nope-nope' } });
    expect(badToken.status).toBe(403);
    expect(badToken.body).toBeUndefined(); // plain text by default
    const badPassword = await call(`${fake.url}/v4/apiAccessTokens`, { headers: { authorization: basic('alice', 'wrong') } });
    expect(badPassword.status).toBe(401);
    fake.setQuirks({ errorBody: 'envelope', tokenRefusalStatus: 401 });
    const again = await call(`${fake.url}/v4/apiAccessTokens`, { headers: { authorization: 'Bearer nope-nope-nope' } });
    expect(again.status).toBe(401);
    expect(again.body).toMatchObject({ exception: { name: 'UnauthorizedException' } });
  });

  it("unknown paths and a disabled feature answer Route doesn't exist (404)", async () => {
    const fake = await start({ quirks: { errorBody: 'envelope' } });
    const r = await call(`${fake.url}/v4/nothing`, { headers: ALICE_AUTH });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ exception: { name: 'RouteNotFoundException', message: "Route doesn't exist", details: '' } });
    fake.setQuirks({ featureDisabled: 'route' });
    expect((await call(`${fake.url}/v4/apiAccessTokens`, { headers: ALICE_AUTH })).status).toBe(404);
  });

  it('paging: offset pages of pageSize with no signal; offset-count adds count; link gives an absolute next URL', async () => {
    const fake = await start({ quirks: { pageSize: 2 } });
    for (let i = 0; i < 3; i++) fake.addToken({ user: 'alice', description: `d${i}` });
    const first = await call(`${fake.url}/v4/apiAccessTokens?limit=100`, { headers: ALICE_AUTH });
    expect(first.body).toEqual({ data: [expect.any(Object), expect.any(Object)] });
    fake.setQuirks({ listPaging: 'offset-count' });
    expect((await call(`${fake.url}/v4/apiAccessTokens?offset=2`, { headers: ALICE_AUTH })).body).toMatchObject({ count: 3 });
    fake.setQuirks({ listPaging: 'link' });
    const linked = await call(`${fake.url}/v4/apiAccessTokens`, { headers: ALICE_AUTH });
    expect(linked.body?.next).toMatch(new RegExp(`^${fake.url}/v4/apiAccessTokens\\?cursor=`));
    const last = await call(linked.body?.next as string, { headers: ALICE_AUTH });
    expect(last.body).toMatchObject({ next: null });
    fake.setQuirks({ listPaging: 'single-strict' });
    expect((await call(`${fake.url}/v4/apiAccessTokens?offset=0`, { headers: ALICE_AUTH })).status).toBe(400);
  });

  it('an unknown id: an empty 404 by default, DataNotFoundException with the quirk', async () => {
    const fake = await start({ quirks: { errorBody: 'envelope' } });
    const empty = await call(`${fake.url}/v4/apiAccessTokens/nope`, { method: 'DELETE', headers: ALICE_AUTH });
    expect(empty).toMatchObject({ status: 404, text: '' });
    fake.setQuirks({ unknownIdBody: 'error' });
    const named = await call(`${fake.url}/v4/apiAccessTokens/nope`, { headers: ALICE_AUTH });
    expect(named.body).toMatchObject({ exception: { name: 'DataNotFoundException' } });
  });

  it('mint-then-drop: the client sees no answer, the token exists', async () => {
    const fake = await start({ faults: { lostMintNext: 1 } });
    await expect(create(fake.url, { lifetimeSeconds: 100, description: 'lost' })).rejects.toThrow();
    expect(fake.tokensWithDescription('lost')).toHaveLength(1);
    expect(fake.tokensWithDescription('lost')[0]?.live).toBe(true);
    expect(fake.stats()).toMatchObject({ create: 1, total: 1 });
  });

  it('the inspection API never returns a token value', async () => {
    const fake = await start({ quirks: { tokenFormat: 'base64-json' } });
    const value = (await create(fake.url, { lifetimeSeconds: 100, description: 'v' })).body?.tokenValue as string;
    const everything = JSON.stringify([fake.tokens(), fake.tokensWithDescription('v'), fake.liveTokenIds(), fake.stats()]);
    expect(everything).not.toContain(value);
    expect(fake.isLive(value)).toBe(true);
  });

  it('a shared clock moves expiry for every fake using it', async () => {
    const clock = new OffsetClock();
    const a = await start({ clock });
    const b = await start({ clock });
    const ta = (await create(a.url, { lifetimeSeconds: 60 })).body?.tokenValue as string;
    const tb = (await create(b.url, { lifetimeSeconds: 120 })).body?.tokenValue as string;
    clock.advance(61);
    expect([a.isLive(ta), b.isLive(tb)]).toEqual([false, true]);
    expect(a.clock).toBe(b.clock);
  });
});
