/**
 * A self-managed 3.x cluster exposing only nginx on 14240 serves REST++ at `:14240/restpp`: the
 * token secret says so with `restppPath`, and without it the error says what to set. The old
 * fake served 3.x REST++ at the root and under /restpp alike, so a client could not get this wrong.
 */
import { describe, expect, it } from 'vitest';
import { AuthenticationDisabledError, HttpError, ValidationError } from '../../../core/errors.js';
import { createTigerGraphProvider, resolveBases, TigerGraphClient, tigergraph } from '../../../core/providers/tigergraph/index.js';
import { connFor, FAST, held, PURPOSE, rejection, SECRET, useFakes } from './helpers.js';

const start = useFakes();

describe('3.x behind nginx only (restppLayout "restpp")', () => {
  it('without restppPath: a 404 from no REST++ names restppPort 14240 and restppPath "/restpp"', async () => {
    const fake = await start({ version: 3, restppLayout: 'restpp' });
    const client = new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST);
    for (const e of [await rejection(client.requestToken()), await rejection(client.checkToken('t'.repeat(32)))]) {
      expect(e).toBeInstanceOf(HttpError);
      expect((e as HttpError).status).toBe(404);
      expect(e.message).toContain('set restppPort 14240 and restppPath "/restpp"');
    }
  });

  it.each(['3', 'auto'] as const)('with restppPath "/restpp" (tigergraphVersion %s): the whole lifecycle works', async (tigergraphVersion) => {
    const fake = await start({ version: 3, restppLayout: 'restpp' });
    const conn = connFor(fake, { tigergraphVersion, restppPath: '/restpp' });
    expect(resolveBases(conn, '3').restpp).toBe(`${fake.url}/restpp`);
    const p = createTigerGraphProvider(conn, { secret: SECRET }, { ...FAST, clock: fake.clock });
    expect(await p.version()).toBe('3');
    const issued = await p.issue({ lifetimeSeconds: 600, purpose: PURPOSE });
    expect(await p.verify(held(issued.token))).toBe(true);
    const refreshed = await p.refresh(held(issued.token), { lifetimeSeconds: 1200 });
    expect(refreshed.expiresAt!.getTime()).toBeGreaterThan(issued.expiresAt!.getTime());
    expect(await p.revoke(held(issued.token))).toBe('revoked');
    expect(await p.revoke(held(issued.token))).toBe('already-gone');
    expect(fake.isLive(issued.token)).toBe(false);
  });

  it('restppPath "/restpp" against a REST++ at the root: REST++ names the path, not "enable authentication"', async () => {
    const fake = await start({ version: 3 });
    const client = new TigerGraphClient(connFor(fake, { restppPath: '/restpp' }), { secret: SECRET }, FAST);
    const e = await rejection(client.requestToken());
    expect(e).toBeInstanceOf(HttpError);
    expect(e).not.toBeInstanceOf(AuthenticationDisabledError);
    expect(e.message).toMatch(/check restppPath and restppPort/);
    // REST++ with authentication off still says so, whatever the layout.
    const off = await start({ version: 3, restppLayout: 'restpp', authEnabled: false });
    const e2 = await rejection(new TigerGraphClient(connFor(off, { restppPath: '/restpp' }), { secret: SECRET }, FAST).requestToken());
    expect(e2).toBeInstanceOf(AuthenticationDisabledError);
  });
});

describe('restppPath in the token secret (definition)', () => {
  const base = { host: 'https://tg.example.com', allowInsecureHttp: false };

  it.each([
    ['/restpp', '/restpp'],
    ['/restpp/', '/restpp'],
    ['/', ''],
    ['/a/b', '/a/b'],
  ])('%j is accepted as %j', (given, expected) => {
    expect(tigergraph.parseConfig({ ...base, restppPath: given }, 'token secret t').restppPath).toBe(expected);
  });

  it('absent stays absent (the per-deployment default applies)', () => {
    expect(tigergraph.parseConfig(base, 'token secret t').restppPath).toBeUndefined();
  });

  it.each(['restpp', '/restpp?x=1', '/restpp#top', '/rest pp', '', 5])('%j is refused, naming the field', (given) => {
    const e = (() => {
      try {
        tigergraph.parseConfig({ ...base, restppPath: given }, 'token secret t');
      } catch (err) {
        return err as ValidationError;
      }
      throw new Error('accepted');
    })();
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.field).toBe('restppPath');
    expect(e.message).toMatch(/tigergraph: token secret t is invalid: restppPath: expected/);
  });
});
