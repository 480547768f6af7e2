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

const factories: Record<string, ProviderFactory> = {
  tigergraph: (secret, credentials, context) => createTigerGraphProvider(secret, credentials, { clock: context.clock }),
};

export function providerFactoryFor(secret: TokenSecret): ProviderFactory {
  const kind = typeof secret.provider === 'string' ? secret.provider : 'tigergraph';
  const factory = factories[kind];
  if (!factory) {
    throw new ValidationError(`token secret is invalid: provider: expected one of ${Object.keys(factories).join(', ')}`, 'provider');
  }
  return factory;
}
