/**
 * Shared request context and answer helpers for the fake's REST++ and GSQL handlers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../../core/clock.js';
import type { TokenStore } from './tokens.js';

/** An error answer whose code, status and message are configurable where the docs are silent. */
export interface FakeErrorShape {
  code: string;
  status: number;
  message: string;
}

export interface FakeTigerGraphQuirks {
  /** HTTP status of REST-10016 (missing/invalid token). Real servers: 401 or 403 by version. Default 401. */
  invalidTokenStatus?: 401 | 403;
  /**
   * Answer for an expired token (REST++ calls and 3.x refresh). Default REST-10019, 401.
   * In this and `unknownToken`, `{token}` in the message is replaced by the token in play, to
   * model servers that quote it.
   */
  expiredToken?: Partial<FakeErrorShape>;
  /** Answer to a 3.x refresh/delete of a token the server does not know. Default REST-3300, 404. */
  unknownToken?: Partial<FakeErrorShape>;
  /**
   * Answer to a wrong secret or username/password. Default REST-10002, 401 (4.x: no code).
   * `{secret}` in the message is replaced by the refused secret, to model servers that quote it.
   */
  wrongSecret?: Partial<FakeErrorShape>;
  /** How 4.x reads `lifetime`: 'seconds' (what clients send, default) or 'milliseconds' (what the docs say). */
  lifetimeUnit?: 'seconds' | 'milliseconds';
  /** Whether 4.x still serves REST++ /requesttoken (deprecated in 4.1). Default false: REST-1000 404. */
  requestTokenOn4x?: boolean;
  /** The 3.2 bug: refresh answers `expiration` = lifetime instead of a timestamp. Default false. */
  refreshReturnsLifetime?: boolean;
  /** REST++ /version needs a token when authentication is on. Default false. */
  versionRequiresToken?: boolean;
  /** HTTP status of REST-1101 (PUT/DELETE /requesttoken with only a query string, 3.5+). Default 400. */
  queryStringStatus?: number;
  /** Pre-3.5 behaviour: PUT/DELETE /requesttoken accept `?secret=&token=&lifetime=` instead of REST-1101. Default false. */
  legacyQueryString?: boolean;
  /** 4.x /gsql/v1/tokens/check answer for a token that does not verify. Default 401. */
  tokenCheckFailure?: Partial<Pick<FakeErrorShape, 'status' | 'message'>>;
  /** Most tokens one 4.x block-list DELETE accepts. Default 20. */
  blockListLimit?: number;
  /** Version reported by /version. Default "3.10.1" or "4.1.2". */
  versionString?: string;
}

export interface ResolvedQuirks {
  invalidTokenStatus: 401 | 403;
  expiredToken: FakeErrorShape;
  unknownToken: FakeErrorShape;
  wrongSecret: FakeErrorShape;
  lifetimeUnit: 'seconds' | 'milliseconds';
  requestTokenOn4x: boolean;
  refreshReturnsLifetime: boolean;
  versionRequiresToken: boolean;
  queryStringStatus: number;
  legacyQueryString: boolean;
  tokenCheckFailure: { status: number; message: string };
  blockListLimit: number;
  versionString: string;
}

export function resolveQuirks(version: 3 | 4, q: FakeTigerGraphQuirks = {}): ResolvedQuirks {
  return {
    invalidTokenStatus: q.invalidTokenStatus ?? 401,
    expiredToken: {
      code: 'REST-10019',
      status: 401,
      message: 'Access Denied because the input token has expired.',
      ...q.expiredToken,
    },
    unknownToken: { code: 'REST-3300', status: 404, message: 'The token does not exist.', ...q.unknownToken },
    wrongSecret: {
      code: 'REST-10002',
      status: 401,
      message: 'Authentication failed: the secret or the username/password is not valid.',
      ...q.wrongSecret,
    },
    lifetimeUnit: q.lifetimeUnit ?? 'seconds',
    requestTokenOn4x: q.requestTokenOn4x ?? false,
    refreshReturnsLifetime: q.refreshReturnsLifetime ?? false,
    versionRequiresToken: q.versionRequiresToken ?? false,
    queryStringStatus: q.queryStringStatus ?? 400,
    legacyQueryString: q.legacyQueryString ?? false,
    tokenCheckFailure: { status: 401, message: 'The token verification failed.', ...q.tokenCheckFailure },
    blockListLimit: q.blockListLimit ?? 20,
    versionString: q.versionString ?? (version === 3 ? '3.10.1' : '4.1.2'),
  };
}

export interface FakeContext {
  version: 3 | 4;
  secrets: ReadonlySet<string>;
  users: Readonly<Record<string, string>>;
  graphs: readonly string[];
  authEnabled: boolean;
  defaultLifetimeSeconds: number;
  quirks: ResolvedQuirks;
  store: TokenStore;
  clock: Clock;
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path without query string and without the `/restpp` prefix for REST++ routes. */
  path: string;
  query: URLSearchParams;
  /** Raw request body. */
  text: string;
}

const ENVELOPE_VERSION = { edition: 'enterprise', api: 'v2', schema: 0 };

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain'): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** REST++ error envelope. */
export function restError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { version: ENVELOPE_VERSION, error: true, message, code });
}

export function restErrorShape(res: ServerResponse, shape: FakeErrorShape, token = '', secret = ''): void {
  restError(res, shape.status, shape.code, fillMessage(shape.message, token, secret));
}

/** Fills the `{token}` / `{secret}` placeholders of a quirk message. */
export function fillMessage(message: string, token = '', secret = ''): string {
  return message.split('{token}').join(token).split('{secret}').join(secret);
}

/** GSQL error body: `{"error": true, "message": ...}` (4.x failure bodies are UNCONFIRMED). */
export function gsqlError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: true, message });
}

/** Parses a JSON body whatever the Content-Type (REST++ does). undefined = empty; null = not JSON. */
export function jsonBody(text: string): Record<string, unknown> | undefined | null {
  if (!text.trim()) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** username/password from a Basic Authorization header. */
export function basicAuth(req: IncomingMessage): { user: string; password: string } | undefined {
  const h = req.headers.authorization;
  if (!h || !/^basic /i.test(h)) return undefined;
  const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

export function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h || !/^bearer /i.test(h)) return undefined;
  return h.slice(7).trim();
}

/** A GSQL login: a known user, or `__GSQL__secret` with a known secret. Returns the user name. */
export function gsqlLogin(ctx: FakeContext, req: IncomingMessage): { ok: true; user: string } | { ok: false; given: boolean } {
  const b = basicAuth(req);
  if (!b) return { ok: false, given: false };
  if (b.user === '__GSQL__secret') return ctx.secrets.has(b.password) ? { ok: true, user: 'tigergraph' } : { ok: false, given: true };
  return ctx.users[b.user] !== undefined && ctx.users[b.user] === b.password ? { ok: true, user: b.user } : { ok: false, given: true };
}

/** `lifetime` as a number or numeric string; undefined when absent; NaN when invalid. */
export function lifetimeOf(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n : NaN;
}
