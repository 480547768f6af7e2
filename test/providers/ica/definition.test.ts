import { describe, expect, it } from 'vitest';
import { ConfigError, ValidationError } from '../../../core/errors.js';
import { CANNOT_REVOKE, createIcaProvider, ica, icaBase, IcaClient } from '../../../core/providers/ica/index.js';
import { providerDefinition, providerNames } from '../../../core/providers/registry.js';
import { API_KEY, ALICE, KEY, PASSWORD, rejection, USERS } from './helpers.js';

const common = { host: 'https://ica.example.com', allowInsecureHttp: false };

describe('the ica definition', () => {
  it('is registered under "ica" beside tigergraph', () => {
    expect(providerNames()).toContain('ica');
    expect(providerDefinition('ica')).toBe(ica);
  });

  it('writes no token fields and sets no default lifetime (the tenant admin sets it)', () => {
    expect(ica.tokenFields).toEqual([]);
    expect(ica.defaultLifetimeSeconds).toBeUndefined();
    expect(ica.credentialShapes.map((s) => Object.keys(s).sort().join('+'))).toEqual(['apiKey', 'password+username']);
  });

  it('parses an optional tenant', () => {
    expect(ica.parseConfig({ ...common }, 'token secret').tenant).toBeUndefined();
    const config = ica.parseConfig({ ...common, tenant: 'lab-a', caCertificate: undefined }, 'token secret');
    expect(config).toEqual({ host: common.host, tenant: 'lab-a', allowInsecureHttp: false, caCertificate: undefined });
  });

  it.each([[''], [42], [null]])('refuses tenant %j, naming the provider and the field', (tenant) => {
    let error: unknown;
    try {
      ica.parseConfig({ ...common, tenant }, 'token secret my/secret');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/^ica: token secret my\/secret is invalid: tenant: expected/);
    expect((error as ValidationError).field).toBe('tenant');
  });

  it('accepts {"apiKey"} and {"username","password"}; with both, the API key wins', () => {
    expect(ica.parseCredentials({ apiKey: API_KEY }, 'credential secret c')).toEqual({ apiKey: API_KEY });
    expect(ica.parseCredentials({ username: ALICE, password: USERS[ALICE], note: 'kept out' }, 'credential secret c')).toEqual(PASSWORD);
    expect(ica.parseCredentials({ apiKey: API_KEY, username: ALICE, password: 'x' }, 'credential secret c')).toEqual({ apiKey: API_KEY });
  });

  it.each([
    ['an empty object', {}],
    ['an empty apiKey', { apiKey: '' }],
    ['a numeric apiKey', { apiKey: 12345678 }],
    ['a username alone', { username: ALICE }],
    ['a password alone', { password: 'only-the-Pa55word' }],
    ['an empty password', { username: ALICE, password: '' }],
    ['TigerGraph\'s shape', { secret: 'a-tigergraph-secret-value' }],
    ['null', null],
    ['an array', [API_KEY]],
    ['a string', API_KEY],
  ])('refuses %s with the expected shapes and never the values', (_what, raw) => {
    let error: unknown;
    try {
      ica.parseCredentials(raw, 'credential secret arn:aws:secretsmanager:eu-west-1:1:secret:ica-cred');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const message = (error as Error).message;
    expect(message).toBe('ica: credential secret arn:aws:secretsmanager:eu-west-1:1:secret:ica-cred is invalid: expected apiKey, or username and password');
    for (const value of [API_KEY, 'only-the-Pa55word', 'a-tigergraph-secret-value', '12345678']) expect(message).not.toContain(value);
  });
});

describe('the ica provider without a server', () => {
  it('API-key mode: refresh none; revoke none; routine revokes always; tokens may collide; version v2', async () => {
    const provider = createIcaProvider(common, KEY);
    expect(provider.name).toBe('ica');
    expect(await provider.version()).toBe('v2');
    expect(await provider.capabilities()).toEqual({ refresh: 'none', revoke: 'none', routineRevoke: 'always', tokensMayCollide: true });
  });

  it('password mode refreshes with a new token', async () => {
    const provider = createIcaProvider(common, PASSWORD);
    expect(await provider.capabilities()).toEqual({ refresh: 'new-token-retiring', revoke: 'none', routineRevoke: 'always', tokensMayCollide: true });
  });

  it('a direct revoke fails clearly (the core never calls it)', async () => {
    const provider = ica.open(ica.parseConfig(common, 'token secret'), KEY, { clock: { now: () => 0 }, allowInsecureHttp: false });
    const e = await rejection(provider.revoke({ token: 'eyJ.a.b', fields: {} }));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe(CANNOT_REVOKE);
    expect(e.message).toBe('ica cannot revoke tokens: a replaced JWT stays valid until it expires');
  });
});

describe('icaBase', () => {
  it('adds /ica/rest to the host, and defaults to https://ica.illumina.com', () => {
    expect(icaBase({ host: 'https://use1.platform.illumina.com' })).toBe('https://use1.platform.illumina.com/ica/rest');
    expect(icaBase({ host: 'https://h.example.com:8443' })).toBe('https://h.example.com:8443/ica/rest');
    expect(icaBase({})).toBe('https://ica.illumina.com/ica/rest');
    expect(new IcaClient({}, KEY).base).toBe('https://ica.illumina.com/ica/rest');
  });

  it('refuses plain http unless allowInsecureHttp, and non-http schemes', () => {
    expect(() => icaBase({ host: 'http://127.0.0.1:1' })).toThrow(ConfigError);
    expect(() => icaBase({ host: 'http://127.0.0.1:1' })).toThrow(/allowInsecureHttp/);
    expect(icaBase({ host: 'http://127.0.0.1:1', allowInsecureHttp: true })).toBe('http://127.0.0.1:1/ica/rest');
    expect(() => icaBase({ host: 'ftp://h.example.com' })).toThrow(ConfigError);
    expect(() => icaBase({ host: 'not a url' })).toThrow(ConfigError);
    expect(() => new IcaClient({ host: 'http://127.0.0.1:1' }, KEY)).toThrow(ConfigError);
  });
});

describe('the ica definition: origins and plan hints (issue 25)', () => {
  it('the one origin a binding must allow is the REST base of the host, with its port', () => {
    expect(ica.origins(ica.parseConfig(common, 'token secret t'))).toEqual(['https://ica.example.com:443/ica/rest']);
  });

  it('plan hints: every renewal a rotation, no revoke, tokens that may collide', () => {
    expect(ica.planHints?.({ provider: 'ica', host: common.host } as never)).toEqual({ renew: 'rotate', revoke: 'none', tokensMayCollide: true });
  });
});
