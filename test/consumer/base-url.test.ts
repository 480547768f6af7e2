/**
 * The base URL a TokenInfo carries, per provider and deployment: TigerGraph through the product's
 * own URL rules (core/providers/tigergraph/edge.ts), Trifacta /v4, ICA /ica/rest.
 */
import { describe, expect, it } from 'vitest';
import { tokenInfoFromSecret } from '../../consumer/index.js';
import { tigerGraphVersion } from '../../core/providers/tigergraph/edge.js';
import { secretJson } from './helpers.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0aWdlcmdyYXBoIn0.c2lnbmF0dXJl';

function baseUrl(fields: Record<string, unknown>, allowInsecureHttp = false): string {
  return tokenInfoFromSecret({ secretId: 's', versionId: 'v', secretString: secretJson(fields), allowInsecureHttp }).baseUrl;
}

describe('TigerGraph REST++ base', () => {
  it.each([
    ['3.x self-managed: the REST++ port 9000 at the root', { providerVersion: '3' }, 'https://tg.example.com:9000'],
    ['4.x self-managed: /restpp on 14240', { providerVersion: '4' }, 'https://tg.example.com:14240/restpp'],
    ['3.x Cloud: 443/restpp', { providerVersion: '3', host: 'https://abc.i.tgcloud.io' }, 'https://abc.i.tgcloud.io/restpp'],
    ['Savanna 4.x: 443/restpp', { providerVersion: '4', host: 'https://x.savanna.tgcloud.io' }, 'https://x.savanna.tgcloud.io/restpp'],
    ['3.x explicit REST++ port', { providerVersion: '3', restppPort: 19000 }, 'https://tg.example.com:19000'],
    ['4.x explicit ports: REST++ stays under /restpp', { providerVersion: '4', restppPort: 8443, gsqlPort: 8443 }, 'https://tg.example.com:8443/restpp'],
    ['3.x behind nginx only (restppPath)', { providerVersion: '3', restppPath: '/restpp' }, 'https://tg.example.com:14240/restpp'],
    ['a port in host', { providerVersion: '4', host: 'https://tg.example.com:9443' }, 'https://tg.example.com:9443/restpp'],
  ])('%s', (_what, fields, expected) => {
    expect(baseUrl(fields)).toBe(expected);
  });

  it('version: providerVersion (detected by the rotation) over tigergraphVersion, then the token shape', () => {
    expect(tigerGraphVersion({ providerVersion: '4', tigergraphVersion: '3' }, 'x')).toBe('4');
    expect(tigerGraphVersion({ providerVersion: '4.1.2' }, 'x')).toBe('4');
    expect(tigerGraphVersion({ tigergraphVersion: '3' }, JWT)).toBe('3');
    expect(tigerGraphVersion({ tigergraphVersion: 'auto' }, JWT)).toBe('4');
    expect(tigerGraphVersion({ tigergraphVersion: 'auto' }, 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6')).toBe('3');
    expect(baseUrl({ providerVersion: undefined, tigergraphVersion: 'auto', token: JWT })).toBe('https://tg.example.com:14240/restpp');
  });

  it('a secret without provider is a TigerGraph secret', () => {
    const info = tokenInfoFromSecret({ secretId: 's', versionId: 'v', secretString: secretJson({ provider: undefined }), allowInsecureHttp: false });
    expect(info.provider).toBe('tigergraph');
  });
});

describe('Trifacta and ICA', () => {
  it('Trifacta: ${host}/v4, ICA: ${host}/ica/rest (the host normalized to its origin)', () => {
    expect(baseUrl({ provider: 'trifacta', host: 'https://ws.cloud.trifacta.com' })).toBe('https://ws.cloud.trifacta.com/v4');
    expect(baseUrl({ provider: 'trifacta', host: 'https://trifacta.example.com:3005/' })).toBe('https://trifacta.example.com:3005/v4');
    expect(baseUrl({ provider: 'ica', host: 'https://ica.illumina.com' })).toBe('https://ica.illumina.com/ica/rest');
  });

  it('plain http only when both the secret and the process allow it', () => {
    expect(() => baseUrl({ provider: 'ica', host: 'http://127.0.0.1:1234' }, true)).toThrow(/plain http/);
    expect(baseUrl({ provider: 'ica', host: 'http://127.0.0.1:1234', allowInsecureHttp: true }, true)).toBe('http://127.0.0.1:1234/ica/rest');
    expect(() => baseUrl({ provider: 'trifacta', host: 'ftp://x' })).toThrow(/https/);
  });
});
