/**
 * Which answers mean "this token is refused" for each provider (docs/protocols/*.md), as opposed
 * to "this call is wrong" or "the server is down": only a refusal is worth re-reading AWSCURRENT.
 *   TigerGraph  401 or 403 (REST++ answers REST-10016 with either, by version), or any error answer
 *               whose body carries REST-10016 (invalid token) or REST-10019 (expired token)
 *   Trifacta    401, or 403 (an unknown or deleted token is refused with either; 403 is also a
 *               missing permission, which one re-read and retry cannot hurt)
 *   ICA         401 (an RFC 7807 problem; 403 is a permission, not a token, problem)
 * Success answers (2xx, 3xx) are never refusals and their bodies are never read.
 */
import type { ProviderName } from './types.js';

/** REST++ codes of a refused token: REST-10016 invalid/empty/malformed, REST-10019 expired. */
const TIGERGRAPH_REFUSAL_CODE = /REST-100(?:16|19)\b/;
/** Longest error body inspected for a REST++ code. */
const MAX_BODY_CHARS = 64 * 1024;

/** Whether an HTTP status alone says the token was refused. */
export function isRefusalStatus(status: number, provider: ProviderName): boolean {
  if (provider === 'ica') return status === 401;
  return status === 401 || status === 403;
}

/** Whether an error answer's body carries a TigerGraph refusal code. */
export function hasTigerGraphRefusalCode(text: string): boolean {
  return TIGERGRAPH_REFUSAL_CODE.test(text.slice(0, MAX_BODY_CHARS));
}

/**
 * Whether a fetch Response refuses the token. For TigerGraph error answers other than 401/403 it
 * reads a clone of the body, so the caller's Response stays unread.
 */
export async function isAuthRefusal(response: Response, provider: ProviderName = 'tigergraph'): Promise<boolean> {
  if (isRefusalStatus(response.status, provider)) return true;
  if (provider !== 'tigergraph' || response.status < 400 || response.bodyUsed) return false;
  try {
    return hasTigerGraphRefusalCode(await response.clone().text());
  } catch {
    return false;
  }
}

/**
 * Whether an error a client library threw is a refusal: its HTTP status (`status`, `statusCode`,
 * `response.status` as axios puts it, or the AWS SDK's `$metadata.httpStatusCode`), and for
 * TigerGraph a REST-10016/10019 code in its message or `code`.
 */
export function isAuthRefusalError(error: unknown, provider: ProviderName = 'tigergraph'): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as {
    status?: unknown;
    statusCode?: unknown;
    response?: { status?: unknown };
    $metadata?: { httpStatusCode?: unknown };
    code?: unknown;
    message?: unknown;
  };
  const status = [e.status, e.statusCode, e.response?.status, e.$metadata?.httpStatusCode].find((s): s is number => typeof s === 'number');
  if (status !== undefined && isRefusalStatus(status, provider)) return true;
  if (provider !== 'tigergraph') return false;
  return [e.code, e.message].some((v) => typeof v === 'string' && hasTigerGraphRefusalCode(v));
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
