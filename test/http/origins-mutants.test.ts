/**
 * core/http/origins.ts, the cases its mutation run found unpinned: what is never covered by an
 * origin (a URL that is not http(s), or not a URL), and what a refused host is reported as.
 */
import { describe, expect, it } from 'vitest';
import { checkedHost, HostError, originCovers, withinOrigins } from '../../core/http/origins.js';

describe('originCovers', () => {
  it('covers nothing that is not an http(s) URL, and nothing with a bound origin that is not one', () => {
    for (const url of ['ftp://h.example.com:443/', 'file:///etc/passwd', 'h.example.com/api', '']) {
      expect(originCovers('https://h.example.com:443', url), url).toBe(false);
    }
    expect(originCovers('ftp://h.example.com:21', 'ftp://h.example.com:21/x')).toBe(false);
    expect(withinOrigins(['not an origin', 'https://h.example.com:443/api'], 'https://h.example.com/other')).toBe(false);
    expect(withinOrigins(['not an origin', 'https://h.example.com:443/api'], 'https://h.example.com/api/x')).toBe(true);
  });
});

describe('checkedHost refusals', () => {
  it('are HostErrors by name, as logs and error summaries show them', () => {
    let error: unknown;
    try {
      checkedHost('gopher://h.example.com', { allowInsecureHttp: true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HostError);
    expect((error as Error).name).toBe('HostError');
  });

  it('say by default that plain http would expose the credential and the tokens', () => {
    expect(() => checkedHost('http://h.example.com:8080', { allowInsecureHttp: false })).toThrow(
      'http://h.example.com:8080 uses plain http://, which would send the credential and the tokens unencrypted: use https://, ' +
        'or set "allowInsecureHttp": true for a local test server only',
    );
  });
});
