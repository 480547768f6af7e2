/**
 * Every UNCONFIRMED item of ica-token-api.md, as a fake quirk, in each of its readings: the client
 * must behave the same (or as documented per reading) whichever one the real ICA turns out to have.
 */
import { describe, expect, it } from 'vitest';
import { BadCredentialError, HttpError, RefreshUnsupportedError, ValidationError } from '../../../core/errors.js';
import { createIcaProvider } from '../../../core/providers/ica/index.js';
import type { FakeIcaQuirks } from '../../../local/fakes/ica/index.js';
import { claims, clientFor, configFor, expectClean, FAST, FixedClock, KEY, MULTI_PASSWORD, PASSWORD, rejection, useFakeIca } from './helpers.js';

const start = useFakeIca();

describe.each([
  { name: 'exp present (default)', quirks: {}, hasExp: true },
  { name: 'exp omitted', quirks: { omitExp: true }, hasExp: false },
])('JWT expiry: $name', ({ quirks, hasExp }) => {
  it('expiresAt is exp when present, else now + lifetimeSeconds', async () => {
    const fake = await start({ quirks });
    const issued = await clientFor(fake, KEY).createToken(1800);
    const expected = hasExp ? (claims(issued.token).exp as number) * 1000 : fake.clock.now() + 1_800_000;
    expect(issued.expiresAt?.getTime()).toBe(expected);
    expect(issued.expiresAt?.getTime()).toBe(hasExp ? Math.floor(fake.clock.now() / 1000) * 1000 + 43_200_000 : fake.clock.now() + 1_800_000);
  });

  it('without lifetimeSeconds: fine with exp, a ValidationError naming lifetimeSeconds without', async () => {
    const fake = await start({ quirks });
    const result = clientFor(fake, KEY).createToken();
    if (hasExp) await expect(result).resolves.toMatchObject({ token: expect.any(String) });
    else await expect(result).rejects.toThrow(ValidationError);
  });
});

describe.each([400, 401] as const)('refresh of an API-key JWT refused with %i', (status) => {
  it('=> RefreshUnsupportedError (the core mints), never BadCredentialError, no JWT in the message', async () => {
    const fake = await start({ quirks: { apiKeyRefreshStatus: status } });
    // Minted with the API key, then the credential secret changed to username/password.
    const { token } = await clientFor(fake, KEY).createToken();
    fake.clock.advance(60);
    const e = await rejection(clientFor(fake, PASSWORD).refreshToken(token));
    expect(e).toBeInstanceOf(RefreshUnsupportedError);
    expect(e.message).toContain(`HTTP ${status}`);
    expectClean(e, [token]);
    expect(fake.stats().refresh).toBe(1);
  });
});

describe.each([400, 401] as const)('refresh of an expired JWT refused with %i', (status) => {
  it('=> RefreshUnsupportedError when our clock did not know it expired', async () => {
    const fake = await start({ quirks: { expiredRefreshStatus: status } });
    const { token } = await clientFor(fake, PASSWORD).createToken();
    fake.clock.advance(43_200);
    const behind = clientFor(fake, PASSWORD, {}, { clock: new FixedClock() });
    const e = await rejection(behind.refreshToken(token));
    expect(e).toBeInstanceOf(RefreshUnsupportedError);
    expect(e.message).toContain(`HTTP ${status}`);
    expectClean(e, [token]);
  });
});

describe.each([
  { name: 'old JWT invalidated (default)', keeps: false },
  { name: 'old JWT kept valid', keeps: true },
])('after a refresh: $name', ({ keeps }) => {
  it('the new JWT works either way; the old one as the server decides', async () => {
    const fake = await start({ quirks: { refreshKeepsOldValid: keeps } });
    const client = clientFor(fake, PASSWORD);
    const first = await client.createToken();
    fake.clock.advance(120);
    const next = await client.refreshToken(first.token);
    expect(await client.checkToken(next.token)).toBe(true);
    expect(await client.checkToken(first.token)).toBe(keeps);
  });

  it('a refresh in the same second may return the very same JWT, which stays valid', async () => {
    const fake = await start({ quirks: { refreshKeepsOldValid: keeps } });
    const client = clientFor(fake, PASSWORD);
    const first = await client.createToken();
    const next = await client.refreshToken(first.token);
    expect(next.token).toBe(first.token);
    expect(fake.isLive(next.token)).toBe(true);
  });
});

describe.each([
  { status: 400, error: ValidationError },
  { status: 401, error: BadCredentialError },
  { status: 403, error: BadCredentialError },
  { status: 422, error: HttpError },
] as const)('multi-tenant user without tenant refused with $status', ({ status, error }) => {
  it(`=> ${error.name}, and the message points at tenant`, async () => {
    const fake = await start({ quirks: { multiTenantStatus: status } });
    const e = await rejection(clientFor(fake, MULTI_PASSWORD).createToken());
    expect(e).toBeInstanceOf(error);
    expect(e.message).toMatch(/tenant/);
    expect(e.message).toContain(`HTTP ${status}`);
    expectClean(e);
  });

  it('with tenant set, the same user mints', async () => {
    const fake = await start({ quirks: { multiTenantStatus: status } });
    const issued = await clientFor(fake, MULTI_PASSWORD, { tenant: 'lab-a' }).createToken();
    expect(claims(issued.token).tenant).toBe('lab-a');
  });
});

describe.each([
  { name: 'extra fields (default)', quirks: {} },
  { name: 'bare {"token"}', quirks: { tokenExtraFields: false } },
  { name: 'misleading extras', quirks: { tokenExtraFields: { expiresAt: '1970-01-01T00:00:00Z', exp: 1, issuedAt: 'x', fields: { a: 1 } } } },
] satisfies { name: string; quirks: FakeIcaQuirks }[])('Token model with $name', ({ quirks }) => {
  it('only `token` is read; expiry still from exp; no provider fields written', async () => {
    const fake = await start({ quirks });
    const provider = createIcaProvider(configFor(fake), KEY, { ...FAST, clock: fake.clock });
    const issued = await provider.issue({ purpose: { secretName: 's', versionId: 'v' } });
    expect(issued.expiresAt?.getTime()).toBe((claims(issued.token).exp as number) * 1000);
    expect(issued.fields).toBeUndefined();
  });
});

describe.each([
  { name: 'server quotes secrets (default)', echo: true },
  { name: 'server does not quote secrets', echo: false },
])('Problem details: $name', ({ echo }) => {
  it('no API key, password, Basic value or JWT reaches a message', async () => {
    const fake = await start({ quirks: { echoSecretsInProblems: echo } });
    const wrongKey = await rejection(clientFor(fake, { apiKey: 'icak-NOPE-0123456789abcdefABCDEF' }).createToken());
    const wrongPassword = await rejection(clientFor(fake, { ...PASSWORD, password: 'N0pe-n0pe-n0pe' } as typeof PASSWORD).createToken());
    const { token } = await clientFor(fake, PASSWORD).createToken();
    fake.clock.advance(60);
    await clientFor(fake, PASSWORD).refreshToken(token).catch(() => undefined);
    const stale = await rejection(clientFor(fake, PASSWORD).refreshToken(token));
    for (const e of [wrongKey, wrongPassword, stale]) expectClean(e, [token, 'icak-NOPE-0123456789abcdefABCDEF', 'N0pe-n0pe-n0pe']);
    expect(wrongKey.message).toContain(echo ? "The API key '[redacted]'" : 'The API key is not valid');
  });
});
