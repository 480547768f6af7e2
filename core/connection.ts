/**
 * Opens a provider for a token secret: reads the credential secret it points at and builds the
 * provider. Only the rotation functions can read credential secrets (IAM), consumers never do.
 *
 * Credentials are cached per container for a short time: the four rotation steps usually land on
 * one warm container, and many token secrets of a sweep often share one credential secret, so
 * each would otherwise read it again. A credential the server refuses is dropped from the cache at
 * once, so an operator's fix is picked up by the next call.
 */
import type { Clock } from './clock.js';
import { BadCredentialError, ValidationError } from './errors.js';
import { providerFactoryFor } from './providers.js';
import { isServiceError, type SecretStore } from './secrets/store.js';
import type { IssueOptions, TokenProvider } from './token-provider.js';
import { parseCredentials, type Credentials, type TokenSecret } from './token-secret.js';

export type OpenProvider = (secret: TokenSecret) => Promise<TokenProvider>;

const CREDENTIAL_TTL_MS = 60_000;
const credentialCache = new Map<string, { credentials: Promise<Credentials>; expiresAt: number }>();

/** Forget cached credentials (tests; a process that wants to re-read them at once). */
export function clearCredentialCache(): void {
  credentialCache.clear();
}

export function providerOpener(store: SecretStore, clock: Clock): OpenProvider {
  return async (secret) => {
    const id = secret.credentialSecretId;
    const credentials = await cachedCredentials(store, id);
    const provider = providerFactoryFor(secret)(secret, credentials, { clock });
    return forgetOnRefusal(provider, () => credentialCache.delete(id));
  };
}

function cachedCredentials(store: SecretStore, id: string): Promise<Credentials> {
  const now = Date.now();
  const hit = credentialCache.get(id);
  if (hit && hit.expiresAt > now) return hit.credentials;
  const credentials = readCredentials(store, id);
  credentialCache.set(id, { credentials, expiresAt: now + CREDENTIAL_TTL_MS });
  // A failed read is not cached.
  credentials.catch(() => credentialCache.delete(id));
  return credentials;
}

async function readCredentials(store: SecretStore, id: string): Promise<Credentials> {
  let credentialString: string | undefined;
  try {
    credentialString = (await store.get(id)).secretString;
  } catch (e) {
    if (isServiceError(e, 'ResourceNotFoundException')) {
      throw new ValidationError(
        `credentialSecretId: the credential secret ${id} was not found or has no current value; create it with {"secret": "..."} or {"username": "...", "password": "..."}`,
        'credentialSecretId',
      );
    }
    throw e;
  }
  return parseCredentials(credentialString, `credential secret ${id}`);
}

/** The same provider, dropping the cached credentials when the server refuses them. */
export function forgetOnRefusal(provider: TokenProvider, forget: () => void): TokenProvider {
  const guard = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      if (e instanceof BadCredentialError) forget();
      throw e;
    }
  };
  return {
    kind: provider.kind,
    version: () => guard(() => provider.version()),
    supportsRefresh: () => guard(() => provider.supportsRefresh()),
    issue: (options?: IssueOptions) => guard(() => provider.issue(options)),
    refresh: (token: string, options?: IssueOptions) => guard(() => provider.refresh(token, options)),
    revoke: (token: string) => guard(() => provider.revoke(token)),
    verify: (token: string) => guard(() => provider.verify(token)),
  };
}
