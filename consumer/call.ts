/**
 * withToken: runs one request with the current token and, when the provider refuses the token,
 * re-reads AWSCURRENT once and retries once. A second refusal throws TokenRefusedError. It never
 * loops (at most two attempts and one re-read per call) and never logs. When the source does not
 * re-read (its refusal back-off: it hands the refused token back), there is nothing new to retry
 * with, so TokenRefusedError is thrown after the one attempt.
 *
 *   const rows = await withToken(source, (info) =>
 *     fetch(`${info.baseUrl}/query/${graph}/q`, { headers: { Authorization: `Bearer ${info.token}` } }));
 *
 * What counts as a refusal: by default, a returned fetch Response that isAuthRefusal() for the
 * token's provider, or a thrown error that isAuthRefusalError() (an HTTP status on the error, or a
 * TigerGraph REST-10016/10019 code). Pass `isRefusal` / `isRefusalError` for other client libraries.
 */
import { TokenRefusedError } from './errors.js';
import { isAuthRefusal, isAuthRefusalError, isResponse } from './refusal.js';
import type { TokenInfo, TokenSource } from './types.js';

export interface WithTokenOptions<T> {
  /**
   * Real milliseconds to wait after a refusal before re-reading AWSCURRENT. Default 0. Still one
   * re-read and one retry: the wait only lets a token write that is under way land first. Use it
   * where a provider kills the old token before the product can store the new one (ICA in
   * username/password mode, when its `tokens:refresh` invalidates the refreshed JWT: the new JWT
   * is AWSCURRENT a moment later). 1 000 to 2 000 covers that write.
   */
  rereadDelayMs?: number;
  /** Whether a returned value is a refusal. Default: a Response that isAuthRefusal(); anything else is not. */
  isRefusal?: (result: T, info: TokenInfo) => boolean | Promise<boolean>;
  /** Whether a thrown error is a refusal. Default: isAuthRefusalError(error, provider). */
  isRefusalError?: (error: unknown, info: TokenInfo) => boolean | Promise<boolean>;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function attempt<T>(fn: (info: TokenInfo) => Promise<T>, info: TokenInfo): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn(info) };
  } catch (error) {
    return { ok: false, error };
  }
}

async function defaultIsRefusal(result: unknown, info: TokenInfo): Promise<boolean> {
  return isResponse(result) ? isAuthRefusal(result, info.provider) : false;
}

function statusOf(outcome: Outcome<unknown>): number | undefined {
  const value = outcome.ok ? outcome.value : outcome.error;
  if (isResponse(value)) return value.status;
  const e = value as { status?: unknown; statusCode?: unknown; response?: { status?: unknown } } | undefined;
  return [e?.status, e?.statusCode, e?.response?.status].find((s): s is number => typeof s === 'number');
}

/** A refused Response is dropped: release its connection instead of leaving the body unread. */
function discard(outcome: Outcome<unknown>): void {
  if (outcome.ok && isResponse(outcome.value) && !outcome.value.bodyUsed) {
    outcome.value.body?.cancel().catch(() => undefined);
  }
}

export async function withToken<T>(source: TokenSource, fn: (info: TokenInfo) => Promise<T>, options: WithTokenOptions<T> = {}): Promise<T> {
  const isRefusal = options.isRefusal ?? defaultIsRefusal;
  const isRefusalError = options.isRefusalError ?? ((error: unknown, info: TokenInfo) => isAuthRefusalError(error, info.provider));
  const refused = async (outcome: Outcome<T>, info: TokenInfo): Promise<boolean> =>
    outcome.ok ? isRefusal(outcome.value, info) : isRefusalError(outcome.error, info);
  const settle = (outcome: Outcome<T>): T => {
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  };

  const first = await source.get();
  const firstOutcome = await attempt(fn, first);
  if (!(await refused(firstOutcome, first))) return settle(firstOutcome);
  discard(firstOutcome);

  if (options.rereadDelayMs) await new Promise((resolve) => setTimeout(resolve, options.rereadDelayMs));
  const second = await source.refresh(first);
  if (second === first) throw refusedError(source, first, first, firstOutcome, true);
  const secondOutcome = await attempt(fn, second);
  if (!(await refused(secondOutcome, second))) return settle(secondOutcome);
  discard(secondOutcome);
  throw refusedError(source, first, second, secondOutcome, false);
}

function refusedError(source: TokenSource, first: TokenInfo, last: TokenInfo, outcome: Outcome<unknown>, backedOff: boolean): TokenRefusedError {
  const status = statusOf(outcome);
  return new TokenRefusedError({
    secretId: source.secretId,
    ...(source.versionStage ? { versionStage: source.versionStage } : {}),
    provider: last.provider,
    versionId: last.versionId,
    sameVersion: last.versionId === first.versionId,
    baseUrl: last.baseUrl,
    backedOff,
    ...(status !== undefined ? { status } : {}),
    ...(last.graph ? { graph: last.graph } : {}),
  });
}
