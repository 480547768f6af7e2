/**
 * The TigerGraph provider (self-managed 3.x and 4.x, Cloud, Savanna): its token secret fields,
 * its credential secret, and the provider. Protocol: docs/protocols/tigergraph-token-api.md.
 *
 *   const provider = createTigerGraphProvider(config, credentials, { timeoutMs: 5000 });
 *   const { token, expiresAt } = await provider.issue({ lifetimeSeconds: 86400, purpose });
 */
import * as z from 'zod/mini';
import { toValidationError } from '../../errors.js';
import { originOf } from '../../http/origins.js';
import { nonEmpty, port } from '../../secrets/fields.js';
import type { ProviderDefinition, TokenProvider } from '../provider.js';
import { clearLifetimeUnitCache, DEFAULT_LIFETIME_SECONDS, TigerGraphClient } from './client.js';
import { tigergraphEdge } from './edge.js';
import { TigerGraphProvider } from './provider.js';
import { clearVersionCache } from './version.js';
import { resolveBases } from './urls.js';
import type { TigerGraphClientOptions, TigerGraphConfig, TigerGraphCredentials } from './types.js';

export function createTigerGraphProvider(
  config: TigerGraphConfig,
  credentials: TigerGraphCredentials,
  options?: TigerGraphClientOptions,
): TokenProvider {
  return new TigerGraphProvider(new TigerGraphClient(config, credentials, options));
}

/**
 * The REST++ base path, e.g. "/restpp" for a 3.x cluster reachable only through nginx on 14240.
 * A path only: the base URL is built from host, port and this, so a query or fragment would end
 * up in the middle of every endpoint URL.
 */
const restppPath = () =>
  z.string().check(
    z.refine((s) => /^\/[^?#\s]*$/.test(s), { message: 'expected a URL path starting with "/" without query, fragment or spaces, e.g. "/restpp"' }),
  );

const fieldsSchema = z.looseObject({
  tigergraphVersion: z._default(z.enum(['3', '4', 'auto']), 'auto'),
  restppPort: z.optional(port()),
  restppPath: z.optional(restppPath()),
  gsqlPort: z.optional(port()),
  graph: z.optional(nonEmpty()),
});

const credentialSchema = z.union([
  z.looseObject({ secret: nonEmpty() }),
  z.looseObject({ username: nonEmpty(), password: nonEmpty() }),
]);

const CREDENTIAL_SHAPES = [{ secret: '<TigerGraph secret>' }, { username: '...', password: '...' }] as const;

export const tigergraph: ProviderDefinition<TigerGraphConfig, TigerGraphCredentials> = {
  name: 'tigergraph',
  edge: tigergraphEdge,
  defaultLifetimeSeconds: DEFAULT_LIFETIME_SECONDS,
  connectionFields: ['tigergraphVersion', 'restppPort', 'gsqlPort', 'graph', 'restppPath'],
  connectionSettings(fields) {
    // "auto" unless pinned; a deployment config may write the version as the number 3 or 4.
    const version = fields.tigergraphVersion;
    return { ...fields, tigergraphVersion: version === 3 || version === 4 ? String(version) : (version ?? 'auto') };
  },
  credentialShapes: CREDENTIAL_SHAPES,
  tokenFields: [],
  parseConfig(secret, what) {
    const parsed = fieldsSchema.safeParse(secret);
    if (!parsed.success) throw toValidationError(`tigergraph: ${what}`, parsed.error);
    const { tigergraphVersion, restppPort, gsqlPort, graph } = parsed.data;
    return {
      host: secret.host,
      tigergraphVersion,
      restppPort,
      // "/restpp/" and "/restpp" are the same base; "/" is the root ("").
      restppPath: parsed.data.restppPath?.replace(/\/+$/, ''),
      gsqlPort,
      graph,
      allowInsecureHttp: secret.allowInsecureHttp,
      caCertificate: secret.caCertificate,
    };
  },
  parseCredentials(raw, what) {
    const parsed = credentialSchema.safeParse(raw);
    if (!parsed.success) {
      throw toValidationError(`tigergraph: ${what}`, parsed.error, { union: 'expected {"secret": "<TigerGraph secret>"} or {"username": "...", "password": "..."}' });
    }
    const data = parsed.data as { secret?: string; username?: string; password?: string };
    return typeof data.secret === 'string' ? { secret: data.secret } : { username: data.username as string, password: data.password as string };
  },
  origins(config) {
    // REST++ and GSQL of the version given, or of both while "auto" has not told them apart.
    const versions = config.tigergraphVersion === 'auto' ? (['3', '4'] as const) : [config.tigergraphVersion];
    return [...new Set(versions.flatMap((v) => Object.values(resolveBases(config, v)).map(originOf)))];
  },
  open(config, credentials, context) {
    return createTigerGraphProvider(config, credentials, { clock: context.clock, ...context.http });
  },
  resetCaches() {
    clearVersionCache();
    clearLifetimeUnitCache();
  },
  statusFields(secret, providerVersion) {
    return { tigergraphVersion: providerVersion ?? (typeof secret.tigergraphVersion === 'string' ? secret.tigergraphVersion : 'auto') };
  },
  planHints(secret) {
    // The version set, or the one the last mint spoke (provider.ts: 3.x refreshes in place, 4.x block-lists).
    const version = secret.tigergraphVersion === '3' || secret.tigergraphVersion === '4' ? secret.tigergraphVersion : secret.providerVersion;
    if (version === '3') return { renew: 'refresh', revoke: 'revoke', tokensMayCollide: false };
    if (version === '4') return { renew: 'rotate', revoke: 'long-lived-only', tokensMayCollide: true };
    return undefined;
  },
};

export { TigerGraphClient, clearLifetimeUnitCache, DEFAULT_LIFETIME_SECONDS, expiry3, type TigerGraphIssuedToken, type TokenRequestOptions } from './client.js';
export { TigerGraphProvider } from './provider.js';
export { clearVersionCache, parseTigerGraphVersion } from './version.js';
export { parseHost, resolveBases } from './urls.js';
export { isCloudHost, tigergraphEdge, type TigerGraphBases } from './edge.js';
export { decodeTigerGraphClaims, type TigerGraphJwtClaims } from './jwt.js';
export type { ApiVersion, TigerGraphClientOptions, TigerGraphConfig, TigerGraphCredentials, TigerGraphOp } from './types.js';
