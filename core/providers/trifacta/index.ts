/**
 * The Trifacta / Alteryx Designer Cloud provider (v4 API access tokens): its token secret fields
 * (only the common ones; it writes `tokenId` beside the token), its credential secret
 * (`{"username", "password"}`) and the provider. Protocol: docs/protocols/trifacta-token-api.md.
 *
 *   const provider = createTrifactaProvider(config, { username, password }, { timeoutMs: 5000 });
 *   const { token, fields } = await provider.issue({ lifetimeSeconds: 2592000, purpose });
 */
import * as z from 'zod/mini';
import { toValidationError, ValidationError } from '../../errors.js';
import { originOf } from '../../http/origins.js';
import { nonEmpty } from '../../secrets/fields.js';
import type { ProviderDefinition, TokenProvider } from '../provider.js';
import { parseTrifactaHost, TrifactaClient } from './client.js';
import { trifactaEdge } from './edge.js';
import { DEFAULT_LIFETIME_SECONDS, TrifactaProvider } from './provider.js';
import type { TrifactaClientOptions, TrifactaConfig, TrifactaCredentials } from './types.js';

export function createTrifactaProvider(config: TrifactaConfig, credentials: TrifactaCredentials, options?: TrifactaClientOptions): TokenProvider {
  return new TrifactaProvider(new TrifactaClient(config, credentials, options));
}

// Loose: a credential secret may carry notes beside the two fields the provider reads.
const credentialSchema = z.looseObject({ username: nonEmpty(), password: nonEmpty() });

const CREDENTIAL_SHAPE = '{"username": "...", "password": "..."}';

export const trifacta: ProviderDefinition<TrifactaConfig, TrifactaCredentials> = {
  name: 'trifacta',
  edge: trifactaEdge,
  defaultLifetimeSeconds: DEFAULT_LIFETIME_SECONDS,
  // Only the common fields: the token secret gets `tokenId` from the provider, never from a deployment.
  connectionFields: [],
  credentialShapes: [{ username: '...', password: '...' }],
  tokenFields: ['tokenId'],
  parseConfig(secret) {
    // Only the common fields, already checked. Provider fields (tokenId) are kept as they are and
    // checked where they are read (revoke, verify); the host's scheme is checked when the client
    // is built (ConfigError for http:// without allowInsecureHttp, as for TigerGraph).
    return { host: secret.host, allowInsecureHttp: secret.allowInsecureHttp, caCertificate: secret.caCertificate };
  },
  parseCredentials(raw, what) {
    const parsed = credentialSchema.safeParse(raw);
    if (!parsed.success) {
      const base = toValidationError(`trifacta: ${what}`, parsed.error);
      throw new ValidationError(`${base.message}; expected ${CREDENTIAL_SHAPE}`, base.field);
    }
    return { username: parsed.data.username, password: parsed.data.password };
  },
  origins(config) {
    return [originOf(parseTrifactaHost(config).origin)];
  },
  open(config, credentials, context) {
    return createTrifactaProvider(config, credentials, { clock: context.clock, ...context.http });
  },
  planHints() {
    return { renew: 'rotate', revoke: 'revoke', tokensMayCollide: false };
  },
};

export { TrifactaClient, parseTrifactaHost, type CreatedToken } from './client.js';
export { TRIFACTA_API_PATH, trifactaEdge } from './edge.js';
export { TrifactaProvider, tokenDescription, DEFAULT_LIFETIME_SECONDS } from './provider.js';
export { readTokenPage, readTokenInfo, type TokenPage } from './paging.js';
export { failureToError, serverFailure, type FailureContext, type ServerFailure } from './failures.js';
export type { TrifactaClientOptions, TrifactaConfig, TrifactaCredentials, TrifactaOp, TrifactaTokenInfo } from './types.js';
