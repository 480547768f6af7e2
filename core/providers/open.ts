/**
 * Opens the provider of a token secret: checks the provider's fields, reads the credential secret
 * it names and builds the provider. Only the product's functions can read credential secrets
 * (IAM); consumers never do.
 *
 * Credentials are cached per container for a short time: the four rotation steps usually land on
 * one warm container, and many token secrets of a sweep often share one credential secret. When a
 * server refuses a credential, the cache entry is dropped and the credential secret read again
 * once: if an operator has changed it meanwhile, the call is retried with the new value at once
 * rather than failing until the cache expires.
 *
 * Before a credential's value is read, the token secret is checked against the deployment's
 * credential bindings (binding.ts): the credential, resolved to its full ARN (a secret may name it
 * by name, partial ARN or full ARN), must be bound to this token secret and to every origin the
 * provider would call. The credential is then read by that ARN, and the transport is handed the
 * bound origins, so no request leaves for anywhere else.
 */
import type { Clock } from '../clock.js';
import { BadCredentialError, CredentialBindingError, CredentialNotSetError, ValidationError } from '../errors.js';
import type { HttpTuning } from '../http/transport.js';
import { TOKEN_SECRET_DOCS_URL } from '../names.js';
import { isServiceError, type SecretStore } from '../secrets/store.js';
import { parseJsonSecret, type TokenSecret } from '../secrets/token-secret.js';
import { checkBinding, refersTo, type BindingPolicy } from './binding.js';
import type { ProviderContext, ProviderDefinition, TokenProvider } from './provider.js';
import { providerDefinition } from './registry.js';

const CREDENTIAL_TTL_MS = 60_000;

interface CachedCredential {
  /** The raw SecretString, to tell whether a re-read found a changed credential. */
  value: Promise<string | undefined>;
  expiresAt: number;
}

const credentialCache = new Map<string, CachedCredential>();
/** Credential ids (names, partial ARNs) resolved to full ARNs, for as long as credentials are cached. */
const resolvedArns = new Map<string, { arn: Promise<string>; expiresAt: number }>();

/** Forget cached credentials (tests; a process that wants to re-read them at once). */
export function clearCredentialCache(): void {
  credentialCache.clear();
  resolvedArns.clear();
}

export interface ProvidersOptions {
  store: SecretStore;
  clock: Clock;
  http?: HttpTuning;
  /** Honour a secret's `allowInsecureHttp` (explicitly local processes only). Default false. */
  allowInsecureHttp?: boolean;
  /** Where the deployment lets each credential go (binding.ts); checked before any credential is read. */
  binding: BindingPolicy;
  /** Where definitions come from. Default: the registry (tests substitute their own). */
  definitions?: (name: string) => ProviderDefinition<unknown, unknown>;
}

/** What operations need to reach a secret's provider (tests pass their own). */
export interface ProviderOpener {
  /** The definition of the secret's provider (its fields are checked when the provider is opened). */
  definition(secret: TokenSecret): ProviderDefinition<unknown, unknown>;
  /**
   * Checks the provider's fields and the credential binding, reads the credential secret and opens
   * the provider for the token secret `holder` (its full ARN; `what` names it in messages).
   */
  open(secret: TokenSecret, holder: SecretHolder): Promise<TokenProvider>;
}

/** The token secret a provider is opened for. */
export interface SecretHolder {
  /** The token secret's full ARN: the credential must be bound to it. */
  arn: string;
  /** Names the token secret in messages, e.g. "token secret tg/prod/token". */
  what: string;
}

/** Opens providers for token secrets; one per invocation, shared by everything the invocation does. */
export class Providers implements ProviderOpener {
  constructor(private readonly options: ProvidersOptions) {}

  /** The definition of the secret's provider (its fields are checked when the provider is opened). */
  definition(secret: TokenSecret): ProviderDefinition<unknown, unknown> {
    return (this.options.definitions ?? providerDefinition)(secret.provider);
  }

  /**
   * Checks the provider's token secret fields and the credential binding (before any call and
   * before the credential is read), then reads the credential secret and opens the provider.
   */
  async open(secret: TokenSecret, holder: SecretHolder): Promise<TokenProvider> {
    const { what } = holder;
    const definition = this.definition(secret);
    const local = this.options.allowInsecureHttp === true;
    // Deployed functions never speak plain HTTP, whatever a token secret says.
    const checked = { ...secret, allowInsecureHttp: local && secret.allowInsecureHttp === true };
    const config = definition.parseConfig(checked, what);
    const id = await this.resolveCredential(secret.credentialSecretId, what);
    const allowedOrigins = checkBinding(this.options.binding, { tokenSecretArn: holder.arn, credentialArn: id, origins: definition.origins(config), what });
    const context: ProviderContext = { clock: this.options.clock, allowInsecureHttp: local, http: { ...this.options.http, allowedOrigins } };
    const openWith = async (fresh: boolean): Promise<{ provider: TokenProvider; raw: string | undefined }> => {
      const raw = await this.credential(id, fresh);
      const json = parseJsonSecret(raw, `${definition.name}: credential secret ${id}`);
      if (isPlaceholder(json)) throw new CredentialNotSetError(id, definition.credentialShapes.map((s) => JSON.stringify(s)).join(' or '));
      const credentials = definition.parseCredentials(json, `credential secret ${id}`);
      return { provider: definition.open(config, credentials, context), raw };
    };
    const first = await openWith(false);
    return retryOnRefusal(first.provider, async () => {
      // The server refused the cached credential: read it again once.
      const again = await openWith(true);
      return again.raw !== first.raw ? again.provider : undefined;
    });
  }

  /**
   * The credential's full ARN. An id that is a bound ARN already is taken as it is (ARNs are
   * unique); a name or partial ARN is resolved by Secrets Manager itself (DescribeSecret), which
   * is the secret a read by that id would return.
   */
  private resolveCredential(id: string, what: string): Promise<string> {
    const { bindings, secretArnPrefix } = this.options.binding;
    if (bindings.some((b) => refersTo(b.credential, id, secretArnPrefix))) return Promise.resolve(id);
    const now = Date.now();
    const hit = resolvedArns.get(id);
    if (hit && hit.expiresAt > now) return hit.arn;
    const arn = this.options.store.describe(id).then(
      (d) => d.arn,
      (e: unknown) => {
        if (isServiceError(e, 'ResourceNotFoundException')) {
          throw new ValidationError(`credentialSecretId: the credential secret ${id} of ${what} was not found`, 'credentialSecretId');
        }
        if (isServiceError(e, 'AccessDeniedException')) {
          throw new CredentialBindingError(`${what}: its credential secret ${id} is not one this deployment may use (access denied when resolving it)`);
        }
        throw e;
      },
    );
    resolvedArns.set(id, { arn, expiresAt: now + CREDENTIAL_TTL_MS });
    arn.catch(() => resolvedArns.delete(id));
    return arn;
  }

  private credential(id: string, fresh: boolean): Promise<string | undefined> {
    const now = Date.now();
    const hit = credentialCache.get(id);
    if (!fresh && hit && hit.expiresAt > now) return hit.value;
    const value = this.readCredential(id);
    credentialCache.set(id, { value, expiresAt: now + CREDENTIAL_TTL_MS });
    // A failed read is not cached.
    value.catch(() => credentialCache.delete(id));
    return value;
  }

  private async readCredential(id: string): Promise<string | undefined> {
    try {
      return (await this.options.store.get(id)).secretString;
    } catch (e) {
      if (isServiceError(e, 'ResourceNotFoundException')) {
        throw new ValidationError(
          `credentialSecretId: the credential secret ${id} was not found or has no current value; create it with the shape the provider expects (see ${TOKEN_SECRET_DOCS_URL})`,
          'credentialSecretId',
        );
      }
      throw e;
    }
  }
}

/** The placeholder a deployment creates: an object whose every value is an empty string. */
function isPlaceholder(json: unknown): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const values = Object.values(json);
  return values.length > 0 && values.every((v) => v === '');
}

/**
 * The same provider, re-reading the credential once when the server refuses it: a call refused
 * with a credential that has since changed is made again with the new one; an unchanged
 * credential's refusal is the caller's error.
 */
function retryOnRefusal(provider: TokenProvider, reopen: () => Promise<TokenProvider | undefined>): TokenProvider {
  let current = provider;
  let reopened = false;
  const guard = async <T>(call: (p: TokenProvider) => Promise<T>): Promise<T> => {
    try {
      return await call(current);
    } catch (e) {
      if (!(e instanceof BadCredentialError) || reopened) throw e;
      reopened = true;
      const next = await reopen();
      if (!next) throw e;
      current = next;
      return call(current);
    }
  };
  return {
    name: provider.name,
    version: () => guard((p) => p.version()),
    capabilities: () => guard((p) => p.capabilities()),
    issue: (request) => guard((p) => p.issue(request)),
    refresh: (held, options) => guard((p) => p.refresh(held, options)),
    revoke: (held) => guard((p) => p.revoke(held)),
    verify: (held) => guard((p) => p.verify(held)),
  };
}
