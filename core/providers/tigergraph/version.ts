/**
 * Detects whether a deployment speaks the 3.x or the 4.x token API, once per deployment
 * (module-level cache, so a warm Lambda asks only once). Signals, in order
 * (tigergraph-token-api.md, "Version detection"):
 *   1. GSQL `GET /gsql/v1/version` (Basic auth): 2xx => 4.x (or the version it states);
 *      404 => 3.x, which has no /gsql/v1 endpoints.
 *   2. REST++ `GET /version` at the 4.x then the 3.x REST++ base: parse "TigerGraph version: X".
 *      401/403 only mean authentication is on: keep going.
 *   3. Trial `POST /gsql/v1/tokens` with an empty body and no credential (cannot mint a token):
 *      404 => 3.x, any other answer => 4.x.
 */
import { ConfigError, TransportError, type TokenError } from '../../errors.js';
import type { HttpResult, HttpTransport } from '../../http/transport.js';
import { deploymentKey, resolveBases } from './urls.js';
import type { ApiVersion, TigerGraphConfig } from './types.js';

const detected = new Map<string, ApiVersion>();
const inFlight = new Map<string, Promise<ApiVersion>>();

/** Forgets every detected version (tests; or after a server upgrade in a long-lived process). */
export function clearVersionCache(): void {
  detected.clear();
  inFlight.clear();
}

/** "3.9.3" from a /version answer, or undefined. */
export function parseTigerGraphVersion(text: string): string | undefined {
  const m = /TigerGraph version:\s*v?(\d+(?:\.\d+){0,3})/i.exec(text) ?? /"?version"?\s*[:=]\s*"?v?(\d+\.\d+(?:\.\d+)?)/i.exec(text);
  return m?.[1];
}

function majorOf(version: string | undefined): ApiVersion | undefined {
  const major = version ? Number(version.split('.')[0]) : NaN;
  if (major === 3) return '3';
  if (major >= 4) return '4';
  return undefined;
}

export interface DetectDeps {
  http: HttpTransport;
  conn: Pick<TigerGraphConfig, 'host' | 'restppPort' | 'restppPath' | 'gsqlPort' | 'allowInsecureHttp'>;
  /** Basic auth header value for GSQL (user/password, or `__GSQL__secret` with the secret). */
  gsqlAuthorization: string;
}

export async function detectApiVersion(deps: DetectDeps): Promise<ApiVersion> {
  const key = deploymentKey(deps.conn);
  const known = detected.get(key);
  if (known) return known;
  let pending = inFlight.get(key);
  if (!pending) {
    pending = runDetection(deps).then(
      (v) => {
        detected.set(key, v);
        inFlight.delete(key);
        return v;
      },
      (e: unknown) => {
        inFlight.delete(key);
        throw e;
      },
    );
    inFlight.set(key, pending);
  }
  return pending;
}

async function runDetection(deps: DetectDeps): Promise<ApiVersion> {
  const v4 = resolveBases(deps.conn, '4');
  const v3 = resolveBases(deps.conn, '3');
  let lastTransport: TokenError | undefined;
  const attempt = async (fn: () => Promise<HttpResult>): Promise<HttpResult | undefined> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof TransportError) {
        lastTransport = e;
        return undefined;
      }
      throw e;
    }
  };

  // 1. GSQL version endpoint: exists on 4.x only.
  const gsql = await attempt(() =>
    deps.http.send({
      op: 'version',
      method: 'GET',
      url: `${v4.gsql}/gsql/v1/version`,
      headers: { authorization: deps.gsqlAuthorization },
    }),
  );
  if (gsql) {
    if (gsql.status >= 200 && gsql.status < 300) return majorOf(parseTigerGraphVersion(gsql.text)) ?? '4';
    if (gsql.status === 404) return '3';
  }

  // 2. REST++ /version, 4.x layout first (same port as GSQL), then the 3.x layout.
  const restppBases = [...new Set([v4.restpp, v3.restpp])];
  for (const base of restppBases) {
    const res = await attempt(() => deps.http.send({ op: 'version', method: 'GET', url: `${base}/version` }));
    if (res && res.status >= 200 && res.status < 300) {
      const v = majorOf(parseTigerGraphVersion(res.text));
      if (v) return v;
    }
  }

  // 3. Trial: the 4.x token endpoint without a credential refuses (400/401) but exists.
  const trial = await attempt(() => deps.http.send({ op: 'version', method: 'POST', url: `${v4.gsql}/gsql/v1/tokens`, json: {} }));
  if (trial) {
    if (trial.status === 404) return '3';
    if (trial.status < 500) return '4';
  }

  if (lastTransport) throw lastTransport;
  throw new ConfigError(
    `Could not tell whether ${new URL(deps.conn.host).origin} runs TigerGraph 3.x or 4.x: ` +
      'check the host and ports, or set "tigergraphVersion" to "3" or "4" in the token secret',
  );
}
