import { describe, expect, it } from 'vitest';
import { OffsetClock } from '../../../core/clock.js';
import { HttpError, RefreshUnsupportedError, TransportError } from '../../../core/errors.js';
import type { HttpRequestInfo } from '../../../core/http/transport.js';
import { createTigerGraphProvider } from '../../../core/providers/tigergraph/index.js';
import { connFor, FAST, held, PURPOSE, rejection, SECRET, USERS, useFakes } from './helpers.js';

const start = useFakes();

describe('TigerGraphProvider', () => {
  it('3.x lifecycle: issue, verify, refresh, revoke (idempotent)', async () => {
    const fake = await start({ version: 3 });
    const p = createTigerGraphProvider(connFor(fake, { tigergraphVersion: 'auto' }), { secret: SECRET }, { ...FAST, clock: fake.clock });
    expect(p.name).toBe('tigergraph');
    expect(await p.version()).toBe('3');
    expect((await p.capabilities()).refresh).toBe('in-place');
    const issued = await p.issue({ lifetimeSeconds: 600, purpose: PURPOSE });
    expect(await p.verify(held(issued.token))).toBe(true);
    const refreshed = await p.refresh(held(issued.token), { lifetimeSeconds: 1200 });
    expect(refreshed.token).toBe(issued.token);
    expect(refreshed.expiresAt!.getTime()).toBeGreaterThan(issued.expiresAt!.getTime());
    expect(await p.revoke(held(issued.token))).toBe('revoked');
    expect(await p.revoke(held(issued.token))).toBe('already-gone');
    expect(await p.verify(held(issued.token))).toBe(false);
  });

  it('4.x lifecycle: no refresh, revoke (idempotent), verify via REST++', async () => {
    const fake = await start({ version: 4 });
    const p = createTigerGraphProvider(connFor(fake, { tigergraphVersion: 'auto' }), { username: 'alice', password: USERS.alice }, FAST);
    expect(await p.version()).toBe('4');
    expect((await p.capabilities()).refresh).toBe('none');
    const issued = await p.issue({ lifetimeSeconds: 600, purpose: PURPOSE });
    await expect(p.refresh(held(issued.token), {})).rejects.toBeInstanceOf(RefreshUnsupportedError);
    expect(await p.verify(held(issued.token))).toBe(true);
    expect(await p.revoke(held(issued.token))).toBe('revoked');
    expect(await p.revoke(held(issued.token))).toBe('already-gone');
    expect(await p.verify(held(issued.token))).toBe(false);
  });

  it("revoking an expired 4.x token is 'already-gone' and needs no block-list call", async () => {
    const fake = await start({ version: 4 });
    const p = createTigerGraphProvider(connFor(fake), { secret: SECRET }, FAST);
    const { token } = await p.issue({ lifetimeSeconds: 60, purpose: PURPOSE });
    fake.clock.advance(61);
    expect(await p.revoke(held(token))).toBe('already-gone');
    expect(fake.stats().delete).toBe(0);
  });

  it.each([
    [3, { refresh: 'in-place', revoke: 'by-token', routineRevoke: 'always', tokensMayCollide: false }],
    // 4.x: no refresh; block lists fill up (routine revokes only for long-lived tokens); JWTs
    // without a unique claim can be identical for two secrets.
    [4, { refresh: 'none', revoke: 'by-token', routineRevoke: 'long-lived-only', tokensMayCollide: true }],
  ] as const)('%s.x reports its capabilities (detected, not configured)', async (version, expected) => {
    const fake = await start({ version });
    const p = createTigerGraphProvider(connFor(fake, { tigergraphVersion: 'auto' }), { secret: SECRET }, FAST);
    expect(await p.capabilities()).toEqual(expected);
  });

  it('verify is false on a REST-10016 refusal (401 or 403) but throws on 5xx and transport faults', async () => {
    const fake = await start({ version: 3, quirks: { invalidTokenStatus: 403 } });
    const p = createTigerGraphProvider(connFor(fake), { secret: SECRET }, { ...FAST, maxAttempts: 2 });
    expect(await p.verify(held('a'.repeat(32)))).toBe(false);
    fake.setFaults({ failNext: 2 });
    expect(await rejection(p.verify(held('a'.repeat(32))))).toBeInstanceOf(HttpError);
    fake.setFaults({ dropNext: 2 });
    expect(await rejection(p.verify(held('a'.repeat(32))))).toBeInstanceOf(TransportError);
  });

  it('verify is true for any token when REST++ authentication is off (nothing to refuse)', async () => {
    const fake = await start({ version: 3, authEnabled: false });
    const p = createTigerGraphProvider(connFor(fake), { secret: SECRET }, FAST);
    expect(await p.verify(held('whatever-token-value'))).toBe(true);
  });

  it('uses the given clock for 3.x issuedAt', async () => {
    const fake = await start({ version: 3 });
    const clock = new OffsetClock();
    clock.advance(-86400);
    const p = createTigerGraphProvider(connFor(fake), { secret: SECRET }, { ...FAST, clock });
    const issued = await p.issue({ purpose: PURPOSE });
    expect(Math.abs(issued.issuedAt.getTime() - clock.now())).toBeLessThan(1_000);
  });

  it('onRequest gets exactly op, method, url, status, attempt, durationMs (no headers, no bodies)', async () => {
    const fake = await start({ version: 4 });
    const seen: HttpRequestInfo[] = [];
    const p = createTigerGraphProvider(connFor(fake, { tigergraphVersion: 'auto' }), { secret: SECRET }, { ...FAST, onRequest: (i) => seen.push(i) });
    const { token } = await p.issue({ purpose: PURPOSE });
    await p.verify(held(token));
    await p.revoke(held(token));
    expect(seen.map((i) => `${i.op} ${i.method} ${new URL(i.url).pathname} ${i.status}`)).toEqual([
      'version GET /gsql/v1/version 200',
      'request POST /gsql/v1/tokens 200',
      'echo GET /restpp/echo 200',
      'check POST /gsql/v1/tokens/check 200',
      'delete DELETE /gsql/v1/tokens 200',
    ]);
    for (const info of seen) {
      expect(Object.keys(info).sort()).toEqual(['attempt', 'durationMs', 'method', 'op', 'status', 'url']);
      expect(info.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('a throwing onRequest hook does not break the call', async () => {
    const fake = await start({ version: 3 });
    const p = createTigerGraphProvider(connFor(fake), { secret: SECRET }, {
      ...FAST,
      onRequest: () => {
        throw new Error('logger down');
      },
    });
    expect(fake.isLive((await p.issue({ purpose: PURPOSE })).token)).toBe(true);
  });
});

describe('secrecy: no token, secret or password in any error message or onRequest info', () => {
  it('across failures of every kind on both versions', async () => {
    const password = USERS.alice;
    const fake3 = await start({
      version: 3,
      quirks: {
        unknownToken: { message: "Access Denied because the input token = '{token}' does not exist." },
        expiredToken: { code: 'REST-10019', status: 401, message: 'Token {token} expired' },
        wrongSecret: { message: 'The secret: {secret} does not exist.' },
      },
    });
    const fake4 = await start({ version: 4 });
    const infos: HttpRequestInfo[] = [];
    const opts = { ...FAST, maxAttempts: 2, onRequest: (i: HttpRequestInfo) => infos.push(i) };
    const p3 = createTigerGraphProvider(connFor(fake3), { secret: SECRET }, opts);
    const p3bad = createTigerGraphProvider(connFor(fake3), { secret: `${SECRET}-wrong` }, opts);
    const p4 = createTigerGraphProvider(connFor(fake4), { username: 'alice', password }, opts);
    const p4bad = createTigerGraphProvider(connFor(fake4), { username: 'alice', password: `${password}-wrong` }, opts);

    const t3 = (await p3.issue({ lifetimeSeconds: 60, purpose: PURPOSE })).token;
    const t4 = (await p4.issue({ lifetimeSeconds: 60, purpose: PURPOSE })).token;
    const errors: unknown[] = [];
    const collect = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        errors.push(e);
      }
    };
    await collect(p3bad.issue({ purpose: PURPOSE }));
    await collect(p3bad.revoke(held(t3)));
    await collect(p3bad.refresh(held(t3), {}));
    await collect(p4bad.issue({ purpose: PURPOSE }));
    await collect(p4bad.revoke(held(t4)));
    await collect(p3.refresh(held('u'.repeat(32)), {}));
    fake3.clock.advance(61);
    await collect(p3.refresh(held(t3), {}));
    await collect(p4.refresh(held(t4), {}));
    fake3.setFaults({ failNext: 2 });
    await collect(p3.verify(held(t3)));
    fake4.setFaults({ malformedNext: 1 });
    await collect(p4.issue({ purpose: PURPOSE }));
    fake4.setFaults({ dropNext: 2 });
    await collect(p4.verify(held(t4)));

    expect(errors.length).toBeGreaterThanOrEqual(10);
    const text = JSON.stringify([
      ...errors.map((e) => ({ name: (e as Error).name, message: (e as Error).message, ...(e as object) })),
      infos,
    ]);
    for (const secret of [t3, t4, SECRET, password, Buffer.from(`alice:${password}`).toString('base64')]) {
      expect(text).not.toContain(secret);
    }
    // The server did quote the token: it was redacted, not absent by luck.
    expect(text).toContain('[redacted]');
  });
});
