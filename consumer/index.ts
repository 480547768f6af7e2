/**
 * The consumer library (the tg-token-rotation-consumer package): how an app reads a rotated token
 * and never holds a dead one.
 *
 *   import { createTokenSource, tokenFetch } from 'tg-token-rotation-consumer';
 *   const source = createTokenSource({ secretId: 'prod/tigergraph/token' });   // once per process
 *   const tg = tokenFetch(source);
 *   const res = await tg('/echo');            // Bearer token, REST++ base, one re-read on refusal
 *
 * - createTokenSource: AWSCURRENT through GetSecretValue, cached until shortly before expiry and
 *   never longer than maxAgeMs; one read in flight for concurrent callers; failures not cached,
 *   but ridden out with the cached token while it is valid.
 * - withToken: any client library; re-reads once and retries once when the token is refused.
 * - tokenFetch: fetch with the base URL, the Bearer header and the same retry rule; it follows
 *   redirects only under the base URL, so the token never leaves it.
 * - isAuthRefusal / isAuthRefusalError: the providers' refusal answers.
 * The middy middleware is a separate entry: tg-token-rotation-consumer/middy (consumer/middy.ts).
 */
export { createTokenSource, DEFAULT_EXPIRY_MARGIN_MS, DEFAULT_MAX_AGE_MS, DEFAULT_READ_TIMEOUT_MS, DEFAULT_REFRESH_BEFORE_MS } from './source.js';
export { withToken, type WithTokenOptions } from './call.js';
export { tokenFetch, assertReplayableBody, MAX_REDIRECTS, type FetchLike, type TokenFetch, type TokenFetchOptions } from './fetch.js';
export { isAuthRefusal, isAuthRefusalError } from './refusal.js';
export { baseUrlFor, type ConnectionFields } from './base-url.js';
export { tokenInfoFromSecret } from './secret.js';
export {
  ConsumerError,
  SecretFormatError,
  SecretReadError,
  TokenNotReadyError,
  TokenRefusedError,
  RedirectRefusedError,
  type ConsumerErrorCode,
  type RedirectRefusedDetails,
  type SecretReadContext,
  type TokenRefusedDetails,
} from './errors.js';
export type { ProviderName, SecretsClient, TokenInfo, TokenSource, TokenSourceOptions, TokenSourceStats } from './types.js';
