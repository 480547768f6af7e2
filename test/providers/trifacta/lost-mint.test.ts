/**
 * A create is not idempotent: when its answer is lost the token may exist without anyone holding
 * it. issue() must leave no orphan and a retry must end with exactly one live token per version.
 */
import { describe, expect, it } from 'vitest';
import { HttpError, TokenError, TransportError } from '../../../core/errors.js';
import { ALICE, allText, DESCRIPTION, FAST, providerFor, PURPOSE, rejection, secretsOf, useFakes } from './helpers.js';

const start = useFakes();

const liveWithDescription = (fake: { tokensWithDescription(d: string): { live: boolean }[] }) =>
  fake.tokensWithDescription(DESCRIPTION).filter((t) => t.live).length;

describe.each([
  ['drop', TransportError],
  ['error', HttpError],
  ['malformed', TransportError],
  ['hang', TransportError],
] as const)('the server mints, then the answer is lost (%s)', (lostMintAs, errorType) => {
  it('issue() throws a retryable error saying so, leaves no orphan, and a retry leaves exactly one token', async () => {
    const fake = await start({ faults: { lostMintNext: 1, lostMintAs, errorStatus: 502 } });
    const provider = providerFor(fake, ALICE, { ...FAST, timeoutMs: 300 });
    const e = await rejection(provider.issue({ lifetimeSeconds: 3600, purpose: PURPOSE }));
    expect(e).toBeInstanceOf(errorType);
    expect((e as TokenError).retryable).toBe(true);
    expect(e.message).toMatch(/answer to the token create was lost/);
    expect(e.message).toMatch(/1 orphan token\(s\) minted without an answer were deleted/);
    expect(fake.minted).toBe(1);
    expect(fake.stats().create).toBe(1); // never re-sent
    expect(fake.tokensWithDescription(DESCRIPTION)).toEqual([]);

    const issued = await provider.issue({ lifetimeSeconds: 3600, purpose: PURPOSE });
    expect(fake.stats().create).toBe(2);
    expect(liveWithDescription(fake)).toBe(1);
    expect(fake.tokensWithDescription(DESCRIPTION)[0]?.tokenId).toBe(issued.fields?.tokenId);
    expect(fake.isLive(issued.token)).toBe(true);
  });
});

describe('lost answers without a mint', () => {
  it('a 5xx before minting: sent once, nothing to delete, retryable HttpError', async () => {
    const fake = await start({ faults: { failNext: 1, ops: ['create'] } });
    const e = (await rejection(providerFor(fake).issue({ purpose: PURPOSE }))) as HttpError;
    expect(e).toBeInstanceOf(HttpError);
    expect(e.status).toBe(500);
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/0 orphan token\(s\)/);
    expect(fake.stats().create).toBe(1);
    expect(fake.minted).toBe(0);
  });

  it('a refusal (4xx) is no lost answer: no cleanup list after it', async () => {
    const fake = await start({ tokenUsers: ['bob'] });
    await rejection(providerFor(fake).issue({ purpose: PURPOSE }));
    expect(fake.stats()).toMatchObject({ create: 1, list: 1 }); // the pre-clean list only
  });
});

describe('cleanup that fails', () => {
  it('says the token may exist; the next attempt deletes it before minting: one live token', async () => {
    const fake = await start({ faults: { lostMintNext: 1, ops: ['create'] } });
    // Once the create's answer is lost (reported synchronously, before the next request), every
    // list fails: the cleanup cannot see the orphan.
    const provider = providerFor(fake, ALICE, {
      ...FAST,
      onRequest: (i) => {
        if (i.op === 'create' && i.error) fake.setFaults({ failNext: 100, ops: ['list'] });
      },
    });
    const e = await rejection(provider.issue({ purpose: PURPOSE }));
    expect(e).toBeInstanceOf(TransportError);
    expect(e.message).toMatch(/a token may have been minted and deleting it failed/);
    expect(e.message).toMatch(/the next attempt of this rotation step deletes it before minting/);
    expect(liveWithDescription(fake)).toBe(1); // the orphan

    fake.setFaults({});
    const issued = await provider.issue({ purpose: PURPOSE });
    const left = fake.tokensWithDescription(DESCRIPTION);
    expect(left.map((t) => t.tokenId)).toEqual([issued.fields?.tokenId]);
  });
});

describe('pre-clean', () => {
  it('deletes leftovers carrying this exact description before minting, and nothing else', async () => {
    const fake = await start();
    fake.addToken({ user: 'alice', description: DESCRIPTION });
    fake.addToken({ user: 'alice', description: DESCRIPTION });
    const otherVersion = fake.addToken({ user: 'alice', description: `${DESCRIPTION}-not` });
    const usersOwn = fake.addToken({ user: 'alice', description: 'my notebook token' });
    const bobs = fake.addToken({ user: 'bob', description: DESCRIPTION });
    const issued = await providerFor(fake).issue({ purpose: PURPOSE });
    const alices = fake.tokensWithDescription(DESCRIPTION).filter((t) => t.user === 'alice');
    expect(alices.map((t) => t.tokenId)).toEqual([issued.fields?.tokenId]);
    expect(fake.liveTokenIds().sort()).toEqual([otherVersion, usersOwn, bobs, issued.fields?.tokenId as string].sort());
  });

  it('leftovers beyond the first page are found (paging followed)', async () => {
    const fake = await start({ quirks: { pageSize: 2 } });
    for (let i = 0; i < 7; i++) fake.addToken({ user: 'alice', description: `other ${i}` });
    fake.addToken({ user: 'alice', description: DESCRIPTION }); // 8th: on the 4th page
    const issued = await providerFor(fake).issue({ purpose: PURPOSE });
    expect(fake.tokensWithDescription(DESCRIPTION).map((t) => t.tokenId)).toEqual([issued.fields?.tokenId]);
    expect(fake.liveTokenIds()).toHaveLength(8);
  });

  it('never puts the password, the Basic value or a token in a lost-answer message', async () => {
    const fake = await start({ faults: { lostMintNext: 1, lostMintAs: 'error' }, quirks: { quoteCredentials: true, errorBody: 'envelope' } });
    const e = await rejection(providerFor(fake).issue({ purpose: PURPOSE }));
    expect(e.message).toMatch(/answer to the token create was lost/);
    for (const s of secretsOf(ALICE)) expect(allText(e)).not.toContain(s);
  });
});
