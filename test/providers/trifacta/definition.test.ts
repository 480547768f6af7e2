/** The `trifacta` definition: registry entry, token secret and credential parsing, capabilities, refresh. */
import { describe, expect, it } from 'vitest';
import { OffsetClock } from '../../../core/clock.js';
import { ConfigError, RefreshUnsupportedError, ValidationError } from '../../../core/errors.js';
import { providerDefinition, providerNames } from '../../../core/providers/registry.js';
import { tokenDescription, trifacta } from '../../../core/providers/trifacta/index.js';
import { ALICE, DESCRIPTION, PURPOSE, rejection, useFakes } from './helpers.js';

const start = useFakes();
const context = { clock: new OffsetClock(), allowInsecureHttp: true };
const common = { host: 'https://acme.cloud.trifacta.com', allowInsecureHttp: false };

describe('trifacta definition', () => {
  it('is registered under "trifacta" with its defaults', () => {
    expect(providerNames()).toContain('trifacta');
    const d = providerDefinition('trifacta');
    expect(d).toBe(trifacta);
    expect(d.defaultLifetimeSeconds).toBe(2_592_000);
    expect(d.tokenFields).toEqual(['tokenId']);
    expect(d.credentialShapes).toEqual([{ username: '...', password: '...' }]);
  });

  it('parseConfig takes the common fields and tolerates unexpected provider fields', () => {
    const config = trifacta.parseConfig({ ...common, caCertificate: '-----BEGIN CERT', tokenId: 'abc', note: 'kept' }, 'token secret s');
    expect(config).toEqual({ host: common.host, allowInsecureHttp: false, caCertificate: '-----BEGIN CERT' });
  });

  it('parseCredentials accepts {"username", "password"} (extra fields tolerated)', () => {
    expect(trifacta.parseCredentials({ username: 'alice', password: 'pw-123', note: 'x' }, 'credential secret c')).toEqual({ username: 'alice', password: 'pw-123' });
  });

  it.each([
    ['a TigerGraph-style secret', { secret: 'tg-secret-value-123' }, 'username'],
    ['a missing password', { username: 'alice' }, 'password'],
    ['an empty password', { username: 'alice', password: '' }, 'password'],
    ['a number for a username', { username: 12345, password: 'pw-secret-999' }, 'username'],
    ['not an object', 'alice:pw-secret-999', undefined],
  ])('parseCredentials refuses %s: names the provider and the expected shape, never the values', (_name, raw, field) => {
    let error: unknown;
    try {
      trifacta.parseCredentials(raw, 'credential secret arn:cred');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const e = error as ValidationError;
    expect(e.message).toMatch(/^trifacta: credential secret arn:cred is invalid: /);
    expect(e.message).toContain('expected {"username": "...", "password": "..."}');
    if (field) expect(e.message).toContain(`${field}:`);
    for (const value of ['tg-secret-value-123', 'pw-secret-999', '12345', 'alice:pw']) expect(e.message).not.toContain(value);
  });

  it('open() refuses a plain http:// host unless allowInsecureHttp is set (ConfigError naming trifacta)', () => {
    const config = trifacta.parseConfig({ host: 'http://127.0.0.1:3005', allowInsecureHttp: false }, 'token secret s');
    expect(() => trifacta.open(config, ALICE, context)).toThrow(ConfigError);
    expect(() => trifacta.open(config, ALICE, context)).toThrow(/trifacta: host: http:\/\/127\.0\.0\.1:3005 uses plain http/);
    expect(() => trifacta.open({ ...config, allowInsecureHttp: true }, ALICE, context)).not.toThrow();
  });

  it('capabilities, version and name', async () => {
    const provider = trifacta.open(trifacta.parseConfig(common, 's'), ALICE, context);
    expect(provider.name).toBe('trifacta');
    expect(await provider.version()).toBe('v4');
    expect(await provider.capabilities()).toEqual({ refresh: 'none', revoke: 'by-id', routineRevoke: 'always', tokensMayCollide: false });
  });

  it('refresh throws RefreshUnsupportedError without calling the server', async () => {
    const fake = await start();
    const provider = trifacta.open({ host: fake.url, allowInsecureHttp: true }, ALICE, context);
    const e = await rejection(provider.refresh({ token: 'whatever-token-value', fields: { tokenId: 'x' } }, { lifetimeSeconds: 60 }));
    expect(e).toBeInstanceOf(RefreshUnsupportedError);
    expect(e.message).toMatch(/never be modified or extended/);
    expect(fake.stats().total).toBe(0);
  });

  it('tokenDescription names the product, the secret and the version, one per version', () => {
    expect(tokenDescription(PURPOSE)).toBe(DESCRIPTION);
    expect(tokenDescription({ ...PURPOSE, versionId: 'other' })).not.toBe(DESCRIPTION);
    expect(tokenDescription({ ...PURPOSE, secretName: 'team/other' })).not.toBe(DESCRIPTION);
  });

  it('open() wires the context: issue against the fake uses the clock and the tuning', async () => {
    const fake = await start();
    const seen: string[] = [];
    const provider = trifacta.open({ host: fake.url, allowInsecureHttp: true }, ALICE, {
      clock: fake.clock,
      allowInsecureHttp: true,
      http: { onRequest: (i) => seen.push(`${i.op} ${i.method} ${i.status}`) },
    });
    const issued = await provider.issue({ purpose: PURPOSE });
    expect(fake.isLive(issued.token)).toBe(true);
    expect(seen).toEqual(['list GET 200', 'create POST 201']);
  });
});

describe('the trifacta definition: origins and plan hints (issue 25)', () => {
  it('the one origin a binding must allow is the host', () => {
    expect(trifacta.origins(trifacta.parseConfig(common, 'token secret t'))).toEqual(['https://acme.cloud.trifacta.com:443']);
  });

  it('plan hints: every renewal a rotation, revoked by id, tokens that never collide', () => {
    expect(trifacta.planHints?.({ provider: 'trifacta', host: common.host } as never)).toEqual({ renew: 'rotate', revoke: 'revoke', tokensMayCollide: false });
  });
});
