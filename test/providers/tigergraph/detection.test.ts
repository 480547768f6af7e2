import { describe, expect, it } from 'vitest';
import { TransportError } from '../../../core/errors.js';
import { TigerGraphClient } from '../../../core/providers/tigergraph/index.js';
import { connFor, FAST, rejection, SECRET, useFakes } from './helpers.js';

const start = useFakes();

describe('version detection', () => {
  it('configured "3"/"4" is used as is: no detection call', async () => {
    const fake = await start({ version: 4 });
    expect(await new TigerGraphClient(connFor(fake), { secret: SECRET }, FAST).detectVersion()).toBe('4');
    expect(await new TigerGraphClient(connFor(fake, { tigergraphVersion: '3' }), { secret: SECRET }, FAST).detectVersion()).toBe('3');
    expect(fake.stats().total).toBe(0);
  });

  it('auto on 3.x: /gsql/v1/version is 404 => "3", then issues on /requesttoken', async () => {
    const fake = await start({ version: 3 });
    const client = new TigerGraphClient(connFor(fake, { tigergraphVersion: 'auto' }), { secret: SECRET }, FAST);
    expect(await client.detectVersion()).toBe('3');
    const issued = await client.requestToken();
    expect(issued.token).toMatch(/^[a-z0-9]{32}$/);
    expect(fake.stats()).toMatchObject({ version: 1, request: 1 });
  });

  it('auto on 4.x: /gsql/v1/version with the secret as __GSQL__secret => "4"', async () => {
    const fake = await start({ version: 4 });
    const client = new TigerGraphClient(connFor(fake, { tigergraphVersion: 'auto' }), { secret: SECRET }, FAST);
    expect(await client.detectVersion()).toBe('4');
    expect(fake.stats().version).toBe(1);
  });

  it('detects once per deployment and remembers it across clients (module cache), also for parallel calls', async () => {
    const fake = await start({ version: 4 });
    const conn = connFor(fake, { tigergraphVersion: 'auto' });
    const clients = [1, 2, 3].map(() => new TigerGraphClient(conn, { secret: SECRET }, FAST));
    const versions = await Promise.all(clients.flatMap((c) => [c.detectVersion(), c.detectVersion()]));
    expect(versions).toEqual(['4', '4', '4', '4', '4', '4']);
    await clients[0]!.requestToken();
    await new TigerGraphClient(conn, { secret: SECRET }, FAST).detectVersion();
    expect(fake.stats().version).toBe(1);
  });

  it('401 on /gsql/v1/version (auth on, version unknown) falls back to REST++ /version', async () => {
    const fake = await start({ version: 4 });
    const client = new TigerGraphClient(connFor(fake, { tigergraphVersion: 'auto' }), { username: 'nobody', password: 'x-x-x' }, FAST);
    expect(await client.detectVersion()).toBe('4');
    expect(fake.stats().version).toBe(2); // /gsql/v1/version (401), then /restpp/version (4.1.2)
  });

  it('parses a 3.x version from REST++ /version when GSQL refuses the login', async () => {
    // A 4.x layout that reports 3.x on /version: the parsed version wins over the layout.
    const fake = await start({ version: 4, quirks: { versionString: '3.11.0' } });
    const client = new TigerGraphClient(connFor(fake, { tigergraphVersion: 'auto' }), { username: 'nobody', password: 'x-x-x' }, FAST);
    expect(await client.detectVersion()).toBe('3');
  });

  it('when /version also needs a token, the token-endpoint trial decides: exists => "4"', async () => {
    const fake = await start({ version: 4, quirks: { versionRequiresToken: true } });
    const client = new TigerGraphClient(connFor(fake, { tigergraphVersion: 'auto' }), { username: 'nobody', password: 'x-x-x' }, FAST);
    expect(await client.detectVersion()).toBe('4');
    const s = fake.stats();
    expect(s.request).toBe(1); // the trial POST /gsql/v1/tokens without credential
    expect(fake.minted).toBe(0); // ...which cannot mint a token
  });

  it('nothing listening => TransportError, and the failure is not cached', async () => {
    const fake = await start({ version: 3 });
    const port = fake.port;
    await fake.close();
    const conn = connFor({ url: `http://127.0.0.1:${port}`, version: 3 }, { tigergraphVersion: 'auto' });
    const client = new TigerGraphClient(conn, { secret: SECRET }, { ...FAST, maxAttempts: 1 });
    const e = await rejection(client.detectVersion());
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).reason).toBe('refused');
    let revived;
    try {
      revived = await start({ version: 3, port });
    } catch {
      return; // the port was taken meanwhile: the first half still holds
    }
    expect(await client.detectVersion()).toBe('3');
    expect(revived.stats().version).toBe(1);
  });
});
