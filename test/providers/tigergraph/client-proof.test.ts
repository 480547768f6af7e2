/**
 * "Gone" is proven, never inferred: a refresh/delete refusal that could mean "credential refused"
 * is settled by REST++ GET /echo with the token. Against the old client (REST-10016 on PUT/DELETE
 * taken as "token gone") every BadCredentialError below was a TokenNotFoundError, so a failed
 * revoke counted as 'already-gone' and a failed refresh fell through to a rotation.
 */
import { describe, expect, it } from 'vitest';
import { BadCredentialError, HttpError, TokenNotFoundError } from '../../../core/errors.js';
import { createTigerGraphProvider, TigerGraphClient, type TigerGraphCredentials } from '../../../core/providers/tigergraph/index.js';
import type { FakeTigerGraphQuirks } from '../../../local/fakes/tigergraph/index.js';
import { connFor, FAST, held, rejection, SECRET, USERS, useFakes } from './helpers.js';

const start = useFakes();

const WRONG_SECRET = 'wrongwrongwrongwrongwrongwrong99';
const WRONG_PASSWORD = 'alice-wrong-password-000';
const GOOD: Record<string, TigerGraphCredentials> = { secret: { secret: SECRET }, basic: { username: 'alice', password: USERS.alice } };
const BAD: Record<string, TigerGraphCredentials> = { secret: { secret: WRONG_SECRET }, basic: { username: 'alice', password: WRONG_PASSWORD } };

/** Nothing sensitive in a message: the token in play, either secret or password, a Basic value. */
function expectClean(e: Error, token: string): void {
  for (const v of [token, SECRET, WRONG_SECRET, USERS.alice, WRONG_PASSWORD, Buffer.from(`alice:${WRONG_PASSWORD}`).toString('base64')]) {
    expect(e.message).not.toContain(v);
  }
}

// Every UNCONFIRMED form of a refused credential on PUT/DELETE the fake can send.
const REFUSALS: Array<{ name: string; quirks: FakeTigerGraphQuirks }> = [
  { name: 'REST-10016 401 (default: same answer as an invalid token)', quirks: {} },
  { name: 'REST-10016 403', quirks: { invalidTokenStatus: 403 } },
  { name: 'REST-10002 401 (distinct)', quirks: { tokenOpCredentialRefusal: 'wrong-secret' } },
  { name: 'REST-3300 "does not exist" (a refusal worded as token gone)', quirks: { tokenOpCredentialRefusal: 'wrong-secret', wrongSecret: { code: 'REST-3300', status: 404, message: "Token '{token}' does not exist." } } },
  { name: 'HTTP 200 error:true quoting the secret', quirks: { tokenOpCredentialRefusal: 'wrong-secret', wrongSecret: { status: 200, message: 'The secret {secret} is not valid.' } } },
];

describe.each(REFUSALS)('3.x refused credential on PUT/DELETE: $name', ({ quirks }) => {
  describe.each(['secret', 'basic'] as const)('with %s credentials', (kind) => {
    it('refresh of a live token => BadCredentialError "the token still works"; expiry untouched', async () => {
      const fake = await start({ version: 3, quirks });
      const { token, expiresAt } = await new TigerGraphClient(connFor(fake), GOOD[kind]!, FAST).requestToken({ lifetimeSeconds: 600 });
      const bad = new TigerGraphClient(connFor(fake), BAD[kind]!, FAST);
      const e = await rejection(bad.refreshToken(token, { lifetimeSeconds: 9_000 }));
      expect(e).toBeInstanceOf(BadCredentialError); // not TokenNotFoundError: no rotation follows
      expect(e.message).toMatch(/still works/);
      expectClean(e, token);
      expect(fake.isLive(token)).toBe(true);
      fake.clock.advance(601);
      expect(fake.isLive(token)).toBe(false); // the refused refresh did not extend it
      expect(fake.stats().echo).toBe(1);
      expect(expiresAt).toBeInstanceOf(Date);
    });

    it('revoke of a live token throws BadCredentialError: never counted as revoked or already gone', async () => {
      const fake = await start({ version: 3, quirks });
      const { token } = await new TigerGraphClient(connFor(fake), GOOD[kind]!, FAST).requestToken();
      const p = createTigerGraphProvider(connFor(fake), BAD[kind]!, FAST);
      const e = await rejection(p.revoke(held(token)));
      expect(e).toBeInstanceOf(BadCredentialError);
      expectClean(e, token);
      expect(fake.isLive(token)).toBe(true);
    });

    it("revoke of a token that is gone is 'already-gone' even with the wrong credential: REST++ refuses it too", async () => {
      const fake = await start({ version: 3, quirks });
      const good = new TigerGraphClient(connFor(fake), GOOD[kind]!, FAST);
      const { token } = await good.requestToken();
      await good.deleteToken(token);
      expect(await createTigerGraphProvider(connFor(fake), BAD[kind]!, FAST).revoke(held(token))).toBe('already-gone');
      const e = await rejection(new TigerGraphClient(connFor(fake), BAD[kind]!, FAST).refreshToken(token));
      expect(e).toBeInstanceOf(TokenNotFoundError);
      expect(e.message).toMatch(/GET \/echo refuses the token too/);
      expectClean(e, token);
    });
  });
});

// Every UNCONFIRMED form of "token gone" the fake can send, with the right credential.
describe.each([
  { name: 'REST-3300 404 (default)', quirks: {} },
  { name: 'HTTP 200 error:true quoting the token', quirks: { unknownToken: { status: 200, message: "Token '{token}' does not exist." } } },
  { name: 'REST-10016 401', quirks: { unknownToken: { code: 'REST-10016', status: 401, message: "Access Denied because the input token = '{token}' is invalid." } } },
])('3.x token gone: $name', ({ quirks }) => {
  it('refresh and delete => TokenNotFoundError, confirmed by REST++ GET /echo', async () => {
    const fake = await start({ version: 3, quirks });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    const token = 'q'.repeat(32);
    for (const e of [await rejection(client.refreshToken(token)), await rejection(client.deleteToken(token))]) {
      expect(e).toBeInstanceOf(TokenNotFoundError);
      expectClean(e, token);
    }
    expect(fake.stats().echo).toBe(2);
    expect(await createTigerGraphProvider(connFor(fake), { secret: SECRET }, FAST).revoke(held(token))).toBe('already-gone');
  });
});

describe('when the proof itself fails, nothing is proven', () => {
  it('a 5xx or dropped /echo propagates: the revoke is not counted and the refresh does not turn into a rotation', async () => {
    const fake = await start({ version: 3 });
    const { token } = await new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST).requestToken();
    const p = createTigerGraphProvider(connFor(fake), { secret: WRONG_SECRET }, { ...FAST, maxAttempts: 2 });
    fake.setFaults({ ops: ['echo'], errorRate: 1 });
    const e = await rejection(p.revoke(held(token)));
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).retryable).toBe(true);
    const r = await rejection(p.refresh(held(token), {}));
    expect(r).not.toBeInstanceOf(TokenNotFoundError);
    expect(fake.isLive(token)).toBe(true);
  });
});

describe('4.x: "not valid" at /gsql/v1/tokens/check is proven on REST++ too', () => {
  it('an expired token: check refuses, REST++ refuses => already gone, no block-list call', async () => {
    const fake = await start({ version: 4 });
    const p = createTigerGraphProvider(connFor(fake), { secret: SECRET }, FAST);
    const { token } = await p.issue({ lifetimeSeconds: 60, purpose: { secretName: 's', versionId: 'v' } });
    fake.clock.advance(61);
    expect(await p.revoke(held(token))).toBe('already-gone');
    expect(fake.stats()).toMatchObject({ check: 1, echo: 1, delete: 0 });
  });

  it('a wrong GSQL login on the block-list DELETE is BadCredentialError "the token still works"', async () => {
    const fake = await start({ version: 4 });
    const { token } = await new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST).requestToken();
    const e = await rejection(createTigerGraphProvider(connFor(fake), BAD.basic!, FAST).revoke(held(token)));
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(e.message).toMatch(/still works/);
    expectClean(e, token);
    expect(fake.isLive(token)).toBe(true);
  });
});
