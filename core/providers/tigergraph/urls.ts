/**
 * Where a connection's token endpoints live: its host checked (providerHost), then the rules of
 * edge.ts (the consumer library follows the same ones).
 */
import { providerHost } from '../provider.js';
import { basesAt, type TigerGraphBases } from './edge.js';
import type { ApiVersion, TigerGraphConfig } from './types.js';

type HostFields = Pick<TigerGraphConfig, 'host' | 'restppPort' | 'restppPath' | 'gsqlPort' | 'allowInsecureHttp'>;

/** Parses and checks `host` (providerHost: http(s) only, plain http only with `allowInsecureHttp: true`). */
export function parseHost(conn: Pick<HostFields, 'host' | 'allowInsecureHttp'>): URL {
  return providerHost('tigergraph', conn, 'the TigerGraph secret and the tokens');
}

/** The REST++ and GSQL base URLs for `version`. Throws ConfigError for an unusable host. */
export function resolveBases(conn: HostFields, version: ApiVersion): TigerGraphBases {
  return basesAt(parseHost(conn), conn, version);
}

/** Identity of a deployment for per-server caches (detected version, lifetime unit). */
export function deploymentKey(conn: HostFields): string {
  const url = parseHost(conn);
  return `${url.origin}|${conn.restppPort ?? ''}|${conn.restppPath ?? ''}|${conn.gsqlPort ?? ''}`;
}
