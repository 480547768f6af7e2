/**
 * What every provider's HTTP failures have in common: classifying a transport fault (timeout,
 * refused, reset, TLS, DNS) into a TransportError with a hint, the "answer was not the expected
 * JSON" error, and the one rule for what of a server's error answer may reach a message:
 *  - a body that is not a JSON object (an HTML page, a proxy's text) is never quoted: its content
 *    type and length say enough (`text/html, 48213 bytes`);
 *  - a JSON error's message is quoted only after every token, secret, password and Basic value
 *    in play is redacted from it, in every form a server may echo them (redaction.ts), and only
 *    then cut to length, so no value straddling the cut survives as a prefix;
 *  - identifiers (error codes, exception names) are quoted only when they look like one.
 * Every step is linear in the text read, and reads a bounded window of it.
 * Each provider maps HTTP statuses and bodies to typed errors itself.
 */
import { TransportError } from '../errors.js';
import { sensitiveSpans, type Span } from './redaction.js';

/**
 * What a provider's failure parser is given about one refused call: the request, the answer as
 * read, and the values in play that no message may carry. Each provider adds what it needs.
 */
export interface FailedCall<Op extends string> {
  op: Op;
  method: string;
  /** The URL called (ICA's without its query string). */
  url: string;
  status: number;
  /** Parsed JSON body, or undefined when the body was not JSON. */
  body: unknown;
  /** Raw body text: never quoted; a body that is not a JSON object is described by its type and length. */
  text: string;
  /** The answer's Content-Type header, if any. */
  contentType: string | undefined;
  /** Values that must never appear in a message: the token in play, the credential's secret parts, the Basic value. */
  sensitive: readonly string[];
}

/** What an error quotes of a server's message at most. */
export const MAX_SERVER_MESSAGE = 300;

/**
 * How much of a server's message is read. Whitespace runs collapse and redacted values shrink, so
 * more than MAX_SERVER_MESSAGE is read; the rest is never looked at (a 1 MiB message must not
 * stall a sweep). A value that starts inside the window is still redacted whole (redaction.ts).
 */
const MESSAGE_WINDOW = 2_000;

const REDACTED = '[redacted]';

/**
 * Token-like text the caller may not know about (another token of the user, a token of a proxy),
 * besides the runs found by runSpans: quoted `token = '...'`, and Bearer and Basic values. Each
 * pattern is linear: no two of its quantifiers can take the same characters.
 */
const TOKEN_PATTERNS: ReadonlyArray<{ pattern: RegExp; group: number }> = [
  { pattern: /token\s*(?:[=:]\s*)?(['"`])([^'"`]*)\1/dgi, group: 2 },
  { pattern: /\bbearer\s+([A-Za-z0-9._~+/=-]+)/dgi, group: 1 },
  // "Basic" also starts ordinary phrases ("basic auth required"): only base64-looking values.
  { pattern: /\bbasic\s+([A-Za-z0-9+/]{8,}={0,2})/dgi, group: 1 },
];

/** A run of token characters this long is a token (TigerGraph 3.x tokens and secrets are 32). */
const LONG_RUN = 24;
/** Each of a JWT's three dot-separated parts is at least this long. */
const JWT_PART = 8;

/**
 * A server's message fit for an error: the sensitive values (in any encoding) and anything
 * token-like redacted, whitespace collapsed, then cut to MAX_SERVER_MESSAGE characters ("…" when
 * cut). Redaction comes first: a value straddling a cut is redacted whole, never left as a prefix.
 */
export function sanitizeServerMessage(message: string, sensitive: readonly string[] = []): string {
  const windowed = message.length > MESSAGE_WINDOW;
  // The word the window cuts may be a token whose rest lies past it: it is left out whole.
  const end = windowed ? wordStartBefore(message, MESSAGE_WINDOW) : message.length;
  const window = message.slice(0, end);
  const spans = [...sensitiveSpans(message, sensitive, end), ...tokenSpans(window)];
  const text = redact(window, spans).replace(/\s+/g, ' ').trim();
  if (text.length <= MAX_SERVER_MESSAGE && !windowed) return text;
  return `${cut(text, MAX_SERVER_MESSAGE)}…`;
}

/** True when `text` holds a sensitive value in any encoding (for fields quoted only whole, or not at all). */
export function holdsSensitive(text: string, sensitive: readonly string[]): boolean {
  return sensitiveSpans(text, sensitive).length > 0;
}

/** An error code or exception name as servers send them: `REST-10016`, `DataNotFoundException`. */
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_.$-]{0,79}$/;

/**
 * A server's identifier (an error code, an exception name) to quote and compare, or undefined when
 * it is not a short identifier, or could be a token or hold a sensitive value.
 */
export function serverIdentifier(value: unknown, sensitive: readonly string[]): string | undefined {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) return undefined;
  // A long run or a JWT with a digit in it is a token; a long name (InternalServerErrorException) is not.
  const tokenLike = runSpans(value).some((s) => /[0-9]/.test(value.slice(s.start, s.end)));
  return tokenLike || holdsSensitive(value, sensitive) ? undefined : value;
}

/** A media type as `type/subtype`, both short tokens (parameters such as charset are left out). */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9.+-]{0,63}\/[A-Za-z0-9][A-Za-z0-9.+-]{0,63}$/;

/**
 * All an error says of a body it does not quote: `text/html, 48213 bytes`. The content type is the
 * server's too, so it is named only when it is a plain media type holding no sensitive value.
 */
export function describeBody(answer: { contentType: string | undefined; text: string }, sensitive: readonly string[]): string {
  const header = answer.contentType;
  const semicolon = header?.indexOf(';') ?? -1;
  const essence = (semicolon >= 0 ? header?.slice(0, semicolon) : header)?.trim();
  const type =
    essence === undefined || essence === ''
      ? 'no content type'
      : MEDIA_TYPE.test(essence) && !holdsSensitive(essence, sensitive)
        ? essence.toLowerCase()
        : 'an unreadable content type';
  return `${type}, ${Buffer.byteLength(answer.text, 'utf8')} bytes`;
}

function tokenSpans(window: string): Span[] {
  const spans = runSpans(window);
  for (const { pattern, group } of TOKEN_PATTERNS) {
    pattern.lastIndex = 0;
    for (let match = pattern.exec(window); match; match = pattern.exec(window)) {
      const at = match.indices?.[group];
      if (at && at[1] > at[0]) spans.push({ start: at[0], end: at[1] });
    }
  }
  return spans;
}

/**
 * Long runs of token characters ([A-Za-z0-9+/_-]) and JWT-shaped strings (three base64url runs,
 * each at least JWT_PART long, joined by single dots), in one pass over the characters.
 */
function runSpans(text: string): Span[] {
  const spans: Span[] = [];
  const row: JwtRow = { parts: 0, start: 0, end: 0 };
  for (let i = 0; i < text.length; ) {
    if (!isTokenChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const run = i;
    let piece = i;
    // A token run is base64url pieces joined by '+' and '/'.
    for (; i < text.length && isTokenChar(text.charCodeAt(i)); i++) {
      if (isBase64UrlChar(text.charCodeAt(i))) continue;
      if (i > piece) jwtPart(text, row, spans, piece, i);
      piece = i + 1;
    }
    if (i > piece) jwtPart(text, row, spans, piece, i);
    if (i - run >= LONG_RUN) spans.push({ start: run, end: i });
  }
  return spans;
}

/** The JWT parts seen in a row so far, each joined to the one before by a single '.'. */
interface JwtRow {
  parts: number;
  /** Where the first part starts, and the last one ends. */
  start: number;
  end: number;
}

/** Adds the base64url run [start, end) to the row, and the row to `spans` once it has three parts. */
function jwtPart(text: string, row: JwtRow, spans: Span[], start: number, end: number): void {
  if (end - start < JWT_PART) {
    row.parts = 0;
    return;
  }
  const joined = row.parts > 0 && row.end + 1 === start && text.charCodeAt(row.end) === 0x2e;
  if (!joined) {
    row.parts = 0;
    row.start = start;
  }
  row.parts++;
  row.end = end;
  if (row.parts === 3) {
    spans.push({ start: row.start, end });
    row.parts = 0;
  }
}

/** [A-Za-z0-9+/_-] */
function isTokenChar(c: number): boolean {
  return isBase64UrlChar(c) || c === 0x2b || c === 0x2f;
}

/** [A-Za-z0-9_-] */
function isBase64UrlChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d;
}

/** `text` with every span (merged where they overlap or touch) replaced by one REDACTED marker. */
function redact(text: string, spans: Span[]): string {
  spans.sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let at = 0;
  for (let i = 0; i < spans.length; ) {
    const start = (spans[i] as Span).start;
    let end = (spans[i] as Span).end;
    for (i++; i < spans.length && (spans[i] as Span).start <= end; i++) end = Math.max(end, (spans[i] as Span).end);
    if (start >= text.length) break;
    if (end <= at) continue;
    parts.push(text.slice(at, Math.max(at, start)), REDACTED);
    at = end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts.join('');
}

/** Where the word around `index` starts: `index` itself when a word does not straddle it. */
function wordStartBefore(text: string, index: number): number {
  if (isSpace(text.charCodeAt(index)) || isSpace(text.charCodeAt(index - 1))) return index;
  let i = index - 1;
  while (i > 0 && !isSpace(text.charCodeAt(i - 1))) i--;
  return i;
}

/** The characters of JavaScript's `\s`. */
function isSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** The first `max` UTF-16 units of `text`, without splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** True when `text` has a character other than whitespace (without copying a 1 MiB body to trim it). */
export function hasText(text: string): boolean {
  return /\S/.test(text);
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
