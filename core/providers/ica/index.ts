/**
 * The Illumina Connected Analytics (ICA) v2 provider: its token secret field (`tenant`), its
 * credential secret (`{"apiKey"}` or `{"username", "password"}`), and the provider.
 * Protocol: docs/protocols/ica-token-api.md.
 *
 *   const provider = createIcaProvider({ host: 'https://ica.illumina.com' }, { apiKey }, { timeoutMs: 5000 });
 *   const { token, expiresAt } = await provider.issue({ purpose });
 */
import * as z from 'zod/mini';
import { toValidationError, ValidationError } from '../../errors.js';
import { originOf } from '../../http/origins.js';
import { nonEmpty } from '../../secrets/fields.js';
import type { ProviderDefinition, TokenProvider } from '../provider.js';
import { icaBase, IcaClient } from './client.js';
import { icaEdge } from './edge.js';
import { IcaProvider } from './provider.js';
import type { IcaClientOptions, IcaConfig, IcaCredentials } from './types.js';

export function createIcaProvider(config: IcaConfig, credentials: IcaCredentials, options?: IcaClientOptions): TokenProvider {
  return new IcaProvider(new IcaClient(config, credentials, options));
}

const fieldsSchema = z.looseObject({ tenant: z.optional(nonEmpty()) });

const CREDENTIAL_SHAPES = [{ apiKey: '<ICA API key>' }, { username: '<email>', password: '...' }] as const;

/**
 * `{"apiKey"}` or `{"username", "password"}`; with both, the API key wins (as TigerGraph's secret
 * wins over username/password). Never quotes a value.
 */
export function parseIcaCredentials(raw: unknown, what: string): IcaCredentials {
  const rec = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  if (rec && text(rec.apiKey)) return { apiKey: rec.apiKey };
  if (rec && text(rec.username) && text(rec.password)) return { username: rec.username, password: rec.password };
  throw new ValidationError(`ica: ${what} is invalid: expected apiKey, or username and password`, 'credentials');
}

export const ica: ProviderDefinition<IcaConfig, IcaCredentials> = {
  name: 'ica',
  edge: icaEdge,
  // The tenant administrator sets the JWT lifetime; the API takes none.
  defaultLifetimeSeconds: undefined,
  connectionFields: ['tenant'],
  credentialShapes: CREDENTIAL_SHAPES,
  tokenFields: [],
  parseConfig(secret, what) {
    const parsed = fieldsSchema.safeParse(secret);
    if (!parsed.success) throw toValidationError(`ica: ${what}`, parsed.error);
    return {
      host: secret.host,
      tenant: parsed.data.tenant,
      allowInsecureHttp: secret.allowInsecureHttp,
      caCertificate: secret.caCertificate,
    };
  },
  parseCredentials: parseIcaCredentials,
  origins(config) {
    return [originOf(icaBase(config))];
  },
  open(config, credentials, context) {
    return createIcaProvider(config, credentials, { clock: context.clock, ...context.http });
  },
  planHints() {
    // Minted anew either way (core/operations/refresh.ts never uses the retiring refresh); ICA cannot revoke.
    return { renew: 'rotate', revoke: 'none', tokensMayCollide: true };
  },
};

export { IcaClient, icaBase, NO_EXP_MESSAGE } from './client.js';
export { CANNOT_REVOKE, IcaProvider } from './provider.js';
export { parseProblem, type IcaProblem } from './failures.js';
export { decodeIcaClaims, type IcaJwtClaims } from './jwt.js';
export { ICA_ACCEPT, ICA_BASE_PATH, icaEdge } from './edge.js';
export { DEFAULT_ICA_HOST, type IcaClientOptions, type IcaConfig, type IcaCredentials, type IcaMode, type IcaOp } from './types.js';
