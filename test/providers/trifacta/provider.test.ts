/** TrifactaProvider against the fake: issue, verify, revoke. */
import { describe, expect, it } from 'vitest';
import { BadCredentialError, ValidationError } from '../../../core/errors.js';
import { ALICE, DESCRIPTION, providerFor, PURPOSE, rejection, useFakes, WRONG } from './helpers.js';

const start = useFakes();

describe('issue', () => {
  it('mints with the description of the version and stores tokenId; expiry and issue time from the answer', async () => {
    const fake = await start();
    const issued = await providerFor(fake).issue({ lifetimeSeconds: 86_400, purpose: PURPOSE });
    const [view] = fake.tokensWithDescription(DESCRIPTION);
    expect(view).toMatchObject({ user: 'alice', live: true });
    expect(issued.fields).toEqual({ tokenId: view?.tokenId });
    expect(fake.isLive(issued.token)).toBe(true);
    expect(issued.expiresAt?.toISOString()).toBe(view?.expiredAt);
    expect((issued.expiresAt as Date).getTime() - issued.issuedAt.getTime()).toBe(86_400_000);
    expect(Math.abs(issued.issuedAt.getTime() - fake.clock.now())).toBeLessThan(2_000);
  });

  it('without a lifetime it sends the 30-day default (the fake refuses a create without one)', async () => {
    const fake = await start({ quirks: { omittedLifetime: 'rejected' } });
    const issued = await providerFor(fake).issue({ purpose: PURPOSE });
    expect((issued.expiresAt as Date).getTime() - issued.issuedAt.getTime()).toBe(2_592_000_000);
  });

  it.each([0, -1, Number.NaN])('refuses lifetimeSeconds %s before any call (never a non-expiring token by accident)', async (lifetimeSeconds) => {
    const fake = await start({ quirks: { minusOneLifetime: 'non-expiring', omittedLifetime: 'non-expiring' } });
    const e = await rejection(providerFor(fake).issue({ lifetimeSeconds, purpose: PURPOSE }));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toMatch(/lifetimeSeconds: expected a positive number/);
    expect(fake.stats().total).toBe(0);
  });

  it('a non-expiring token (expiredAt null) => expiresAt null', async () => {
    const fake = await start({ quirks: { neverExpire: true } });
    const issued = await providerFor(fake).issue({ lifetimeSeconds: 3600, purpose: PURPOSE });
    expect(issued.expiresAt).toBeNull();
    fake.clock.advance(10 * 365 * 86_400);
    expect(await providerFor(fake).verify({ token: issued.token, fields: issued.fields ?? {} })).toBe(true);
  });

  it("two versions of one secret get two tokens; another version's token is left alone", async () => {
    const fake = await start();
    const provider = providerFor(fake);
    const first = await provider.issue({ lifetimeSeconds: 3600, purpose: PURPOSE });
    const second = await provider.issue({ lifetimeSeconds: 3600, purpose: { ...PURPOSE, versionId: 'v-2' } });
    expect(fake.isLive(first.token)).toBe(true);
    expect(fake.isLive(second.token)).toBe(true);
    expect(second.fields?.tokenId).not.toBe(first.fields?.tokenId);
  });

  it('a wrong password => BadCredentialError before anything is minted', async () => {
    const fake = await start();
    const e = await rejection(providerFor(fake, WRONG).issue({ purpose: PURPOSE }));
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(fake.minted).toBe(0);
  });
});

describe('verify', () => {
  it('true while valid; false after revoke, after expiry, and for a garbage token', async () => {
    const fake = await start();
    const provider = providerFor(fake);
    const a = await provider.issue({ lifetimeSeconds: 120, purpose: PURPOSE });
    const b = await provider.issue({ lifetimeSeconds: 3600, purpose: { ...PURPOSE, versionId: 'v-2' } });
    const heldA = { token: a.token, fields: a.fields ?? {} };
    const heldB = { token: b.token, fields: b.fields ?? {} };
    expect(await provider.verify(heldA)).toBe(true);
    expect(await provider.revoke(heldB)).toBe('revoked');
    expect(await provider.verify(heldB)).toBe(false);
    fake.clock.advance(121);
    expect(await provider.verify(heldA)).toBe(false);
    expect(await provider.verify({ token: 'not-a-token-at-all', fields: {} })).toBe(false);
  });

  it('a token pasted by hand (no tokenId) is verified with the list route', async () => {
    const fake = await start();
    const a = await providerFor(fake).issue({ purpose: PURPOSE });
    fake.resetStats();
    expect(await providerFor(fake).verify({ token: a.token, fields: {} })).toBe(true);
    expect(fake.stats()).toMatchObject({ list: 1, get: 0 });
  });
});

describe('revoke', () => {
  it('204 => revoked: the token stops working, others stay', async () => {
    const fake = await start();
    const provider = providerFor(fake);
    const a = await provider.issue({ purpose: PURPOSE });
    const b = await provider.issue({ purpose: { ...PURPOSE, versionId: 'v-2' } });
    expect(await provider.revoke({ token: a.token, fields: a.fields ?? {} })).toBe('revoked');
    expect(fake.isLive(a.token)).toBe(false);
    expect(fake.isLive(b.token)).toBe(true);
  });

  it('a second revoke of the same token => already-gone', async () => {
    const fake = await start();
    const provider = providerFor(fake);
    const a = await provider.issue({ purpose: PURPOSE });
    const held = { token: a.token, fields: a.fields ?? {} };
    expect(await provider.revoke(held)).toBe('revoked');
    expect(await provider.revoke(held)).toBe('already-gone');
  });

  it('an expired (not deleted) token is still deleted: revoked', async () => {
    const fake = await start();
    const provider = providerFor(fake);
    const a = await provider.issue({ lifetimeSeconds: 60, purpose: PURPOSE });
    fake.clock.advance(61);
    expect(await provider.revoke({ token: a.token, fields: a.fields ?? {} })).toBe('revoked');
    expect(fake.tokens()).toEqual([]);
  });

  it('the credential refused => BadCredentialError; the token is not taken as gone and stays live', async () => {
    const fake = await start();
    const a = await providerFor(fake).issue({ purpose: PURPOSE });
    const e = await rejection(providerFor(fake, WRONG).revoke({ token: a.token, fields: a.fields ?? {} }));
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(e.message).toContain('check username/password in the credential secret');
    expect(fake.isLive(a.token)).toBe(true);
  });

  it('uses Basic, not the token itself (a token may not delete itself by default)', async () => {
    const fake = await start({ quirks: { tokenMayDeleteItself: false } });
    const a = await providerFor(fake).issue({ purpose: PURPOSE });
    expect(await providerFor(fake, ALICE).revoke({ token: a.token, fields: a.fields ?? {} })).toBe('revoked');
    expect(fake.isLive(a.token)).toBe(false);
  });

  it('no tokenId (a token pasted by hand) => ValidationError saying a rotation replaces it, no call', async () => {
    const fake = await start();
    const a = await providerFor(fake).issue({ purpose: PURPOSE });
    fake.resetStats();
    for (const fields of [{}, { tokenId: '' }, { tokenId: { id: 1 } }]) {
      const e = (await rejection(providerFor(fake).revoke({ token: a.token, fields }))) as ValidationError;
      expect(e).toBeInstanceOf(ValidationError);
      expect(e.field).toBe('tokenId');
      expect(e.message).toMatch(/token secret has no tokenId/);
      expect(e.message).toMatch(/a rotation will replace it/);
      expect(e.message).not.toContain(a.token);
    }
    expect(fake.stats().total).toBe(0);
    expect(fake.isLive(a.token)).toBe(true);
  });
});
