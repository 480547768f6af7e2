import { describe, expect, it } from 'vitest';
import {
  AuthenticationDisabledError,
  BadCredentialError,
  HttpError,
  TokenNotFoundError,
} from '../../../core/errors.js';
import { TigerGraphClient } from '../../../core/providers/tigergraph/index.js';
import { connFor, FAST, rejection, SECRET, USERS, useFakes } from './helpers.js';

const start = useFakes();

describe('TigerGraph 3.x client against the fake', () => {
  it('requests a token with the secret: 32 lowercase alphanumerics, expiry = server unix seconds', async () => {
    const fake = await start({ version: 3 });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, { ...FAST, clock: fake.clock });
    const before = fake.clock.now();
    const issued = await client.requestToken({ lifetimeSeconds: 3600 });
    expect(issued.token).toMatch(/^[a-z0-9]{32}$/);
    expect(fake.isLive(issued.token)).toBe(true);
    // The server's expiration is whole seconds: within one second of now + lifetime.
    expect(Math.abs(issued.expiresAt.getTime() - (before + 3_600_000))).toBeLessThan(1_500);
    expect(Math.abs(issued.issuedAt.getTime() - before)).toBeLessThan(1_000);
    expect(fake.stats().request).toBe(1);
  });

  it('uses the 30-day server default when no lifetime is given', async () => {
    const fake = await start({ version: 3 });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    const issued = await client.requestToken();
    expect(Math.abs(issued.expiresAt.getTime() - (fake.clock.now() + 2_592_000_000))).toBeLessThan(1_500);
  });

  it('requests with Basic auth, where 3.x nests the token in results.token', async () => {
    const fake = await start({ version: 3 });
    const client = new TigerGraphClient(connFor(fake), { username: 'alice', password: USERS.alice }, FAST);
    const issued = await client.requestToken({ lifetimeSeconds: 120 });
    expect(issued.token).toMatch(/^[a-z0-9]{32}$/);
    expect(fake.isLive(issued.token)).toBe(true);
  });

  it('reaches REST++ through explicit restppPort/gsqlPort on a host without a port', async () => {
    const fake = await start({ version: 3 });
    const conn = connFor(fake, { host: 'http://127.0.0.1', restppPort: fake.port, gsqlPort: fake.port });
    const issued = await new TigerGraphClient(conn, { secret: SECRET }, FAST).requestToken();
    expect(fake.isLive(issued.token)).toBe(true);
  });

  it('refreshes in place: same token, new expiry = now + lifetime (not old expiry + lifetime)', async () => {
    const fake = await start({ version: 3 });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, { ...FAST, clock: fake.clock });
    const issued = await client.requestToken({ lifetimeSeconds: 3600 });
    fake.clock.advance(3000);
    const refreshed = await client.refreshToken(issued.token, { lifetimeSeconds: 300 });
    expect(refreshed.token).toBe(issued.token);
    expect(Math.abs(refreshed.expiresAt.getTime() - (fake.clock.now() + 300_000))).toBeLessThan(1_500);
    // now + 300 s lies before the old expiry (issue + 3600 s): the server did not add to it.
    expect(refreshed.expiresAt.getTime()).toBeLessThan(issued.expiresAt.getTime());
    fake.clock.advance(350);
    expect(fake.isLive(issued.token)).toBe(false);
    expect(fake.stats().refresh).toBe(1);
  });

  it('refreshes with Basic auth too', async () => {
    const fake = await start({ version: 3 });
    const client = new TigerGraphClient(connFor(fake), { username: 'tigergraph', password: USERS.tigergraph }, { ...FAST, clock: fake.clock });
    const issued = await client.requestToken({ lifetimeSeconds: 100 });
    const refreshed = await client.refreshToken(issued.token, { lifetimeSeconds: 5000 });
    expect(refreshed.expiresAt.getTime() - fake.clock.now()).toBeGreaterThan(4_000_000);
  });

  it('copes with the 3.2 refresh bug (expiration = lifetime) by counting from now', async () => {
    const fake = await start({ version: 3, quirks: { refreshReturnsLifetime: true } });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, { ...FAST, clock: fake.clock });
    const issued = await client.requestToken({ lifetimeSeconds: 100 });
    const refreshed = await client.refreshToken(issued.token, { lifetimeSeconds: 7200 });
    expect(Math.abs(refreshed.expiresAt.getTime() - (fake.clock.now() + 7_200_000))).toBeLessThan(1_500);
  });

  it('refresh of an unknown or expired token throws TokenNotFoundError', async () => {
    const fake = await start({ version: 3 });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    await expect(client.refreshToken('zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz')).rejects.toBeInstanceOf(TokenNotFoundError);
    const issued = await client.requestToken({ lifetimeSeconds: 60 });
    fake.clock.advance(61);
    await expect(client.refreshToken(issued.token)).rejects.toBeInstanceOf(TokenNotFoundError);
  });

  it('deletes a token; deleting it again is TokenNotFoundError (REST-3300)', async () => {
    const fake = await start({ version: 3 });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    const { token } = await client.requestToken();
    await client.deleteToken(token);
    expect(fake.isLive(token)).toBe(false);
    const e = await rejection(client.deleteToken(token));
    expect(e).toBeInstanceOf(TokenNotFoundError);
    expect(e.message).not.toContain(token);
    expect(fake.stats().delete).toBe(2);
  });

  it('recognises an unknown-token answer with HTTP 200 and error:true, even when it quotes the token', async () => {
    const fake = await start({
      version: 3,
      quirks: { unknownToken: { status: 200, code: 'REST-3300', message: "Token '{token}' does not exist." } },
    });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    const token = 'q'.repeat(32);
    const e = await rejection(client.deleteToken(token));
    expect(e).toBeInstanceOf(TokenNotFoundError);
    expect(e.message).not.toContain(token);
  });

  it('checkToken: true for a live token, false once deleted, expired, or never issued', async () => {
    const fake = await start({ version: 3 });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    const a = await client.requestToken({ lifetimeSeconds: 100 });
    const b = await client.requestToken({ lifetimeSeconds: 10_000 });
    expect(await client.checkToken(a.token)).toBe(true);
    await client.deleteToken(b.token);
    expect(await client.checkToken(b.token)).toBe(false);
    fake.clock.advance(101); // a now expired: REST-10019
    expect(await client.checkToken(a.token)).toBe(false);
    expect(await client.checkToken('nope')).toBe(false);
    expect(fake.stats().echo).toBe(4);
  });

  it('checkToken treats REST-10016 with HTTP 403 as refused too', async () => {
    const fake = await start({ version: 3, quirks: { invalidTokenStatus: 403 } });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    expect(await client.checkToken('x'.repeat(32))).toBe(false);
  });

  it('REST-1000 404 on /requesttoken => AuthenticationDisabledError telling to enable REST++ authentication', async () => {
    const fake = await start({ version: 3, authEnabled: false });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    const e = await rejection(client.requestToken());
    expect(e).toBeInstanceOf(AuthenticationDisabledError);
    expect(e.message).toMatch(/enable REST\+\+ authentication/);
    expect(fake.stats().request).toBe(1);
  });

  it('a wrong secret => BadCredentialError, not retried, secret not in the message', async () => {
    const wrong = 'wrongwrongwrongwrongwrongwrong12';
    const fake = await start({ version: 3, quirks: { wrongSecret: { message: `The secret ${wrong} does not exist.` } } });
    const client = new TigerGraphClient(connFor(fake), { secret: wrong }, FAST);
    const e = await rejection(client.requestToken());
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(e.message).not.toContain(wrong);
    expect(e.message).toMatch(/secret/);
    expect(fake.stats().request).toBe(1);
  });

  it('a wrong password => BadCredentialError, password not in the message', async () => {
    const fake = await start({ version: 3 });
    const client = new TigerGraphClient(connFor(fake), { username: 'alice', password: 'not-alices-password' }, FAST);
    const e = await rejection(client.requestToken());
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(e.message).not.toContain('not-alices-password');
  });

  it('a wrong-secret answer with HTTP 200 + error:true is still a BadCredentialError', async () => {
    const fake = await start({ version: 3, quirks: { wrongSecret: { status: 200, code: 'REST-10001', message: 'Invalid secret.' } } });
    const client = new TigerGraphClient(connFor(fake), { secret: 'nope-nope-nope' }, FAST);
    await expect(client.requestToken()).rejects.toBeInstanceOf(BadCredentialError);
  });

  it('an unknown graph => HttpError 400 carrying the (sanitized) server message', async () => {
    const fake = await start({ version: 3, graphs: ['Social'] });
    const client = new TigerGraphClient(connFor(fake, { graph: 'Finance' }), { secret: SECRET }, FAST);
    const e = await rejection(client.requestToken());
    expect(e).toBeInstanceOf(HttpError);
    const he = e as HttpError;
    expect(he.status).toBe(400);
    expect(he.restCode).toBe('REST-30000');
    expect(he.serverMessage).toBe('Graph Finance not found.');
    expect(he.retryable).toBe(false);
    const ok = await new TigerGraphClient(connFor(fake, { graph: 'Social' }), { secret: SECRET }, FAST).requestToken();
    expect(fake.isLive(ok.token)).toBe(true);
  });
});


describe('a short credential the server quotes is redacted by value (issue 17)', () => {
  it('3.x: a wrong secret too short for the token-like patterns is still not in the message', async () => {
    const wrong = 'tiny-wrong-7';
    const fake = await start({ version: 3, quirks: { wrongSecret: { message: 'The secret {secret} does not exist.' } } });
    const e = await rejection(new TigerGraphClient(connFor(fake), { secret: wrong }, FAST).requestToken());
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(e.message).not.toContain(wrong);
    expect(e.message).toContain('The secret [redacted] does not exist');
  });
});
