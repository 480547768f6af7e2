/** TrifactaClient against the fake: every documented status and body, per operation. */
import { describe, expect, it } from 'vitest';
import { AuthenticationDisabledError, BadCredentialError, HttpError, TransportError } from '../../../core/errors.js';
import { ALICE, clientFor, FAST, rejection, useFakes, USERS, WRONG } from './helpers.js';

const start = useFakes();

describe('createToken', () => {
  it('201: value, tokenId, expiry and createdAt from the answer; lifetime and description as sent', async () => {
    const fake = await start();
    fake.clock.advance(7 * 3600); // the server's clock, not ours, dates the token
    const created = await clientFor(fake).createToken(3600, 'my description');
    expect(fake.isLive(created.tokenValue)).toBe(true);
    const [view] = fake.tokensWithDescription('my description');
    expect(view?.tokenId).toBe(created.tokenId);
    expect(view?.user).toBe('alice');
    expect(created.createdAt?.getTime()).toBeGreaterThan(Date.now() + 6 * 3600_000);
    expect(created.expiresAt?.getTime()).toBe((created.createdAt as Date).getTime() + 3_600_000);
    expect(fake.stats().create).toBe(1);
  });

  it('a wrong password => BadCredentialError naming the call and what to check, sent once', async () => {
    const fake = await start();
    const e = await rejection(clientFor(fake, WRONG).createToken(60, 'd'));
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(e.message).toContain(`POST ${fake.url}/v4/apiAccessTokens (create)`);
    expect(e.message).toContain('HTTP 401');
    expect(e.message).toContain('check username/password in the credential secret');
    expect(fake.stats().create).toBe(1);
    expect(fake.minted).toBe(0);
  });

  it('a user not allowed to create tokens (403 AccessControlException) => AuthenticationDisabledError', async () => {
    const fake = await start({ tokenUsers: ['bob'], quirks: { errorBody: 'envelope' } });
    const e = await rejection(clientFor(fake).createToken(60, 'd'));
    expect(e).toBeInstanceOf(AuthenticationDisabledError);
    expect(e.message).toContain('HTTP 403, AccessControlException');
    expect(e.message).toMatch(/not allowed to this user or are disabled for the workspace/);
    expect(fake.minted).toBe(0);
  });

  it('400 ApiValidationFailed => HttpError 400 with the server message and a hint', async () => {
    const fake = await start({ quirks: { errorBody: 'envelope' } });
    const e = (await rejection(clientFor(fake).createToken(-5, 'd'))) as HttpError;
    expect(e).toBeInstanceOf(HttpError);
    expect(e.status).toBe(400);
    expect(e.restCode).toBe('ApiValidationFailed');
    expect(e.serverMessage).toBe('lifetimeSeconds must be a positive number');
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(/check lifetimeSeconds/);
  });

  it('a 2xx body without tokenValue or tokenId => TransportError "malformed"', async () => {
    const fake = await start({ faults: { malformedNext: 1 } });
    const e = (await rejection(clientFor(fake).createToken(60, 'd'))) as TransportError;
    expect(e).toBeInstanceOf(TransportError);
    expect(e.reason).toBe('malformed');
    expect(e.message).toContain('(create)');
  });
});

describe('listTokens', () => {
  it("lists only the credential's user's tokens, across every page, without values", async () => {
    const fake = await start();
    for (let i = 0; i < 5; i++) fake.addToken({ user: 'alice', description: `a${i}` });
    fake.addToken({ user: 'bob', description: 'bob-1' });
    const listed = await clientFor(fake).listTokens();
    expect(listed.map((t) => t.description).sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    expect(JSON.stringify(listed)).not.toMatch(/tokenValue|"value"/);
    expect(fake.stats().list).toBe(4); // pages of 2: 2 + 2 + 1, then an empty page ends it
  });

  it('a wrong password => BadCredentialError, not retried', async () => {
    const fake = await start();
    const e = await rejection(clientFor(fake, WRONG, { ...FAST, maxAttempts: 5 }).listTokens());
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(fake.stats().list).toBe(1);
  });
});

describe('deleteToken', () => {
  it('204 => deleted; the token stops working', async () => {
    const fake = await start();
    const client = clientFor(fake);
    const { tokenId, tokenValue } = await client.createToken(600, 'd');
    expect(await client.deleteToken(tokenId)).toBe('deleted');
    expect(fake.isLive(tokenValue)).toBe(false);
    expect(fake.tokens()).toEqual([]);
  });

  it('404 DataNotFoundException => not-found without a confirming list', async () => {
    const fake = await start({ quirks: { errorBody: 'envelope', unknownIdBody: 'error' } });
    expect(await clientFor(fake).deleteToken('no-such-id')).toBe('not-found');
    expect(fake.stats().list).toBe(0);
  });

  it("another user's token id is unknown to this user: not-found, and bob's token lives", async () => {
    const fake = await start();
    const bobs = await clientFor(fake, { username: 'bob', password: USERS.bob }).createToken(600, 'bob');
    expect(await clientFor(fake).deleteToken(bobs.tokenId)).toBe('not-found');
    expect(fake.isLive(bobs.tokenValue)).toBe(true);
  });

  it('a wrong password => BadCredentialError, never not-found', async () => {
    const fake = await start();
    const { tokenId, tokenValue } = await clientFor(fake).createToken(600, 'd');
    const e = await rejection(clientFor(fake, WRONG).deleteToken(tokenId));
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(e.message).toContain(`DELETE ${fake.url}/v4/apiAccessTokens/${tokenId} (delete)`);
    expect(fake.isLive(tokenValue)).toBe(true);
  });
});

describe('checkToken', () => {
  it('200 for a live token (by id and by list); false once deleted or expired', async () => {
    const fake = await start();
    const client = clientFor(fake);
    const a = await client.createToken(100, 'a');
    const b = await client.createToken(10_000, 'b');
    expect(await client.checkToken(a.tokenValue, a.tokenId)).toBe(true);
    expect(await client.checkToken(a.tokenValue)).toBe(true);
    await client.deleteToken(b.tokenId);
    expect(await client.checkToken(b.tokenValue, b.tokenId)).toBe(false);
    fake.clock.advance(101);
    expect(await client.checkToken(a.tokenValue, a.tokenId)).toBe(false);
    expect(fake.stats().get).toBe(3);
  });

  it('a live token with a tokenId that is not its own (404) => HttpError saying so', async () => {
    const fake = await start();
    const client = clientFor(fake);
    const a = await client.createToken(600, 'a');
    const e = (await rejection(client.checkToken(a.tokenValue, 'not-its-id'))) as HttpError;
    expect(e).toBeInstanceOf(HttpError);
    expect(e.status).toBe(404);
    expect(e.message).toMatch(/tokenId not-its-id is unknown/);
    expect(e.message).not.toContain(a.tokenValue);
  });

  it('5xx after the retries => retryable HttpError, never false', async () => {
    const fake = await start({ faults: { failNext: 3, errorStatus: 503, ops: ['get'] } });
    const client = clientFor(fake);
    const a = await client.createToken(600, 'a');
    const e = (await rejection(client.checkToken(a.tokenValue, a.tokenId))) as HttpError;
    expect(e).toBeInstanceOf(HttpError);
    expect(e.status).toBe(503);
    expect(e.retryable).toBe(true);
  });

  it('uses Bearer, not Basic: a token works even when the client holds a wrong password', async () => {
    const fake = await start();
    const a = await clientFor(fake).createToken(600, 'a');
    expect(await clientFor(fake, WRONG).checkToken(a.tokenValue, a.tokenId)).toBe(true);
  });
});

describe('host', () => {
  it('reaches the API under /v4 of the host given (no double slashes, ids URL-encoded)', async () => {
    const fake = await start();
    const client = clientFor(fake, ALICE);
    expect(client.tokensUrl).toBe(`${fake.url}/v4/apiAccessTokens`);
    expect(client.tokenUrl('a/b c')).toBe(`${fake.url}/v4/apiAccessTokens/a%2Fb%20c`);
  });
});
