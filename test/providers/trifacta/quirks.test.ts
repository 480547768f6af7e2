/** Every UNCONFIRMED item of the protocol, one fake variant at a time: the client must not depend on one form. */
import { describe, expect, it } from 'vitest';
import { AuthenticationDisabledError, BadCredentialError } from '../../../core/errors.js';
import type { FakeListPaging } from '../../../local/fakes/trifacta/index.js';
import { ALICE, clientFor, DESCRIPTION, providerFor, PURPOSE, rejection, useFakes, WRONG } from './helpers.js';

const start = useFakes();

describe.each<FakeListPaging>(['offset', 'offset-count', 'link', 'single', 'single-strict'])('list paging %s', (listPaging) => {
  it('every token is listed once, however the pages come', async () => {
    const fake = await start({ quirks: { listPaging, pageSize: 2 } });
    const ids = Array.from({ length: 7 }, (_, i) => fake.addToken({ user: 'alice', description: `t${i}` }));
    fake.addToken({ user: 'bob', description: 'bob' });
    const listed = await clientFor(fake).listTokens();
    expect(listed.map((t) => t.tokenId).sort()).toEqual([...ids].sort());
  });

  it('a leftover on the last page is deleted before minting', async () => {
    const fake = await start({ quirks: { listPaging, pageSize: 2 } });
    for (let i = 0; i < 5; i++) fake.addToken({ user: 'alice', description: `t${i}` });
    fake.addToken({ user: 'alice', description: DESCRIPTION });
    const issued = await providerFor(fake).issue({ purpose: PURPOSE });
    expect(fake.tokensWithDescription(DESCRIPTION).map((t) => t.tokenId)).toEqual([issued.fields?.tokenId]);
  });

  it('an empty list', async () => {
    const fake = await start({ quirks: { listPaging } });
    expect(await clientFor(fake).listTokens()).toEqual([]);
  });
});

describe.each([401, 403] as const)('a refused token answers %s', (tokenRefusalStatus) => {
  it('verify is false for a deleted, an expired and an unknown token; true for a live one', async () => {
    const fake = await start({ quirks: { tokenRefusalStatus } });
    const provider = providerFor(fake);
    const live = await provider.issue({ lifetimeSeconds: 3600, purpose: PURPOSE });
    const deleted = await provider.issue({ lifetimeSeconds: 3600, purpose: { ...PURPOSE, versionId: 'v-2' } });
    const expiring = await provider.issue({ lifetimeSeconds: 60, purpose: { ...PURPOSE, versionId: 'v-3' } });
    await provider.revoke({ token: deleted.token, fields: deleted.fields ?? {} });
    fake.clock.advance(61);
    expect(await provider.verify({ token: live.token, fields: live.fields ?? {} })).toBe(true);
    expect(await provider.verify({ token: deleted.token, fields: deleted.fields ?? {} })).toBe(false);
    expect(await provider.verify({ token: expiring.token, fields: expiring.fields ?? {} })).toBe(false);
    expect(await provider.verify({ token: 'unknown-token-value', fields: {} })).toBe(false);
  });
});

describe.each([401, 403] as const)('a wrong password answers %s', (credentialRefusalStatus) => {
  it('issue and revoke throw BadCredentialError; nothing minted, nothing taken as gone', async () => {
    const fake = await start({ quirks: { credentialRefusalStatus } });
    const held = await providerFor(fake).issue({ purpose: PURPOSE });
    const issue = await rejection(providerFor(fake, WRONG).issue({ purpose: { ...PURPOSE, versionId: 'v-2' } }));
    expect(issue).toBeInstanceOf(BadCredentialError);
    expect(issue.message).toContain(`HTTP ${credentialRefusalStatus}`);
    const revoke = await rejection(providerFor(fake, WRONG).revoke({ token: held.token, fields: held.fields ?? {} }));
    expect(revoke).toBeInstanceOf(BadCredentialError);
    expect(fake.minted).toBe(1);
    expect(fake.isLive(held.token)).toBe(true);
  });
});

describe.each([
  ['envelope', 'error'],
  ['envelope', 'empty'],
  ['plain', 'error'],
  ['plain', 'empty'],
] as const)('error bodies %s, unknown-id 404 %s', (errorBody, unknownIdBody) => {
  it('revoking an unknown id is already-gone (proven by the server or by a list without it)', async () => {
    const fake = await start({ quirks: { errorBody, unknownIdBody } });
    fake.addToken({ user: 'alice', description: 'unrelated' });
    expect(await providerFor(fake).revoke({ token: 'gone-token-value', fields: { tokenId: 'deleted-long-ago' } })).toBe('already-gone');
    // Only the documented DataNotFoundException is taken at its word; any other 404 is checked.
    expect(fake.stats().list > 0).toBe(!(errorBody === 'envelope' && unknownIdBody === 'error'));
    expect(fake.liveTokenIds()).toHaveLength(1);
  });

  it('API access tokens disabled (404 route): issue, revoke and verify throw AuthenticationDisabledError', async () => {
    const fake = await start({ quirks: { errorBody, unknownIdBody } });
    const held = await providerFor(fake).issue({ purpose: PURPOSE });
    fake.setQuirks({ featureDisabled: 'route' });
    const provider = providerFor(fake);
    for (const p of [
      provider.issue({ purpose: { ...PURPOSE, versionId: 'v-2' } }),
      provider.revoke({ token: held.token, fields: held.fields ?? {} }),
      provider.verify({ token: held.token, fields: held.fields ?? {} }),
    ]) {
      const e = await rejection(p);
      expect(e).toBeInstanceOf(AuthenticationDisabledError);
      expect(e.message).toMatch(/API access tokens are disabled for this workspace or not allowed to this user/);
      // The envelope's message is quoted; a plain-text page is only read for those words, never quoted.
      expect(e.message).toMatch(errorBody === 'envelope' ? /RouteNotFoundException: "Route doesn't exist"/ : /HTTP 404, text\/plain, 19 bytes/);
    }
    expect(fake.minted).toBe(1);
  });

  it('API access tokens not allowed (403 on create): AuthenticationDisabledError, nothing minted', async () => {
    const fake = await start({ quirks: { errorBody, unknownIdBody, featureDisabled: 'forbidden' } });
    const e = await rejection(providerFor(fake).issue({ purpose: PURPOSE }));
    expect(e).toBeInstanceOf(AuthenticationDisabledError);
    expect(e.message).toContain(`POST ${fake.url}/v4/apiAccessTokens (create)`);
    expect(e.message).toMatch(/not allowed to this user or are disabled for the workspace/);
    expect(fake.minted).toBe(0);
  });
});

describe.each([true, false])('a token may delete itself: %s', (tokenMayDeleteItself) => {
  it('revoke works either way (it deletes with the credential secret, never with the token)', async () => {
    const fake = await start({ quirks: { tokenMayDeleteItself } });
    const a = await providerFor(fake).issue({ purpose: PURPOSE });
    expect(await providerFor(fake, ALICE).revoke({ token: a.token, fields: a.fields ?? {} })).toBe('revoked');
    expect(fake.isLive(a.token)).toBe(false);
  });
});

describe.each([
  { omittedLifetime: 'rejected', minusOneLifetime: 'rejected' },
  { omittedLifetime: 'non-expiring', minusOneLifetime: 'non-expiring' },
  { omittedLifetime: 'default', minusOneLifetime: 'rejected' },
] as const)('lifetime quirks %j', (quirks) => {
  it('issue always asks for a positive lifetime, so the token expires when asked', async () => {
    const fake = await start({ quirks, defaultLifetimeSeconds: 999 });
    const issued = await providerFor(fake).issue({ lifetimeSeconds: 7200, purpose: PURPOSE });
    expect((issued.expiresAt as Date).getTime() - issued.issuedAt.getTime()).toBe(7_200_000);
    const defaulted = await providerFor(fake).issue({ purpose: { ...PURPOSE, versionId: 'v-2' } });
    expect((defaulted.expiresAt as Date).getTime() - defaulted.issuedAt.getTime()).toBe(2_592_000_000);
  });
});

describe.each(['opaque', 'base64-json'] as const)('token values %s', (tokenFormat) => {
  it('the tokenId comes from tokenInfo, and the value is used as it is', async () => {
    const fake = await start({ quirks: { tokenFormat } });
    const issued = await providerFor(fake).issue({ purpose: PURPOSE });
    const [view] = fake.tokensWithDescription(DESCRIPTION);
    expect(issued.fields).toEqual({ tokenId: view?.tokenId });
    expect(await providerFor(fake).verify({ token: issued.token, fields: issued.fields ?? {} })).toBe(true);
    const decoded = (() => {
      try {
        return JSON.parse(Buffer.from(issued.token, 'base64').toString('utf8')) as { tokenId?: string };
      } catch {
        return undefined;
      }
    })();
    expect(decoded?.tokenId === view?.tokenId).toBe(tokenFormat === 'base64-json');
  });
});
