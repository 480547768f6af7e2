/**
 * Opens a provider for a token secret: reads the credential secret it points at and builds the
 * provider. Only the rotation functions can read credential secrets (IAM), consumers never do.
 */
import { ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import type { Clock } from './clock.js';
import { ValidationError } from './errors.js';
import { providerFactoryFor } from './providers.js';
import type { SecretStore } from './secrets/store.js';
import type { TokenProvider } from './token-provider.js';
import { parseCredentials, type TokenSecret } from './token-secret.js';

export type OpenProvider = (secret: TokenSecret) => Promise<TokenProvider>;

export function providerOpener(store: SecretStore, clock: Clock): OpenProvider {
  return async (secret) => {
    let credentialString: string | undefined;
    try {
      credentialString = (await store.get(secret.credentialSecretId)).secretString;
    } catch (e) {
      if (e instanceof ResourceNotFoundException || (e as { name?: string }).name === 'ResourceNotFoundException') {
        throw new ValidationError(
          `credentialSecretId: the credential secret ${secret.credentialSecretId} was not found or has no current value; create it with {"secret": "..."} or {"username": "...", "password": "..."}`,
          'credentialSecretId',
        );
      }
      throw e;
    }
    const credentials = parseCredentials(credentialString, `credential secret ${secret.credentialSecretId}`);
    return providerFactoryFor(secret)(secret, credentials, { clock });
  };
}
