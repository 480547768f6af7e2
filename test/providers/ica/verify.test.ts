import { describe, expect, it } from 'vitest';
import { HttpError, TransportError } from '../../../core/errors.js';
import { ICA_ACCEPT } from '../../../core/providers/ica/index.js';
import { clientFor, expectClean, KEY, PASSWORD, rejection, useFakeIca } from './helpers.js';

const start = useFakeIca();

describe('ICA verify (GET /ica/rest/api/regions with Bearer)', () => {
  it('a live JWT => true, with the Accept header and a Bearer', async () => {
    const fake = await start();
    const client = clientFor(fake, KEY);
    const { token } = await client.createToken();
    fake.resetStats();
    expect(await client.checkToken(token)).toBe(true);
    expect(fake.requests()).toEqual([{ op: 'regions', method: 'GET', path: '/ica/rest/api/regions', accept: ICA_ACCEPT, auth: 'bearer', tenant: undefined }]);
  });

  it('an expired JWT => false', async () => {
    const fake = await start();
    const client = clientFor(fake, KEY);
    const { token } = await client.createToken();
    fake.clock.advance(43_200);
    expect(await client.checkToken(token)).toBe(false);
  });

  it('a JWT replaced by a refresh (default quirk) => false; the new one => true', async () => {
    const fake = await start();
    const client = clientFor(fake, PASSWORD);
    const first = await client.createToken();
    fake.clock.advance(10);
    const next = await client.refreshToken(first.token);
    expect(await client.checkToken(first.token)).toBe(false);
    expect(await client.checkToken(next.token)).toBe(true);
  });

  it('a forged or foreign JWT => false', async () => {
    const fake = await start();
    const other = await start();
    const foreign = await clientFor(other, KEY).createToken();
    expect(await clientFor(fake, KEY).checkToken(foreign.token)).toBe(false);
    expect(await clientFor(fake, KEY).checkToken('not-a-jwt')).toBe(false);
  });

  it('a 5xx => HttpError (retryable) after the retries, not false', async () => {
    const fake = await start();
    const client = clientFor(fake, KEY);
    const { token } = await client.createToken();
    fake.setFaults({ failNext: 3, ops: ['regions'] });
    const e = await rejection(client.checkToken(token));
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).retryable).toBe(true);
    expect(e.message).toMatch(/^ICA answered GET http:\/\/127\.0\.0\.1:\d+\/ica\/rest\/api\/regions \(check\) with HTTP 500/);
    expectClean(e, [token]);
  });

  it('a 5xx once is retried and then answers true', async () => {
    const fake = await start();
    const client = clientFor(fake, KEY);
    const { token } = await client.createToken();
    fake.setFaults({ failNext: 1, ops: ['regions'] });
    expect(await client.checkToken(token)).toBe(true);
    expect(fake.stats().regions).toBe(2);
  });

  it('no answer => TransportError, not false', async () => {
    const fake = await start();
    const client = clientFor(fake, KEY);
    const { token } = await client.createToken();
    fake.setFaults({ dropNext: 3, ops: ['regions'] });
    await expect(client.checkToken(token)).rejects.toBeInstanceOf(TransportError);
  });
});
