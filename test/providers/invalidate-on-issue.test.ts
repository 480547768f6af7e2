/**
 * The fakes' invalidate-on-issue variants (issue 22), off by default because the docs say
 * otherwise (Trifacta: unlimited tokens per user; ICA: a replaced JWT stays valid until it expires):
 * Trifacta's oneLiveTokenPerUser and ICA's passwordMintInvalidatesEarlier end a user's older tokens
 * the moment a new one is issued.
 */
import { describe, expect, it } from 'vitest';
import { startFakeIca } from '../../local/fakes/ica/index.js';
import { startFakeTrifacta } from '../../local/fakes/trifacta/index.js';
import { basic, call, closedAfterEach } from '../helpers/fakes.js';

const USER = { username: 'alice@example.com', password: 'alice-pw-456' };
const trifacta = closedAfterEach((oneLiveTokenPerUser: boolean) => startFakeTrifacta({ users: { [USER.username]: USER.password }, quirks: { oneLiveTokenPerUser } }));
const ica = closedAfterEach((passwordMintInvalidatesEarlier: boolean) =>
  startFakeIca({ users: { [USER.username]: USER.password, 'bob@example.com': 'bob-pw' }, apiKeys: ['icak-key'], quirks: { passwordMintInvalidatesEarlier } }),
);

describe('Trifacta oneLiveTokenPerUser', () => {
  const mint = async (url: string) =>
    (await call(`${url}/v4/apiAccessTokens`, { method: 'POST', body: JSON.stringify({ lifetimeSeconds: 3600 }), headers: { 'content-type': 'application/json', authorization: basic(USER.username, USER.password) } })).body as {
      tokenValue: string;
    };

  it('on: a new token ends the user’s others at once (and they leave the list)', async () => {
    const fake = await trifacta(true);
    const first = await mint(fake.url);
    const second = await mint(fake.url);
    expect(fake.isLive(first.tokenValue)).toBe(false);
    expect(fake.isLive(second.tokenValue)).toBe(true);
    expect(fake.liveTokenIds(USER.username)).toHaveLength(1);
  });

  it('off (the default, as the docs say): tokens per user are unlimited', async () => {
    const fake = await trifacta(false);
    const first = await mint(fake.url);
    await mint(fake.url);
    expect(fake.isLive(first.tokenValue)).toBe(true);
  });
});

describe('ICA passwordMintInvalidatesEarlier', () => {
  const byPassword = async (url: string, user = USER) =>
    (await call(`${url}/ica/rest/api/tokens`, { method: 'POST', headers: { authorization: basic(user.username, user.password) } })).body?.token as string;

  it('on: a JWT minted with the password ends the user’s earlier JWTs in that tenant, not another user’s', async () => {
    const fake = await ica(true);
    const first = await byPassword(fake.url);
    const bob = await byPassword(fake.url, { username: 'bob@example.com', password: 'bob-pw' });
    fake.clock.advance(1); // another second: another JWT
    const second = await byPassword(fake.url);
    expect(second).not.toBe(first);
    expect(fake.isLive(first)).toBe(false);
    expect(fake.isLive(second)).toBe(true);
    expect(fake.isLive(bob)).toBe(true);
  });

  it('off (the default, as the docs say): earlier JWTs stay valid until they expire', async () => {
    const fake = await ica(false);
    const first = await byPassword(fake.url);
    fake.clock.advance(1);
    await byPassword(fake.url);
    expect(fake.isLive(first)).toBe(true);
  });
});
