/**
 * TigerGraph's edge (core/providers/edge.ts), and the rules of where its endpoints live (see
 * tigergraph-token-api.md, "Where the endpoints live"), which the client (urls.ts) and the
 * consumer library both follow. Pure and without runtime imports: the consumer bundles it.
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
 *
 * A token is refused with 401 or 403 (REST++ answers REST-10016 with either, by version), or by
 * any error answer whose body carries REST-10016 (invalid token) or REST-10019 (expired token).
 */
import { EdgeFieldError, type ProviderEdge } from '../edge.js';
import type { ApiVersion, TigerGraphConfig } from './types.js';

export interface TigerGraphBases {
  /** REST++ base URL without a trailing slash, e.g. `https://h:9000` or `https://h:14240/restpp`. */
  restpp: string;
  /** GSQL base URL without a trailing slash, e.g. `https://h:14240`. */
  gsql: string;
}

/** The connection fields the bases depend on besides the host. */
export type PortFields = Pick<TigerGraphConfig, 'restppPort' | 'restppPath' | 'gsqlPort'>;

/** pyTigerGraph treats a hostname containing `tgcloud` as TigerGraph Cloud; Savanna hosts too. */
export function isCloudHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h.includes('tgcloud') || h.includes('savanna');
}

function withPort(url: URL, port: number, path = ''): string {
  const u = new URL(url.origin);
  u.port = String(port);
  // URL drops a scheme's default port (443 for https) from origin; that is the same address.
  return u.origin + path;
}

/** The REST++ and GSQL base URLs for `version`, at a host already checked. */
export function basesAt(url: URL, conn: PortFields, version: ApiVersion): TigerGraphBases {
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

/**
 * 3.x or 4.x REST++ rules for a token secret: the version the rotation detected
 * (`providerVersion`), else the one the secret pins (`tigergraphVersion`), else the token's shape
 * (4.x tokens are JWTs, 3.x ones are not).
 */
export function tigerGraphVersion(secret: Readonly<Record<string, unknown>>, token: string): ApiVersion {
  for (const field of ['providerVersion', 'tigergraphVersion']) {
    const major = Number(String(secret[field] ?? '').replace(/^v/i, '').split('.')[0]);
    if (major === 3) return '3';
    if (major >= 4) return '4';
  }
  return token.split('.').length === 3 ? '4' : '3';
}

function portField(secret: Readonly<Record<string, unknown>>, field: string): number | undefined {
  const value = secret[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) throw new EdgeFieldError(field, 'expected a port number (1 to 65535)');
  return value;
}

export const tigergraphEdge: ProviderEdge = {
  name: 'tigergraph',
  label: 'TigerGraph',
  apiBase(secret, host, token) {
    const ports = { restppPort: portField(secret, 'restppPort'), gsqlPort: portField(secret, 'gsqlPort'), restppPath: typeof secret.restppPath === 'string' ? secret.restppPath : undefined };
    return basesAt(host, ports, tigerGraphVersion(secret, token)).restpp;
  },
  refusalStatuses: [401, 403],
  refusalCodes: /REST-100(?:16|19)\b/,
  refusedHint: ({ baseUrl, graph }) =>
    `that REST++ authentication at ${baseUrl} accepts this token for the request` +
    (graph ? ` (the token is scoped to graph "${graph}": a call on another graph is refused)` : ' (a graph-scoped token is refused on other graphs)') +
    ", and that the secret's host, ports and tigergraphVersion name the server the app calls",
};
