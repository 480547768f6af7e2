/**
 * Shared request context and answer helpers for the fake's REST++ and GSQL handlers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../../core/clock.js';
import type { FakeErrorShape, ResolvedQuirks } from './quirks.js';
import type { TokenStore } from './tokens.js';

export type { FakeErrorShape, FakeTigerGraphQuirks, ResolvedQuirks } from './quirks.js';

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
  /** Path without query string; REST++ routes see it as REST++ does (without an nginx `/restpp` prefix). */
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
