/**
 * Where the token endpoints live for a deployment (see tigergraph-token-api.md, "Where the
 * endpoints live"). Pure functions: no I/O, so every rule has a unit test.
 *
 *   deployment            REST++ base                          GSQL base
 *   3.x self-managed      host:9000 (root paths)               host:14240
 *   4.x self-managed      host:14240/restpp                    host:14240
 *   Cloud / Savanna       host:443/restpp                      host:443
 *
 * An explicit `restppPort`/`gsqlPort` (or a port written in `host`) overrides the default port.
 * With an explicit REST++ port, 3.x REST++ is at the root of that port (the REST++ process
 * itself) while 4.x REST++ stays under `/restpp` (4.x only exposes REST++ through nginx).
 * An explicit `restppPath` replaces the path on both versions; on 3.x it also means "through
 * nginx", so without a REST++ port it goes to the GSQL port: a self-managed 3.x cluster exposing
 * only 14240 is `restppPath: "/restpp"` (port 14240 by default).
 */
import { ConfigError } from '../../errors.js';
import type { ApiVersion, TigerGraphConfig } from './types.js';

export interface TigerGraphBases {
  /** REST++ base URL without a trailing slash, e.g. `https://h:9000` or `https://h:14240/restpp`. */
  restpp: string;
  /** GSQL base URL without a trailing slash, e.g. `https://h:14240`. */
  gsql: string;
}

type HostFields = Pick<TigerGraphConfig, 'host' | 'restppPort' | 'restppPath' | 'gsqlPort' | 'allowInsecureHttp'>;

/** pyTigerGraph treats a hostname containing `tgcloud` as TigerGraph Cloud; Savanna hosts too. */
export function isCloudHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h.includes('tgcloud') || h.includes('savanna');
}

/**
 * Parses and checks `host`: http(s) only, and plain http only with `allowInsecureHttp: true`
 * (a token or secret would otherwise cross the network in clear text).
 */
export function parseHost(conn: Pick<HostFields, 'host' | 'allowInsecureHttp'>): URL {
  let url: URL;
  try {
    url = new URL(conn.host);
  } catch {
    throw new ConfigError('host is not a valid URL: expected scheme and host, e.g. https://tg.example.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`host must use https:// (got ${url.protocol}//)`);
  }
  if (url.protocol === 'http:' && conn.allowInsecureHttp !== true) {
    throw new ConfigError(
      `host ${url.origin} uses plain http://, which would send the TigerGraph secret and tokens unencrypted: ` +
        'use https://, or set "allowInsecureHttp": true for a local test server only',
    );
  }
  return url;
}

function withPort(url: URL, port: number, path = ''): string {
  const u = new URL(url.origin);
  u.port = String(port);
  // URL drops a scheme's default port (443 for https) from origin; that is the same address.
  return u.origin + path;
}

/** The REST++ and GSQL base URLs for `version`. Throws ConfigError for an unusable host. */
export function resolveBases(conn: HostFields, version: ApiVersion): TigerGraphBases {
  const url = parseHost(conn);
  const cloud = isCloudHost(url.hostname);
  const hostPort = url.port ? Number(url.port) : undefined;
  const explicitRestpp = conn.restppPort ?? hostPort;
  const explicitGsql = conn.gsqlPort ?? hostPort;
  const defaultPort = cloud ? 443 : 14240;
  const gsql = withPort(url, explicitGsql ?? defaultPort);
  const path = conn.restppPath;
  const behindNginx = (p: string) => withPort(url, explicitRestpp ?? explicitGsql ?? defaultPort, p);

  if (version === '3') {
    if (path !== undefined) return { restpp: behindNginx(path), gsql };
    if (explicitRestpp !== undefined) return { restpp: withPort(url, explicitRestpp), gsql };
    return { restpp: cloud ? withPort(url, 443, '/restpp') : withPort(url, 9000), gsql };
  }
  // 4.x: REST++ is always behind nginx under /restpp, normally on the GSQL port.
  return { restpp: behindNginx(path ?? '/restpp'), gsql };
}

/** Identity of a deployment for per-server caches (detected version, lifetime unit). */
export function deploymentKey(conn: HostFields): string {
  const url = parseHost(conn);
  return `${url.origin}|${conn.restppPort ?? ''}|${conn.restppPath ?? ''}|${conn.gsqlPort ?? ''}`;
}
