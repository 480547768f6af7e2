/**
 * Which answers mean "this token is refused", as each provider's edge declares them
 * (core/providers/edges.ts, from docs/protocols/*.md), as opposed to "this call is wrong" or "the
 * server is down": only a refusal is worth re-reading AWSCURRENT. A refusal is a status the edge
 * names, or, where the edge has refusal codes (TigerGraph's REST-10016 and REST-10019), an error
 * answer whose body carries one. Success answers (2xx, 3xx) are never refusals and their bodies
 * are never read.
 */
import { DEFAULT_PROVIDER } from '../core/providers/edges.js';
import { edgeOf } from './base-url.js';
import type { ProviderName } from './types.js';

/** Longest error body inspected for a refusal code. */
const MAX_BODY_CHARS = 64 * 1024;

/** Whether an HTTP status alone says the token was refused. */
export function isRefusalStatus(status: number, provider: ProviderName): boolean {
  return edgeOf(provider).refusalStatuses.includes(status);
}

/**
 * Whether a fetch Response refuses the token. Where the provider has refusal codes, an error
 * answer other than a refusal status is read from a clone, so the caller's Response stays unread.
 */
export async function isAuthRefusal(response: Response, provider: ProviderName = DEFAULT_PROVIDER): Promise<boolean> {
  const edge = edgeOf(provider);
  if (edge.refusalStatuses.includes(response.status)) return true;
  if (!edge.refusalCodes || response.status < 400 || response.bodyUsed) return false;
  try {
    return edge.refusalCodes.test((await response.clone().text()).slice(0, MAX_BODY_CHARS));
  } catch {
    return false;
  }
}

/**
 * Whether an error a client library threw is a refusal: its HTTP status (`status`, `statusCode`,
 * `response.status` as axios puts it, or the AWS SDK's `$metadata.httpStatusCode`), or a refusal
 * code of the provider in its `code` or message.
 */
export function isAuthRefusalError(error: unknown, provider: ProviderName = DEFAULT_PROVIDER): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const edge = edgeOf(provider);
  const e = error as {
    status?: unknown;
    statusCode?: unknown;
    response?: { status?: unknown };
    $metadata?: { httpStatusCode?: unknown };
    code?: unknown;
    message?: unknown;
  };
  const status = [e.status, e.statusCode, e.response?.status, e.$metadata?.httpStatusCode].find((s): s is number => typeof s === 'number');
  if (status !== undefined && edge.refusalStatuses.includes(status)) return true;
  const codes = edge.refusalCodes;
  return codes !== undefined && [e.code, e.message].some((v) => typeof v === 'string' && codes.test(v.slice(0, MAX_BODY_CHARS)));
}

/** A Response-like value (fetch Response, undici Response), without depending on a global. */
export function isResponse(value: unknown): value is Response {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Response).status === 'number' &&
    typeof (value as Response).clone === 'function' &&
    typeof (value as Response).headers === 'object'
  );
}
