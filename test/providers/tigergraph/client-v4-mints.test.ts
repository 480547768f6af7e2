/**
 * 4.x: never the same token for two secrets (mints.ts), and a full block list as a typed error.
 * The fake makes same-second tokens byte-identical by default, and FrozenClock makes "same second"
 * certain, so the old client (no offset, no record) handed both secrets one token here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { HttpError, RevokeLimitError } from '../../../core/errors.js';
import { createTigerGraphProvider, decodeTigerGraphClaims, TigerGraphClient } from '../../../core/providers/tigergraph/index.js';
import { MAX_LIFETIME_OFFSET_SECONDS, offsetCount, pickOffset, RecentMints } from '../../../core/providers/tigergraph/mints.js';
import { connFor, FAST, FrozenClock, held, rejection, SECRET, USERS, useFakes } from './helpers.js';

const start = useFakes();
const span = (token: string) => {
  const c = decodeTigerGraphClaims(token)!;
  return c.exp! - c.iat!;
};

describe('4.x: different secrets never get the same token', () => {
  it('a token this process already handed out is set aside, not revoked, and minted again with another offset', async () => {
    const fake = await start({ version: 4, clock: new FrozenClock() });
    // Offset pinned to the first free one: both clients ask for the same lifetime first.
    const options = { ...FAST, random: () => 0 };
    const a = await new TigerGraphClient(connFor(fake), { secret: SECRET }, options).requestToken({ lifetimeSeconds: 3600 });
    const b = await new TigerGraphClient(connFor(fake), { secret: SECRET }, options).requestToken({ lifetimeSeconds: 3600 });
    expect(b.token).not.toBe(a.token);
    expect([span(a.token), span(b.token)]).toEqual([3600, 3599]);
    expect(b.expiresAt.getTime()).toBe(decodeTigerGraphClaims(b.token)!.exp! * 1000);
    expect(fake.stats()).toMatchObject({ request: 3, delete: 0, check: 0 }); // the duplicate was left alone
    expect(fake.isLive(a.token)).toBe(true);
  });

  it('parallel rotations of many secrets in one second all get distinct tokens', async () => {
    const fake = await start({ version: 4, clock: new FrozenClock() });
    const clients = Array.from({ length: 12 }, () => new TigerGraphClient(connFor(fake), { username: 'alice', password: USERS.alice }, FAST));
    const tokens = (await Promise.all(clients.map((c) => c.requestToken({ lifetimeSeconds: 86_400 })))).map((t) => t.token);
    expect(new Set(tokens).size).toBe(12);
    expect(tokens.every((t) => fake.isLive(t))).toBe(true);
  });

  it('the lifetime asked for is within a minute below the requested one, and varies per mint', async () => {
    const fake = await start({ version: 4 });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    const spans: number[] = [];
    for (let i = 0; i < 20; i++) spans.push(span((await client.requestToken({ lifetimeSeconds: 7200 })).token));
    for (const s of spans) expect(s).toBeGreaterThanOrEqual(7200 - MAX_LIFETIME_OFFSET_SECONDS);
    for (const s of spans) expect(s).toBeLessThanOrEqual(7200);
    expect(new Set(spans).size).toBeGreaterThan(1);
  });

  it('with a lifetime too short for another offset, it waits for the next second instead', async () => {
    const fake = await start({ version: 4, clock: new FrozenClock() });
    const a = await new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST).requestToken({ lifetimeSeconds: 15 });
    const pending = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST).requestToken({ lifetimeSeconds: 15 });
    await sleep(300); // the duplicate came back; the client now waits a second
    fake.clock.advance(1);
    const b = await pending;
    expect(b.token).not.toBe(a.token);
    expect([span(a.token), span(b.token)]).toEqual([15, 15]);
    expect(fake.stats().request).toBe(3);
  });
});

describe('mints.ts', () => {
  it('offsets: 0..59 for long lifetimes, a tenth of short ones, never all of it', () => {
    expect([offsetCount(604_800), offsetCount(3600), offsetCount(600), offsetCount(60), offsetCount(5)]).toEqual([60, 60, 60, 6, 1]);
    expect(pickOffset(60, new Set([0, 1, 2, 3, 4]), () => 0.99)).toBe(5);
    expect(pickOffset(60, new Set([0, 1, 2, 3, 4, 5]), Math.random)).toBeUndefined();
    expect(pickOffset(3600, new Set([0]), () => 0)).toBe(1);
  });

  it('RecentMints: a token is handed out once per scope within the window, then forgotten', () => {
    const r = new RecentMints(10_000);
    expect(r.claim('d|alice|G', 'tok', 1_000)).toBe(true);
    expect(r.claim('d|alice|G', 'tok', 5_000)).toBe(false);
    expect(r.claim('d|bob|G', 'tok', 5_000)).toBe(true);
    expect(r.claim('d|alice|G', 'tok', 11_001)).toBe(true); // the first entry expired
    expect(r.size).toBe(2);
    expect(r.claim('d|x|', 'other', 100_000)).toBe(true);
    expect(r.size).toBe(1);
  });
});

// Every UNCONFIRMED form of the 'refuse' answer the fake can send; the client recognises it by
// status and message since the body is unknown.
describe.each([
  { name: 'default (400, "reached the limit")', full: undefined },
  { name: '403 "block list is full"', full: { status: 403, message: 'The token block list is full.' } },
  { name: '409 "maximum ... exceeded"', full: { status: 409, message: 'Cannot drop more tokens: the maximum of {limit} was exceeded.' } },
  { name: '200 error:true "limit"', full: { status: 200, message: 'Drop token limit reached' } },
  { name: '500 "too many" (after retries)', full: { status: 500, message: 'Too many dropped tokens' } },
])('4.x block list full, refused: $name', ({ full }) => {
  it('=> RevokeLimitError saying what to do; the token still works and is not counted as revoked', async () => {
    const fake = await start({ version: 4, quirks: { blockListCapacity: 2, blockListWhenFull: 'refuse', ...(full ? { blockListFull: full } : {}) } });
    const p = createTigerGraphProvider(connFor(fake), { username: 'alice', password: USERS.alice }, FAST);
    const purpose = { secretName: 's', versionId: 'v' };
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push((await p.issue({ lifetimeSeconds: 3600 + 120 * i, purpose })).token);
    expect(await p.revoke(held(tokens[0]!))).toBe('revoked');
    expect(await p.revoke(held(tokens[1]!))).toBe('revoked');
    const e = await rejection(p.revoke(held(tokens[2]!)));
    expect(e).toBeInstanceOf(RevokeLimitError);
    expect((e as RevokeLimitError).code).toBe('REVOKE_LIMIT');
    expect(e.message).toContain('GSQL.Token.DropLimit');
    expect(e.message).toContain('DELETE /gsql/v1/tokens?clear=true');
    expect(e.message).toMatch(/still works/);
    for (const v of [...tokens, USERS.alice]) expect(e.message).not.toContain(v);
    expect(fake.isLive(tokens[2]!)).toBe(true);
  });
});

it('a block-list refusal that does not speak of a limit stays an HttpError (the heuristic is not a catch-all)', async () => {
  const fake = await start({ version: 4, quirks: { blockListCapacity: 1, blockListWhenFull: 'refuse', blockListFull: { status: 400, message: 'Bad request.' } } });
  const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
  const [a, b] = [await client.requestToken({ lifetimeSeconds: 3600 }), await client.requestToken({ lifetimeSeconds: 7200 })];
  await client.deleteToken(a.token);
  const e = await rejection(client.deleteToken(b.token));
  expect(e).toBeInstanceOf(HttpError);
  expect(e).not.toBeInstanceOf(RevokeLimitError);
});
