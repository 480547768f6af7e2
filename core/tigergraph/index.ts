/**
 * TigerGraph token provider: public entry point. No AWS dependency.
 *
 *   const provider = createTigerGraphProvider(secret, credentials, { timeoutMs: 5000 });
 *   const { token, expiresAt } = await provider.issue({ lifetimeSeconds: 86400 });
 */
import type { TokenProvider } from '../token-provider.js';
import type { Credentials } from '../token-secret.js';
import { TigerGraphClient } from './client.js';
import { TigerGraphProvider } from './provider.js';
import type { TigerGraphClientOptions, TigerGraphConnection } from './types.js';

export function createTigerGraphProvider(
  conn: TigerGraphConnection,
  credentials: Credentials,
  options?: TigerGraphClientOptions,
): TokenProvider {
  return new TigerGraphProvider(new TigerGraphClient(conn, credentials, options));
}

export { TigerGraphClient, clearLifetimeUnitCache, expiry3, type TokenRequestOptions } from './client.js';
export { TigerGraphProvider } from './provider.js';
export { clearVersionCache, parseTigerGraphVersion } from './version.js';
export { closeAllAgents } from './http.js';
export { isCloudHost, parseHost, resolveBases, type TigerGraphBases } from './urls.js';
export { decodeJwtClaims, type JwtClaims } from './jwt.js';
export { sanitizeServerMessage } from './failures.js';
export type { ApiVersion, TigerGraphClientOptions, TigerGraphConnection, TigerGraphOp, TigerGraphRequestInfo } from './types.js';
