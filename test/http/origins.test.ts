/**
 * core/http/origins.ts: the one host check every edge makes (providers, token secret, deployment,
 * consumer), and the origin normal form.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { checkedHost, HostError, originCovers, originOf, originPort } from '../../core/http/origins.js';
import { providerHost } from '../../core/providers/provider.js';
import { hostUrlSchema } from '../../core/secrets/fields.js';
import { checkedOrigin } from '../../consumer/base-url.js';

describe('checkedHost', () => {
  it('takes https, and http only where allowed, saying what plain http would expose', () => {
    expect(checkedHost('https://h.example.com:8443', { allowInsecureHttp: false }).origin).toBe('https://h.example.com:8443');
    expect(checkedHost('http://127.0.0.1:1', { allowInsecureHttp: true }).origin).toBe('http://127.0.0.1:1');
    expect(() => checkedHost('http://h.example.com', { allowInsecureHttp: false, exposes: 'the password' })).toThrow(
      new HostError('http://h.example.com uses plain http://, which would send the password unencrypted: use https://, or set "allowInsecureHttp": true for a local test server only'),
    );
  });

  it('refuses what is not an http(s) URL, and with originOnly a path, query or user info', () => {
    expect(() => checkedHost('tg.example.com', { allowInsecureHttp: true })).toThrow(/expected a URL with scheme and host/);
    expect(() => checkedHost('ftp://h.example.com', { allowInsecureHttp: true })).toThrow('expected https:// (got ftp://)');
    expect(checkedHost('https://h.example.com/restpp', { allowInsecureHttp: false }).pathname).toBe('/restpp');
    for (const host of ['https://h.example.com/restpp', 'https://h.example.com?a=1', 'https://u:p@h.example.com']) {
      expect(() => checkedHost(host, { allowInsecureHttp: false, originOnly: true }), host).toThrow(/no path, query or user info/);
    }
  });

  it('is what the providers, the token secret, the deployment and the consumer check a host with, each naming its field', () => {
    expect(() => providerHost('trifacta', { host: 'http://t.example.com' }, 'the password')).toThrow(
      new ConfigError('trifacta: host: http://t.example.com uses plain http://, which would send the password unencrypted: use https://, or set "allowInsecureHttp": true for a local test server only'),
    );
    expect(hostUrlSchema().safeParse('http://t.example.com').success).toBe(true);
    expect(hostUrlSchema({ deployed: true }).safeParse('http://t.example.com').error?.issues[0]?.message).toMatch(/plain http:\/\/.*deployed functions never use plain HTTP/);
    expect(hostUrlSchema().safeParse('https://t.example.com/x').error?.issues[0]?.message).toMatch(/no path/);
    expect(() => checkedOrigin('http://t.example.com', false)).toThrow(/^host: http:\/\/t\.example\.com uses plain http:\/\/, which would send the token unencrypted/);
  });
});

describe('origins', () => {
  it('writes one normal form and matches path prefixes by whole segments', () => {
    expect(originOf('https://H.example.com:443/')).toBe('https://h.example.com:443');
    expect(originCovers('https://h:14240/restpp', 'https://h:14240/restpp/echo')).toBe(true);
    expect(originCovers('https://h:14240/restpp', 'https://h:14240/restppx')).toBe(false);
  });

  it('covers the bound path itself, with or without trailing slashes, and trims any number of them from a bound origin', () => {
    // The mutation run (docs/mutation.md, batch a1) found no test of a URL at exactly the bound path.
    expect(originCovers('https://h.example.com:443/api', 'https://h.example.com/api')).toBe(true);
    expect(originCovers('https://h.example.com:443/api', 'https://h.example.com/api/')).toBe(true);
    expect(originOf('https://h.example.com/api//')).toBe('https://h.example.com:443/api');
    expect(originCovers('https://h.example.com/api//', 'https://h.example.com/api')).toBe(true);
    expect(originCovers('https://h.example.com:443/api', 'https://h.example.com/')).toBe(false);
  });

  it('tells the port of an origin or URL, its scheme’s default where none is written', () => {
    expect(originPort('https://h.example.com')).toBe(443);
    expect(originPort('http://h.example.com')).toBe(80);
    expect(originPort('https://h.example.com:14240/restpp')).toBe(14240);
    expect(() => originPort('ftp://h.example.com')).toThrow(/expected an http:\/\/ or https:\/\/ URL/);
  });
});
