/**
 * Resolves the token provider for a token secret. The rotation, refresh and revoke logic ask only
 * for "the provider of this secret"; which API sits behind it is decided here, from the secret's
 * optional `provider` field (default "tigergraph"). A new token API registers one factory here.
 */
import { ValidationError } from './errors.js';
import type { Clock } from './clock.js';
import type { TokenProvider } from './token-provider.js';
import type { Credentials, TokenSecret } from './token-secret.js';
import { createTigerGraphProvider } from './tigergraph/index.js';

export interface ProviderContext {
  clock: Clock;
}

export type ProviderFactory = (secret: TokenSecret, credentials: Credentials, context: ProviderContext) => TokenProvider;

/**
 * HTTP tuning from the environment (Lambda configuration), so a deployment can trade latency for
 * patience without a code change: TG_HTTP_TIMEOUT_MS, TG_HTTP_MAX_ATTEMPTS, TG_HTTP_BASE_DELAY_MS.
 */
function httpTuning(): { timeoutMs?: number; maxAttempts?: number; baseDelayMs?: number } {
  const read = (name: string): number | undefined => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new ValidationError(`${name}: expected a non-negative integer, got a non-numeric value`, name);
    return value;
  };
  const timeoutMs = read('TG_HTTP_TIMEOUT_MS');
  const maxAttempts = read('TG_HTTP_MAX_ATTEMPTS');
  const baseDelayMs = read('TG_HTTP_BASE_DELAY_MS');
  return {
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(maxAttempts !== undefined ? { maxAttempts: Math.max(1, maxAttempts) } : {}),
    ...(baseDelayMs !== undefined ? { baseDelayMs } : {}),
  };
}

const factories: Record<string, ProviderFactory> = {
  tigergraph: (secret, credentials, context) =>
    createTigerGraphProvider(secret, credentials, { clock: context.clock, ...httpTuning() }),
};

export function providerFactoryFor(secret: TokenSecret): ProviderFactory {
  const kind = typeof secret.provider === 'string' ? secret.provider : 'tigergraph';
  const factory = factories[kind];
  if (!factory) {
    throw new ValidationError(`token secret is invalid: provider: expected one of ${Object.keys(factories).join(', ')}`, 'provider');
  }
  return factory;
}
