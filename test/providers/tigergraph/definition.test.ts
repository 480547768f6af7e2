/** The `tigergraph` definition (core/providers/tigergraph/index.ts): registry entry, fields and credentials, the origins a binding must allow, status fields and plan hints. */
import { describe, expect, it } from 'vitest';
import { OffsetClock } from '../../../core/clock.js';
import { ValidationError } from '../../../core/errors.js';
import { providerDefinition } from '../../../core/providers/registry.js';
import { DEFAULT_LIFETIME_SECONDS, tigergraph, TigerGraphProvider } from '../../../core/providers/tigergraph/index.js';

const common = { host: 'https://tg.example.com', allowInsecureHttp: false };
const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as ValidationError;
  }
  throw new Error('accepted');
};

describe('tigergraph definition', () => {
  it('is registered under "tigergraph" with a 30-day default lifetime and two credential shapes', () => {
    expect(providerDefinition('tigergraph')).toBe(tigergraph);
    expect(DEFAULT_LIFETIME_SECONDS).toBe(30 * 86_400);
    expect(tigergraph.defaultLifetimeSeconds).toBe(DEFAULT_LIFETIME_SECONDS);
    expect(tigergraph.tokenFields).toEqual([]);
    expect(tigergraph.credentialShapes).toEqual([{ secret: '<TigerGraph secret>' }, { username: '...', password: '...' }]);
    expect(tigergraph.connectionFields).toEqual(['tigergraphVersion', 'restppPort', 'gsqlPort', 'graph', 'restppPath']);
  });

  it('parseConfig: "auto" by default, the fields given, the common ones, and nothing else', () => {
    expect(tigergraph.parseConfig({ ...common, caCertificate: 'CA', note: 'x' }, 'token secret t')).toEqual({
      host: common.host,
      tigergraphVersion: 'auto',
      restppPort: undefined,
      restppPath: undefined,
      gsqlPort: undefined,
      graph: undefined,
      allowInsecureHttp: false,
      caCertificate: 'CA',
    });
    expect(tigergraph.parseConfig({ ...common, tigergraphVersion: '4', restppPort: 9443, gsqlPort: 14241, graph: 'g', restppPath: '/api//' }, 'token secret t')).toMatchObject({
      tigergraphVersion: '4',
      restppPort: 9443,
      gsqlPort: 14241,
      graph: 'g',
      restppPath: '/api',
    });
  });

  it('parseConfig refuses by field, saying whose fields they were', () => {
    const e = errorOf(() => tigergraph.parseConfig({ ...common, tigergraphVersion: '5', graph: '' }, 'token secret t'));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe('tigergraph: token secret t is invalid: tigergraphVersion: expected one of "3", "4", "auto"; graph: expected a non-empty string');
    expect(errorOf(() => tigergraph.parseConfig({ ...common, restppPath: 'restpp' }, 'token secret t')).message).toContain(
      'restppPath: expected a URL path starting with "/" without query, fragment or spaces, e.g. "/restpp"',
    );
    for (const bad of ['/a b', '/a?x', '/a#x']) expect(() => tigergraph.parseConfig({ ...common, restppPath: bad }, 'token secret t')).toThrow(ValidationError);
  });

  it('parseCredentials: a secret, or a username and password; anything else with both shapes named', () => {
    expect(tigergraph.parseCredentials({ secret: 's3cr3t', note: 'x' }, 'credential secret c')).toEqual({ secret: 's3cr3t' });
    expect(tigergraph.parseCredentials({ username: 'u', password: 'p' }, 'credential secret c')).toEqual({ username: 'u', password: 'p' });
    const e = errorOf(() => tigergraph.parseCredentials({ user: 'u' }, 'credential secret c'));
    expect(e.message).toBe('tigergraph: credential secret c is invalid: (root): expected {"secret": "<TigerGraph secret>"} or {"username": "...", "password": "..."}');
  });

  it('connectionSettings: "auto" unless pinned, a version written as a number made a string', () => {
    expect(tigergraph.connectionSettings?.({ graph: 'g' })).toEqual({ graph: 'g', tigergraphVersion: 'auto' });
    expect(tigergraph.connectionSettings?.({ tigergraphVersion: 3 })).toEqual({ tigergraphVersion: '3' });
    expect(tigergraph.connectionSettings?.({ tigergraphVersion: 4 })).toEqual({ tigergraphVersion: '4' });
    expect(tigergraph.connectionSettings?.({ tigergraphVersion: '4' })).toEqual({ tigergraphVersion: '4' });
  });

  it('origins: REST++ (with its path) and GSQL of the version given, or of both while "auto", each once', () => {
    const config = (v: string) => tigergraph.parseConfig({ ...common, tigergraphVersion: v }, 't');
    expect(tigergraph.origins(config('3'))).toEqual(['https://tg.example.com:9000', 'https://tg.example.com:14240']);
    expect(tigergraph.origins(config('4'))).toEqual(['https://tg.example.com:14240/restpp', 'https://tg.example.com:14240']);
    expect(tigergraph.origins(config('auto'))).toEqual(['https://tg.example.com:9000', 'https://tg.example.com:14240', 'https://tg.example.com:14240/restpp']);
  });

  it('opens a TigerGraph provider', () => {
    const config = tigergraph.parseConfig({ ...common, tigergraphVersion: '3' }, 't');
    expect(tigergraph.open(config, { secret: 's' }, { clock: new OffsetClock(), allowInsecureHttp: false })).toBeInstanceOf(TigerGraphProvider);
  });

  it('statusFields: the version the mint spoke, else the one set, else "auto"', () => {
    expect(tigergraph.statusFields?.({ tigergraphVersion: '3' }, '4')).toEqual({ tigergraphVersion: '4' });
    expect(tigergraph.statusFields?.({ tigergraphVersion: '3' }, undefined)).toEqual({ tigergraphVersion: '3' });
    expect(tigergraph.statusFields?.({ tigergraphVersion: 3 }, undefined)).toEqual({ tigergraphVersion: 'auto' });
    expect(tigergraph.statusFields?.({}, undefined)).toEqual({ tigergraphVersion: 'auto' });
  });

  it('planHints: 3.x refreshes in place and revokes; 4.x rotates and revokes long-lived tokens only; unknown says nothing', () => {
    const hints = (s: Record<string, unknown>) => tigergraph.planHints?.({ provider: 'tigergraph', host: common.host, ...s } as never);
    expect(hints({ tigergraphVersion: '3' })).toEqual({ renew: 'refresh', revoke: 'revoke', tokensMayCollide: false });
    expect(hints({ tigergraphVersion: '4', providerVersion: '3' })).toEqual({ renew: 'rotate', revoke: 'long-lived-only', tokensMayCollide: true });
    expect(hints({ tigergraphVersion: 'auto', providerVersion: '4' })).toEqual({ renew: 'rotate', revoke: 'long-lived-only', tokensMayCollide: true });
    expect(hints({ tigergraphVersion: 'auto' })).toBeUndefined();
  });
});
