/**
 * Turns a token secret version (SecretString JSON, docs/CONTRACT.md) into a TokenInfo. Pure and
 * hand-written (no zod, to keep consumer bundles small); it checks only what a consumer uses and
 * ignores every other field. Error messages name the field, never a value.
 */
import { EdgeFieldError } from '../core/providers/edge.js';
import { DEFAULT_PROVIDER, providerEdge } from '../core/providers/edges.js';
import { baseUrlFor, knownProviders } from './base-url.js';
import { SecretFormatError, TokenNotReadyError } from './errors.js';
import type { ProviderName, TokenInfo } from './types.js';

export interface ReadVersion {
  secretId: string;
  versionId: string;
  secretString: string | undefined;
  /** Whether this process honours the secret's allowInsecureHttp. */
  allowInsecureHttp: boolean;
}

export function tokenInfoFromSecret(version: ReadVersion): TokenInfo {
  const { secretId } = version;
  const fail = (message: string, field?: string): never => {
    throw new SecretFormatError(secretId, message, field);
  };
  if (version.secretString === undefined) fail('it has no SecretString (binary secrets are not token secrets)');
  let json: unknown;
  try {
    json = JSON.parse(version.secretString as string);
  } catch {
    fail('its SecretString is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('its SecretString is not a JSON object');
  const s = json as Record<string, unknown>;

  const provider = s.provider ?? DEFAULT_PROVIDER;
  if (typeof provider !== 'string' || !providerEdge(provider)) fail(`provider: expected one of ${knownProviders()}`, 'provider');
  if (typeof s.host !== 'string' || !s.host) fail('host: expected a URL such as https://tg.example.com', 'host');

  const token = s.token;
  if (token === undefined || token === null || token === '') {
    throw new TokenNotReadyError(secretId, typeof s.credentialSecretId === 'string' ? s.credentialSecretId : undefined);
  }
  if (typeof token !== 'string') fail('token: expected a string', 'token');

  const expiresAt = instant(s.expiresAt, 'expiresAt', fail);
  const issuedAt = instant(s.issuedAt, 'issuedAt', fail);
  const graph = typeof s.graph === 'string' && s.graph ? s.graph : undefined;

  let baseUrl: string;
  try {
    baseUrl = baseUrlFor({
      provider: provider as ProviderName,
      host: s.host as string,
      allowInsecureHttp: version.allowInsecureHttp && s.allowInsecureHttp === true,
      fields: s,
      token: token as string,
    });
  } catch (e) {
    if (e instanceof EdgeFieldError) return fail(e.message, e.field);
    // Host rule messages name the host and the rule, never a token.
    return fail(e instanceof Error ? e.message : 'host: unusable', 'host');
  }

  const info = {
    provider: provider as ProviderName,
    host: new URL(s.host as string).origin,
    baseUrl,
    expiresAt,
    issuedAt,
    versionId: version.versionId,
    secretId,
    ...(graph ? { graph } : {}),
  };
  // Non-enumerable: JSON.stringify, console.log and spreads leave the token out.
  Object.defineProperty(info, 'token', { value: token, enumerable: false, writable: false, configurable: false });
  return Object.freeze(info) as TokenInfo;
}

function instant(value: unknown, field: string, fail: (m: string, f?: string) => never): Date | null {
  if (value === undefined || value === null) return null;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) fail(`${field}: expected a UTC ISO-8601 timestamp such as 2026-12-22T10:00:00.000Z, or null`, field);
  return new Date(ms);
}
