import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/errors.js';
import { createTigerGraphProvider, isCloudHost, resolveBases, TigerGraphClient } from '../../../core/providers/tigergraph/index.js';
import { deploymentKey } from '../../../core/providers/tigergraph/urls.js';

const selfManaged = { host: 'https://tg.example.com', allowInsecureHttp: false };

describe('resolveBases', () => {
  it('3.x self-managed: REST++ on 9000 at the root, GSQL on 14240', () => {
    expect(resolveBases(selfManaged, '3')).toEqual({ restpp: 'https://tg.example.com:9000', gsql: 'https://tg.example.com:14240' });
  });

  it('4.x self-managed: REST++ under /restpp on 14240, GSQL on 14240', () => {
    expect(resolveBases(selfManaged, '4')).toEqual({
      restpp: 'https://tg.example.com:14240/restpp',
      gsql: 'https://tg.example.com:14240',
    });
  });

  it.each([
    ['https://mycluster.i.tgcloud.io', '3'],
    ['https://mycluster.i.tgcloud.io', '4'],
    ['https://abc.tgcloud-dev.com', '3'],
    ['https://workspace.savanna.example.com', '4'],
  ] as const)('Cloud/Savanna %s (%s): 443 with /restpp, GSQL on 443', (host, version) => {
    const origin = new URL(host).origin;
    expect(resolveBases({ host, allowInsecureHttp: false }, version)).toEqual({ restpp: `${origin}/restpp`, gsql: origin });
  });

  it('explicit restppPort on 3.x is the REST++ root; on 4.x it keeps /restpp', () => {
    const conn = { ...selfManaged, restppPort: 9443, gsqlPort: 14241 };
    expect(resolveBases(conn, '3')).toEqual({ restpp: 'https://tg.example.com:9443', gsql: 'https://tg.example.com:14241' });
    expect(resolveBases(conn, '4')).toEqual({ restpp: 'https://tg.example.com:9443/restpp', gsql: 'https://tg.example.com:14241' });
  });

  it('Cloud Classic before June 2022: explicit restppPort 9000 puts 3.x REST++ at the root', () => {
    const conn = { host: 'https://old.i.tgcloud.io', allowInsecureHttp: false, restppPort: 9000 };
    expect(resolveBases(conn, '3')).toEqual({ restpp: 'https://old.i.tgcloud.io:9000', gsql: 'https://old.i.tgcloud.io' });
  });

  it('4.x without restppPort reaches REST++ through the GSQL port', () => {
    expect(resolveBases({ ...selfManaged, gsqlPort: 8443 }, '4').restpp).toBe('https://tg.example.com:8443/restpp');
  });

  it('a port written in host is used for both services unless overridden', () => {
    const conn = { host: 'http://127.0.0.1:5555', allowInsecureHttp: true };
    expect(resolveBases(conn, '3')).toEqual({ restpp: 'http://127.0.0.1:5555', gsql: 'http://127.0.0.1:5555' });
    expect(resolveBases(conn, '4')).toEqual({ restpp: 'http://127.0.0.1:5555/restpp', gsql: 'http://127.0.0.1:5555' });
    expect(resolveBases({ ...conn, gsqlPort: 6000 }, '3').gsql).toBe('http://127.0.0.1:6000');
  });

  it('restppPath on 3.x means "through nginx": the GSQL port (14240, or explicit ports) with that path', () => {
    expect(resolveBases({ ...selfManaged, restppPath: '/restpp' }, '3').restpp).toBe('https://tg.example.com:14240/restpp');
    expect(resolveBases({ ...selfManaged, restppPath: '/restpp', gsqlPort: 8443 }, '3').restpp).toBe('https://tg.example.com:8443/restpp');
    expect(resolveBases({ ...selfManaged, restppPath: '/restpp', restppPort: 14240 }, '3').restpp).toBe('https://tg.example.com:14240/restpp');
    // "" is the root: REST++ itself on a non-default port.
    expect(resolveBases({ ...selfManaged, restppPath: '', restppPort: 9001 }, '3').restpp).toBe('https://tg.example.com:9001');
    expect(resolveBases({ host: 'https://x.i.tgcloud.io', allowInsecureHttp: false, restppPath: '/rest' }, '3').restpp).toBe('https://x.i.tgcloud.io/rest');
  });

  it('restppPath replaces /restpp on 4.x too', () => {
    expect(resolveBases({ ...selfManaged, restppPath: '/api/restpp' }, '4')).toEqual({
      restpp: 'https://tg.example.com:14240/api/restpp',
      gsql: 'https://tg.example.com:14240',
    });
  });

  it('refuses http:// without allowInsecureHttp, naming the option', () => {
    const e = (() => {
      try {
        resolveBases({ host: 'http://tg.example.com', allowInsecureHttp: false }, '3');
      } catch (err) {
        return err as Error;
      }
      throw new Error('no error');
    })();
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain('allowInsecureHttp');
    // Names the provider, and what plain http would send in clear.
    expect(e.message).toMatch(/^tigergraph: host: .*the TigerGraph secret and the tokens/);
  });

  it('the client and the factory refuse http:// without allowInsecureHttp before any network call', () => {
    const conn = { host: 'http://127.0.0.1:1', tigergraphVersion: '3' as const, allowInsecureHttp: false };
    expect(() => new TigerGraphClient(conn, { secret: 's' })).toThrow(ConfigError);
    expect(() => createTigerGraphProvider(conn, { secret: 's' })).toThrow(ConfigError);
    expect(() => createTigerGraphProvider({ ...conn, allowInsecureHttp: true }, { secret: 's' })).not.toThrow();
  });

  it('refuses other schemes', () => {
    expect(() => resolveBases({ host: 'ftp://tg.example.com', allowInsecureHttp: true }, '4')).toThrow(ConfigError);
  });

  it('deploymentKey separates ports and ignores the version', () => {
    expect(deploymentKey({ ...selfManaged, restppPort: 1 })).not.toBe(deploymentKey({ ...selfManaged, restppPort: 2 }));
    expect(deploymentKey(selfManaged)).toBe(deploymentKey({ ...selfManaged }));
    expect(deploymentKey({ ...selfManaged, restppPath: '/restpp' })).not.toBe(deploymentKey(selfManaged));
    expect(deploymentKey({ ...selfManaged, gsqlPort: 14241 })).not.toBe(deploymentKey(selfManaged));
    expect(deploymentKey({ ...selfManaged, gsqlPort: 14241 })).not.toBe(deploymentKey({ ...selfManaged, gsqlPort: 14242 }));
    expect(deploymentKey({ ...selfManaged, restppPath: '/a' })).not.toBe(deploymentKey({ ...selfManaged, restppPath: '/b' }));
    expect(deploymentKey({ ...selfManaged, host: 'https://other.example.com' })).not.toBe(deploymentKey(selfManaged));
  });

  it("deploymentKey is the host's origin, not its spelling, and refuses a host the client would refuse", () => {
    expect(deploymentKey({ ...selfManaged, host: 'https://TG.example.com:443' })).toBe(deploymentKey(selfManaged));
    expect(() => deploymentKey({ host: 'http://tg.example.com', allowInsecureHttp: false })).toThrow(ConfigError);
  });
});

describe('isCloudHost', () => {
  it.each([
    ['x.i.tgcloud.io', true],
    ['X.I.TGCLOUD.IO', true],
    ['tg-savanna.example.com', true],
    ['tg.example.com', false],
    ['localhost', false],
  ])('%s -> %s', (host, cloud) => {
    expect(isCloudHost(host)).toBe(cloud);
  });
});
