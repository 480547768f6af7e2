/**
 * Turns a TigerGraph failure (HTTP answer or transport fault) into a typed error from
 * core/errors.ts. Messages say what to check and never carry a token, secret or password:
 * server messages are sanitized first because REST++ quotes the token it refused
 * ("Access Denied because the input token = '...' is invalid.").
 */
import {
  AuthenticationDisabledError,
  BadCredentialError,
  HttpError,
  TokenNotFoundError,
  TransportError,
  type TokenError,
} from '../errors.js';
import type { TigerGraphOp } from './types.js';

/** Codes meaning "this token is unknown, deleted or expired" (REST-3300 is what clients match). */
export const TOKEN_GONE_CODES: ReadonlySet<string> = new Set(['REST-3300', 'REST-10016', 'REST-10019']);

const MAX_SERVER_MESSAGE = 300;

/**
 * Removes anything token- or secret-like from a server message: quoted `token = '...'`, Bearer
 * values, JWT-shaped strings, long alphanumeric runs (3.x tokens and secrets are 32 chars) and
 * the exact sensitive values the caller knows about.
 */
export function sanitizeServerMessage(message: string, sensitive: readonly string[] = []): string {
  let out = message;
  for (const value of sensitive) {
    // Very short values (< 3 chars) cannot be removed without mangling the text; credentials that
    // short are refused by TigerGraph anyway.
    if (value && value.length >= 3) out = out.split(value).join('[redacted]');
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
  return out.length > MAX_SERVER_MESSAGE ? `${out.slice(0, MAX_SERVER_MESSAGE)}…` : out;
}

/** `error` is sometimes the string "true"/"false" in REST++ answers. */
export function isErrorFlag(v: unknown): boolean {
  return v === true || v === 'true';
}

export function asRecord(body: unknown): Record<string, unknown> | undefined {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

export interface FailureContext {
  op: TigerGraphOp;
  method: string;
  url: string;
  status: number;
  /** Parsed JSON body, or undefined when the body was not JSON. */
  body: unknown;
  /** Raw body text, used (stripped of markup) only when the body was not JSON. */
  text: string;
  /** Values that must never appear in a message: the token in play, the secret, the password. */
  sensitive: readonly string[];
}

function serverMessageOf(ctx: FailureContext): string {
  const rec = asRecord(ctx.body);
  if (rec && typeof rec.message === 'string') return sanitizeServerMessage(rec.message, ctx.sensitive);
  if (!rec && ctx.text) return sanitizeServerMessage(ctx.text.replace(/<[^>]*>/g, ' ').slice(0, 200), ctx.sensitive);
  return '';
}

/** Maps a non-2xx answer, or a 2xx answer with `error: true`, to a typed error. */
export function failureToError(ctx: FailureContext): TokenError {
  const rec = asRecord(ctx.body);
  const restCode = rec && typeof rec.code === 'string' && rec.code ? rec.code : undefined;
  const serverMessage = serverMessageOf(ctx);
  const what = `${ctx.method} ${ctx.url} (${ctx.op})`;
  const detail = `HTTP ${ctx.status}${restCode ? `, ${restCode}` : ''}${serverMessage ? `: "${serverMessage}"` : ''}`;
  const tokenOp = ctx.op === 'refresh' || ctx.op === 'delete';
  const credentialOp = ctx.op === 'request' || tokenOp;

  if (restCode === 'REST-1000' && ctx.status === 404 && /\/requesttoken$/.test(ctx.url)) {
    return new AuthenticationDisabledError(
      `TigerGraph has no /requesttoken endpoint at ${ctx.url} (${detail}): enable REST++ authentication ` +
        '(gadmin config set RESTPP.Factory.EnableAuth true; gadmin config apply -y; gadmin restart restpp -y), ' +
        'and check that restppPort and tigergraphVersion point at the REST++ server of a TigerGraph 3.x',
    );
  }
  if (tokenOp && (restCode !== undefined && TOKEN_GONE_CODES.has(restCode) || looksLikeUnknownToken(serverMessage))) {
    return new TokenNotFoundError(
      `TigerGraph does not know the token for ${what} (${detail}): it was deleted, has expired or was issued by another server`,
    );
  }
  if (credentialOp && (ctx.status === 401 || ctx.status === 403 || looksLikeCredentialRefusal(serverMessage))) {
    return new BadCredentialError(
      `TigerGraph refused the credential for ${what} (${detail}): check the TigerGraph secret ` +
        '(or username/password) in the credential secret, that it belongs to the configured graph, and the host',
    );
  }
  const hint =
    ctx.status >= 500
      ? 'the server failed; retry later and check the TigerGraph service health'
      : ctx.status === 404
        ? 'check the host, restppPort/gsqlPort and tigergraphVersion (3.x and 4.x use different endpoints)'
        : 'check the request settings (graph, lifetimeSeconds) and the TigerGraph version';
  return new HttpError(`TigerGraph answered ${what} with ${detail}; ${hint}`, ctx.status, restCode, serverMessage || undefined);
}

function looksLikeUnknownToken(msg: string): boolean {
  return /token/i.test(msg) && /(not exist|doesn'?t exist|does not exist|not found|expired|invalid)/i.test(msg);
}

function looksLikeCredentialRefusal(msg: string): boolean {
  return /(secret|password|credential|authenticat|unauthori[sz]ed|username)/i.test(msg);
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

/**
 * Classifies an exception from node:http/node:https (or our own per-attempt timeout) as a
 * TransportError with a hint. Node puts the system or OpenSSL code on `code` (sometimes on a cause).
 */
export function transportError(
  err: unknown,
  ctx: { op: TigerGraphOp; method: string; url: string; timedOut: boolean; timeoutMs: number },
): TransportError {
  const origin = new URL(ctx.url).origin;
  const what = `${ctx.method} ${ctx.url} (${ctx.op})`;
  if (ctx.timedOut) {
    return new TransportError(
      `No answer from TigerGraph for ${what} within ${ctx.timeoutMs} ms: check the host and port, network access ` +
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
      `Connection to ${origin} refused for ${what}: check the host, the port (restppPort/gsqlPort) and that TigerGraph is running`,
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
        'any proxy or load balancer in between, and the TigerGraph logs',
      'reset',
      { cause: err },
    );
  }
  return new TransportError(`Request to ${origin} failed for ${what}${codes[0] ? ` (${codes[0]})` : ''}: check the host and port`, 'other', {
    cause: err,
  });
}

export function malformedError(ctx: { op: TigerGraphOp; method: string; url: string; status: number }): TransportError {
  return new TransportError(
    `TigerGraph answered ${ctx.method} ${ctx.url} (${ctx.op}) with HTTP ${ctx.status} and a body that is not the expected JSON: ` +
      'check that the host and port reach TigerGraph REST++/GSQL and not another service or proxy',
    'malformed',
  );
}
