/**
 * Shared request context and answer helpers for the fake's REST++ and GSQL handlers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../../core/clock.js';
import { basicCredentials, bearerToken, sendJson, type FakeExchange } from '../shared/http.js';
import type { FakeErrorShape, ResolvedQuirks } from './quirks.js';
import type { TokenStore } from './tokens.js';

export type { FakeErrorShape, FakeTigerGraphQuirks, ResolvedQuirks } from './quirks.js';
/** JSON bodies are parsed whatever the Content-Type, as REST++ does. */
export { jsonBody, sendJson, sendText } from '../shared/http.js';

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

export interface Exchange extends FakeExchange {
  /** Path without query string; REST++ routes see it as REST++ does (without an nginx `/restpp` prefix). */
  path: string;
}

const ENVELOPE_VERSION = { edition: 'enterprise', api: 'v2', schema: 0 };

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

/** username/password from a Basic Authorization header. */
export function basicAuth(req: IncomingMessage): { user: string; password: string } | undefined {
  return basicCredentials(req.headers.authorization);
}

export function bearer(req: IncomingMessage): string | undefined {
  return bearerToken(req.headers.authorization);
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
