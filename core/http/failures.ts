/**
 * What every provider's HTTP failures have in common: classifying a transport fault (timeout,
 * refused, reset, TLS, DNS) into a TransportError with a hint, the "answer was not the expected
 * JSON" error, and the sanitizer that keeps tokens, secrets and passwords out of any message built
 * from a server's answer. Each provider maps HTTP statuses and bodies to typed errors itself.
 */
import { TransportError } from '../errors.js';

/**
 * Longest part of a server message the sanitizer reads. Messages keep at most MAX_SERVER_MESSAGE
 * characters, so reading more only costs time: a 1 MiB error body must not stall a sweep, and
 * every pattern below then runs on a bounded input.
 */
const MAX_SANITIZED_INPUT = 2_000;
const MAX_SERVER_MESSAGE = 300;

/**
 * Removes anything token- or secret-like from a server message: quoted `token = '...'`, Bearer
 * and Basic values, JWT-shaped strings, long alphanumeric runs (TigerGraph 3.x tokens and secrets
 * are 32 chars) and the exact sensitive values the caller knows about. Linear in the message
 * length: exact values are removed from the whole text by plain string search, the patterns only
 * see its first MAX_SANITIZED_INPUT characters.
 */
export function sanitizeServerMessage(message: string, sensitive: readonly string[] = []): string {
  let out = message;
  for (const value of sensitive) {
    // Very short values (< 3 chars) cannot be removed without mangling the text; credentials that
    // short are refused by the servers anyway.
    if (value && value.length >= 3) out = out.split(value).join('[redacted]');
  }
  const truncated = out.length > MAX_SANITIZED_INPUT;
  if (truncated) {
    // A token cut in half at the end of the window would slip past the patterns: drop the last word.
    out = out.slice(0, MAX_SANITIZED_INPUT).replace(/\S*$/, '');
  }
  out = out
    .replace(/(token\s*[=:]?\s*)(['"`])[^'"`]*\2/gi, '$1$2[redacted]$2')
    .replace(/\b(bearer)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]')
    // "Basic" also starts ordinary phrases ("basic auth required"): only base64-looking values.
    .replace(/\b(basic)\s+[A-Za-z0-9+/]{8,}={0,2}/gi, '$1 [redacted]')
    .replace(/[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[redacted]')
    .replace(/[A-Za-z0-9+/_-]{24,}/g, '[redacted]')
    .replace(/\s+/g, ' ')
    .trim();
  return out.length > MAX_SERVER_MESSAGE || truncated ? `${out.slice(0, MAX_SERVER_MESSAGE)}…` : out;
}

export function asRecord(body: unknown): Record<string, unknown> | undefined {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

/** A non-empty string, or undefined. */
export function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|HOSTNAME_MISMATCH|ERR_OSSL)/;

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    cur = (cur as { cause?: unknown }).cause;
  }
  return codes;
}

export interface CallContext {
  /** The service's name in messages, e.g. "TigerGraph". */
  service: string;
  op: string;
  method: string;
  url: string;
}

/**
 * Classifies an exception from node:http/node:https (or our own per-attempt timeout) as a
 * TransportError with a hint. Node puts the system or OpenSSL code on `code` (sometimes on a cause).
 */
export function transportError(err: unknown, ctx: CallContext & { timedOut: boolean; timeoutMs: number }): TransportError {
  const origin = new URL(ctx.url).origin;
  const what = `${ctx.method} ${ctx.url} (${ctx.op})`;
  if (ctx.timedOut) {
    return new TransportError(
      `No answer from ${ctx.service} for ${what} within ${ctx.timeoutMs} ms: check the host and port, network access ` +
        '(security groups, VPC routes, firewall) and server load, or raise timeoutMs',
      'timeout',
      { cause: err },
    );
  }
  const codes = errorCodes(err);
  const msg = err instanceof Error ? err.message : String(err);
  const has = (...c: string[]) => codes.some((x) => c.includes(x));
  if (codes.some((c) => TLS_CODES.test(c)) || /certificate|ssl|tls/i.test(msg)) {
    const code = codes.find((c) => TLS_CODES.test(c));
    return new TransportError(
      `TLS with ${origin} failed${code ? ` (${code})` : ''} for ${what}: check that the host name matches the ` +
        'server certificate, that caCertificate holds the PEM bundle of a private CA, and that the port speaks HTTPS',
      'tls',
      { cause: err },
    );
  }
  if (has('ECONNREFUSED')) {
    return new TransportError(
      `Connection to ${origin} refused for ${what}: check the host, the port and that ${ctx.service} is running`,
      'refused',
      { cause: err },
    );
  }
  if (has('ENOTFOUND', 'EAI_AGAIN')) {
    return new TransportError(`Cannot resolve the host of ${origin} for ${what}: check the host name and DNS/VPC settings`, 'dns', {
      cause: err,
    });
  }
  if (has('ETIMEDOUT')) {
    return new TransportError(
      `Timed out talking to ${origin} for ${what}: check the host and port, network access and server load, or raise timeoutMs`,
      'timeout',
      { cause: err },
    );
  }
  // "socket hang up" (closed before any answer) and a body cut short both carry ECONNRESET; HPE_*
  // are the HTTP parser's codes for an answer that is not HTTP.
  if (has('ECONNRESET', 'EPIPE', 'ECONNABORTED', 'HPE_INVALID_CONSTANT', 'HPE_INVALID_VERSION')) {
    return new TransportError(
      `Connection to ${origin} was closed before an answer for ${what}: check the port speaks ${new URL(ctx.url).protocol === 'https:' ? 'HTTPS' : 'HTTP'}, ` +
        `any proxy or load balancer in between, and the ${ctx.service} logs`,
      'reset',
      { cause: err },
    );
  }
  return new TransportError(`Request to ${origin} failed for ${what}${codes[0] ? ` (${codes[0]})` : ''}: check the host and port`, 'other', {
    cause: err,
  });
}

export function malformedError(ctx: CallContext & { status: number }): TransportError {
  return new TransportError(
    `${ctx.service} answered ${ctx.method} ${ctx.url} (${ctx.op}) with HTTP ${ctx.status} and a body that is not the expected JSON: ` +
      `check that the host and port reach ${ctx.service} and not another service or proxy`,
    'malformed',
  );
}
