/**
 * Telling TigerGraph 3.x from 4.x (core/providers/tigergraph/version.ts) against a scripted
 * transport: which endpoint is asked in which order, what each answer decides, transport failures,
 * and the per-deployment cache. The fakes' detection runs in the client tests.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, TransportError } from '../../../core/errors.js';
import type { HttpResult, HttpTransport } from '../../../core/http/transport.js';
import { clearVersionCache, detectApiVersion, parseTigerGraphVersion } from '../../../core/providers/tigergraph/version.js';

type Answer = number | [number, string] | 'transport' | Error;
let counter = 0;

interface Urls {
  host: string;
  gsqlVersion: string;
  restpp4: string;
  restpp3: string;
  trial: string;
}

/** A transport that answers each request (method and URL) from a script; an unscripted one answers 500. A host of its own per call: detection is cached per deployment. */
function s(script: (urls: Urls) => Record<string, Answer>) {
  const host = `https://tg${++counter}.example.com`;
  const u = (path: string, port: number) => `${host}:${port}${path}`;
  const urls: Urls = { host, gsqlVersion: `GET ${u('/gsql/v1/version', 14240)}`, restpp4: `GET ${u('/restpp/version', 14240)}`, restpp3: `GET ${u('/version', 9000)}`, trial: `POST ${u('/gsql/v1/tokens', 14240)}` };
  const answers = script(urls);
  const asked: string[] = [];
  const authorizations: Array<string | undefined> = [];
  const http = {
    send: async (req: { method: string; url: string; headers?: Record<string, string> }) => {
      const key = `${req.method} ${req.url}`;
      asked.push(key);
      authorizations.push(req.headers?.authorization);
      const a = answers[key] ?? 500;
      if (a === 'transport') throw new TransportError('connection refused', 'refused');
      if (a instanceof Error) throw a;
      const [status, text] = typeof a === 'number' ? [a, ''] : a;
      return { status, text, body: undefined, contentType: undefined, malformed: false } as unknown as HttpResult;
    },
  } as unknown as HttpTransport;
  return { ...urls, asked, authorizations, deps: { http, conn: { host, allowInsecureHttp: false }, gsqlAuthorization: 'Basic x' } };
}

beforeEach(() => clearVersionCache());

describe('parseTigerGraphVersion', () => {
  it.each([
    ['TigerGraph version: 3.9.3', '3.9.3'],
    ['tigergraph VERSION:v3.10.1.2', '3.10.1.2'],
    ['TigerGraph version: 4', '4'],
    ['{"version": "v4.1.0"}', '4.1.0'],
    ['version=4.2', '4.2'],
    ['"version":"3.11"', '3.11'],
  ])('%s -> %s', (text, expected) => {
    expect(parseTigerGraphVersion(text)).toBe(expected);
  });

  it('undefined without a version', () => {
    for (const text of ['', 'version: 4', 'TigerGraph', '{"version": "x"}']) expect(parseTigerGraphVersion(text)).toBeUndefined();
  });
});

describe('detectApiVersion', () => {
  it('1. GSQL /version answers: its major version (4 when unreadable), with the GSQL login; nothing else asked', async () => {
    for (const [text, expected] of [
      ['{"version": "4.1.0"}', '4'],
      ['TigerGraph version: 3.9.3', '3'],
      ['{"version": "5.0"}', '4'],
      ['no version here', '4'],
      ['{"version": "2.6"}', '4'],
    ] as const) {
      const x = s((b) => ({ [b.gsqlVersion]: [200, text] }));
      expect(await detectApiVersion(x.deps), text).toBe(expected);
      expect(x.asked).toEqual([x.gsqlVersion]);
      expect(x.authorizations).toEqual(['Basic x']);
    }
    const y = s((b) => ({ [b.gsqlVersion]: [299, '{"version": "3.9"}'] }));
    expect(await detectApiVersion(y.deps)).toBe('3');
  });

  it('GSQL /version missing (404) is 3.x', async () => {
    const x = s((b) => ({ [b.gsqlVersion]: 404 }));
    expect(await detectApiVersion(x.deps)).toBe('3');
    expect(x.asked).toEqual([x.gsqlVersion]);
  });

  it('2. otherwise REST++ /version, the 4.x layout first, then 3.x; an answer without a 3 or 4 goes on', async () => {
    const x = s((b) => ({ [b.gsqlVersion]: 401, [b.restpp4]: [200, 'TigerGraph version: 2.5'], [b.restpp3]: [200, 'TigerGraph version: 3.9.3'] }));
    expect(await detectApiVersion(x.deps)).toBe('3');
    expect(x.asked).toEqual([x.gsqlVersion, x.restpp4, x.restpp3]);
    const y = s((b) => ({ [b.gsqlVersion]: 300, [b.restpp4]: [200, 'TigerGraph version: 4.1.0'] }));
    expect(await detectApiVersion(y.deps)).toBe('4');
    expect(y.asked).toEqual([y.gsqlVersion, y.restpp4]);
    const z = s((b) => ({ [b.gsqlVersion]: 199, [b.restpp4]: [300, 'TigerGraph version: 4.1.0'], [b.restpp3]: [199, 'TigerGraph version: 4.1.0'] }));
    await detectApiVersion(z.deps).catch(() => undefined);
    expect(z.asked).toEqual([z.gsqlVersion, z.restpp4, z.restpp3, z.trial]);
  });

  it('3. otherwise the 4.x token endpoint without a credential: missing is 3.x, any other refusal 4.x', async () => {
    for (const [status, expected] of [
      [404, '3'],
      [400, '4'],
      [401, '4'],
      [499, '4'],
    ] as const) {
      const x = s((b) => ({ [b.trial]: status }));
      expect(await detectApiVersion(x.deps)).toBe(expected);
      expect(x.asked).toEqual([x.gsqlVersion, x.restpp4, x.restpp3, x.trial]);
      // Only GSQL's /version carries the login: REST++ and the trial go without a credential.
      expect(x.authorizations).toEqual(['Basic x', undefined, undefined, undefined]);
    }
  });

  it('no answer tells: a ConfigError naming the host and the field to set', async () => {
    const x = s(() => ({}));
    const e = (await detectApiVersion(x.deps).catch((err: unknown) => err)) as Error;
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe(`Could not tell whether ${x.host} runs TigerGraph 3.x or 4.x: check the host and ports, or set "tigergraphVersion" to "3" or "4" in the token secret`);
  });

  it('transport failures are stepped over; the last one is thrown when nothing told', async () => {
    const x = s((b) => ({ [b.gsqlVersion]: 'transport', [b.restpp4]: 'transport', [b.restpp3]: [200, 'TigerGraph version: 3.9.3'] }));
    expect(await detectApiVersion(x.deps)).toBe('3');
    const y = s((b) => ({ [b.gsqlVersion]: 'transport', [b.restpp4]: 'transport', [b.restpp3]: 'transport', [b.trial]: 'transport' }));
    await expect(detectApiVersion(y.deps)).rejects.toBeInstanceOf(TransportError);
    const z = s((b) => ({ [b.gsqlVersion]: 'transport', [b.trial]: 503 }));
    await expect(detectApiVersion(z.deps)).rejects.toBeInstanceOf(TransportError);
  });

  it('any other error is thrown at once', async () => {
    const x = s((b) => ({ [b.gsqlVersion]: new Error('bug') }));
    await expect(detectApiVersion(x.deps)).rejects.toThrow('bug');
    expect(x.asked).toHaveLength(1);
  });

  it('detected once per deployment: later and concurrent calls share it; a failure is not kept; clearVersionCache forgets', async () => {
    const x = s((b) => ({ [b.gsqlVersion]: 404 }));
    expect(await Promise.all([detectApiVersion(x.deps), detectApiVersion(x.deps)])).toEqual(['3', '3']);
    expect(await detectApiVersion(x.deps)).toBe('3');
    expect(x.asked).toHaveLength(1);
    clearVersionCache();
    await detectApiVersion(x.deps);
    expect(x.asked).toHaveLength(2);

    const failing = s(() => ({}));
    await detectApiVersion(failing.deps).catch(() => undefined);
    await detectApiVersion(failing.deps).catch(() => undefined);
    expect(failing.asked).toHaveLength(8);
  });
});
