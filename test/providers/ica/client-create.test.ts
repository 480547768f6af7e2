import { describe, expect, it } from 'vitest';
import { BadCredentialError, HttpError, ValidationError } from '../../../core/errors.js';
import { ICA_ACCEPT } from '../../../core/providers/ica/index.js';
import { ALICE, API_KEY, claims, clientFor, expectClean, KEY, MULTI_PASSWORD, PASSWORD, rejection, SSO, USERS, useFakeIca } from './helpers.js';

const start = useFakeIca();

describe('ICA create (POST /ica/rest/api/tokens)', () => {
  it('API-key mode: X-API-Key, no body; expiresAt and issuedAt from exp and iat', async () => {
    const fake = await start();
    const issued = await clientFor(fake, KEY).createToken();
    const c = claims(issued.token);
    expect(issued.expiresAt?.getTime()).toBe((c.exp as number) * 1000);
    expect(issued.issuedAt.getTime()).toBe((c.iat as number) * 1000);
    expect((c.exp as number) - (c.iat as number)).toBe(43_200);
    expect(fake.isLive(issued.token)).toBe(true);
    expect(fake.requests()).toEqual([
      { op: 'create', method: 'POST', path: '/ica/rest/api/tokens', accept: ICA_ACCEPT, auth: 'api-key', tenant: undefined },
    ]);
  });

  it('password mode: Basic email:password; the JWT is for the user\'s tenant', async () => {
    const fake = await start();
    const issued = await clientFor(fake, PASSWORD).createToken();
    expect(claims(issued.token).tenant).toBe('alice-lab');
    expect(fake.requests()[0]?.auth).toBe('basic');
    expect(fake.isLive(issued.token)).toBe(true);
  });

  it('sends ?tenant= with Basic auth, and mints in that tenant', async () => {
    const fake = await start();
    const issued = await clientFor(fake, MULTI_PASSWORD, { tenant: 'lab-b' }).createToken();
    expect(claims(issued.token).tenant).toBe('lab-b');
    expect(fake.requests()[0]?.tenant).toBe('lab-b');
  });

  it('encodes the tenant as a query value', async () => {
    const fake = await start({ tenants: { [ALICE]: ['lab & co/1'] } });
    const issued = await clientFor(fake, PASSWORD, { tenant: 'lab & co/1' }).createToken();
    expect(claims(issued.token).tenant).toBe('lab & co/1');
  });

  it('does not send the tenant beside an API key (documented for Basic auth only)', async () => {
    const fake = await start();
    await clientFor(fake, KEY, { tenant: 'lab-b' }).createToken();
    expect(fake.requests()[0]).toMatchObject({ auth: 'api-key', tenant: undefined });
  });

  it('a user in several tenants without tenant => ValidationError naming tenant', async () => {
    const fake = await start();
    const e = await rejection(clientFor(fake, MULTI_PASSWORD).createToken());
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).field).toBe('tenant');
    expect(e.message).toMatch(/^ica: token secret: tenant: ICA refused POST http:\/\/127\.0\.0\.1:\d+\/ica\/rest\/api\/tokens \(create\) \(HTTP 400: "Bad Request: The user belongs to several tenants/);
    expect(e.message).toContain('must set "tenant"');
    expect(fake.minted).toBe(0);
  });

  it('a tenant the user is not in => ValidationError saying to check it', async () => {
    const fake = await start();
    const e = await rejection(clientFor(fake, MULTI_PASSWORD, { tenant: 'lab-z' }).createToken());
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toContain('check that "lab-z" is a tenant this user belongs to');
  });

  it('a wrong API key => BadCredentialError saying what to check, without the key', async () => {
    const fake = await start();
    const wrong = 'icak-WRONGWRONGWRONGWRONGWRONG0001';
    const e = await rejection(clientFor(fake, { apiKey: wrong }).createToken());
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(e.message).toMatch(/^ICA refused the credential for POST http:\/\/127\.0\.0\.1:\d+\/ica\/rest\/api\/tokens \(create\) \(HTTP 401: "Unauthorized: /);
    expect(e.message).toContain('check apiKey, or username/password');
    expect(e.message).toContain('Basic auth does not work for SSO accounts');
    expect(e.message).toContain('API keys are revoked in the ICA portal');
    expect(e.message).not.toContain(wrong);
    expect(e.message).toMatch(/problem id [0-9a-f-]{36}/);
    expectClean(e);
  });

  it('a wrong password => BadCredentialError without the password or the Basic value; hints at tenant', async () => {
    const fake = await start();
    const e = await rejection(clientFor(fake, { username: ALICE, password: 'Wrong-Pa55word-1' }).createToken());
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(e.message).not.toContain('Wrong-Pa55word-1');
    expect(e.message).not.toContain(Buffer.from(`${ALICE}:Wrong-Pa55word-1`).toString('base64'));
    expect(e.message).toContain('a user in several tenants must also set "tenant"');
    expectClean(e);
  });

  it('an SSO account with Basic auth => BadCredentialError quoting ICA\'s reason', async () => {
    const fake = await start();
    const e = await rejection(clientFor(fake, { username: SSO, password: USERS[SSO] }).createToken());
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(e.message).toContain('not supported for SSO-enabled accounts');
    expectClean(e);
  });

  it('a 5xx that persists => HttpError, retryable, after every attempt', async () => {
    const fake = await start({ faults: { failNext: 3, errorStatus: 503 } });
    const e = await rejection(clientFor(fake, KEY).createToken());
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBe(503);
    expect((e as HttpError).retryable).toBe(true);
    expect(e.message).toMatch(/^ICA answered POST http:\/\/127\.0\.0\.1:\d+\/ica\/rest\/api\/tokens \(create\) with HTTP 503: "Service Unavailable: /);
    expect(e.message).toContain('retry later');
    expect(fake.stats().create).toBe(3);
    expect(e.message).not.toContain(API_KEY);
  });

  it('ignores extra fields in the Token model', async () => {
    const fake = await start({ quirks: { tokenExtraFields: { expiresIn: 1, expiresAt: 'garbage', token2: 'x' } } });
    const issued = await clientFor(fake, KEY).createToken();
    expect(issued.expiresAt?.getTime()).toBe((claims(issued.token).exp as number) * 1000);
    expect(issued.fields).toBeUndefined();
  });

  it('two mints in the same second give byte-identical JWTs by default', async () => {
    const fake = await start();
    const client = clientFor(fake, KEY);
    const a = await client.createToken();
    const b = await client.createToken();
    expect(b.token).toBe(a.token);
    expect(fake.minted).toBe(2);
    expect(fake.liveCount()).toBe(1);
    fake.clock.advance(1);
    expect((await client.createToken()).token).not.toBe(a.token);
  });

  it('with a unique claim (quirk), same-second JWTs differ', async () => {
    const fake = await start({ quirks: { uniqueClaim: true } });
    const client = clientFor(fake, PASSWORD);
    expect((await client.createToken()).token).not.toBe((await client.createToken()).token);
    expect(fake.liveCount()).toBe(2);
  });

  it('API-key and password JWTs of one user in one second differ (how they were minted is in the JWT)', async () => {
    const fake = await start();
    const a = await clientFor(fake, KEY).createToken();
    const b = await clientFor(fake, PASSWORD).createToken();
    expect(a.token).not.toBe(b.token);
    expect(claims(a.token).sub).toBe(claims(b.token).sub);
  });
});
