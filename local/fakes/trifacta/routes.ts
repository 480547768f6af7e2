/**
 * The token routes of the fake: POST/GET /v4/apiAccessTokens and GET/DELETE
 * /v4/apiAccessTokens/<tokenId>, with Basic (username/password) or Bearer (a live token of the
 * same user) authentication. Every other path answers "Route doesn't exist".
 */
import type { ServerResponse } from 'node:http';
import { jsonBody, presented, routeMissing, sendError, sendJson, type Exchange, type FakeContext } from './context.js';
import type { FakeTrifactaOp } from './faults.js';
import type { StoredToken } from './tokens.js';

export const TOKENS_PATH = '/v4/apiAccessTokens';

/** Which operation a request is, from its method and path (for stats and fault targeting). */
export function classify(method: string, path: string): FakeTrifactaOp {
  if (path === TOKENS_PATH) return method === 'POST' ? 'create' : method === 'GET' ? 'list' : 'other';
  const id = tokenIdOf(path);
  if (id === undefined) return 'other';
  return method === 'GET' ? 'get' : method === 'DELETE' ? 'delete' : 'other';
}

function tokenIdOf(path: string): string | undefined {
  if (!path.startsWith(`${TOKENS_PATH}/`)) return undefined;
  const rest = path.slice(TOKENS_PATH.length + 1);
  if (!rest || rest.includes('/')) return undefined;
  try {
    return decodeURIComponent(rest);
  } catch {
    return undefined;
  }
}

/** Called after a create minted, before it answers: true when a fault took the answer over. */
export type AfterMint = (x: Exchange, token: StoredToken) => boolean;

interface Caller {
  user: string;
  /** The token that authenticated the call (Bearer), if any. */
  token?: StoredToken;
}

export function handleRoute(ctx: FakeContext, x: Exchange, op: FakeTrifactaOp, afterMint: AfterMint): void {
  if (op === 'other' || ctx.quirks.featureDisabled === 'route') return routeMissing(ctx, x.res);
  const caller = authenticate(ctx, x);
  if (!caller) return;
  switch (op) {
    case 'create':
      return create(ctx, x, caller, afterMint);
    case 'list':
      return list(ctx, x, caller);
    case 'get':
      return get(ctx, x, caller, tokenIdOf(x.path) as string);
    case 'delete':
      return remove(ctx, x, caller, tokenIdOf(x.path) as string);
  }
}

/** The caller, or undefined after answering the refusal. */
function authenticate(ctx: FakeContext, x: Exchange): Caller | undefined {
  const q = ctx.quirks;
  const c = presented(x.req);
  if (!c) {
    sendError(ctx, x.res, 401, 'UnauthorizedException', 'Authentication required: Basic username/password or a Bearer access token');
    return undefined;
  }
  if (c.kind === 'basic') {
    if (Object.hasOwn(ctx.users, c.user) && ctx.users[c.user] === c.password) return { user: c.user };
    const message = q.quoteCredentials
      ? `Invalid password '${c.password}' for user ${c.user} (Authorization: Basic ${c.raw})`
      : 'Invalid username or password';
    sendError(ctx, x.res, q.credentialRefusalStatus, 'UnauthorizedException', message);
    return undefined;
  }
  const token = ctx.store.isLiveValue(c.token) && !ctx.store.refusedAsFresh(c.token, q.freshTokenRefusedSeconds) ? ctx.store.authenticate(c.token) : undefined;
  if (token) return { user: token.user, token };
  const message = q.quoteCredentials ? `Invalid access token ${c.token} (Authorization: Bearer ${c.token})` : 'The access token is expired, deleted or unknown';
  sendError(ctx, x.res, q.tokenRefusalStatus, 'UnauthorizedException', message);
  return undefined;
}

function create(ctx: FakeContext, x: Exchange, caller: Caller, afterMint: AfterMint): void {
  if (ctx.quirks.featureDisabled === 'forbidden' || (ctx.tokenUsers && !ctx.tokenUsers.has(caller.user))) {
    return sendError(ctx, x.res, 403, 'AccessControlException', 'Not allowed to create API access tokens');
  }
  const body = jsonBody(x.text);
  if (body === null) return sendError(ctx, x.res, 400, 'ApiValidationFailed', 'The request body must be a JSON object');
  const b = body ?? {};
  if (b.description !== undefined && b.description !== null && typeof b.description !== 'string') {
    return sendError(ctx, x.res, 400, 'ApiValidationFailed', 'description must be a string');
  }
  const lifetime = lifetimeOf(ctx, b.lifetimeSeconds);
  if (lifetime === 'invalid') return sendError(ctx, x.res, 400, 'ApiValidationFailed', 'lifetimeSeconds must be a positive number');
  if (lifetime === 'missing') return sendError(ctx, x.res, 400, 'ApiValidationFailed', 'lifetimeSeconds is required');
  const description = typeof b.description === 'string' ? b.description : null;
  const token = ctx.store.mint(caller.user, ctx.quirks.neverExpire ? null : lifetime, description, ctx.quirks.tokenFormat);
  // One live token per user: the user's others end now (gone from the list too).
  if (ctx.quirks.oneLiveTokenPerUser) for (const other of ctx.store.ofUser(caller.user)) if (other.tokenId !== token.tokenId) ctx.store.remove(other.tokenId);
  if (afterMint(x, token)) return;
  return sendJson(x.res, 201, { tokenValue: token.value, tokenInfo: ctx.store.info(token) });
}

/** Seconds, null for a non-expiring token, or why the value is refused (per the quirks). */
function lifetimeOf(ctx: FakeContext, v: unknown): number | null | 'missing' | 'invalid' {
  const q = ctx.quirks;
  if (v === undefined || v === null) {
    return q.omittedLifetime === 'rejected' ? 'missing' : q.omittedLifetime === 'non-expiring' ? null : ctx.defaultLifetimeSeconds;
  }
  if (v === -1) return q.minusOneLifetime === 'non-expiring' ? null : 'invalid';
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 'invalid';
}

function list(ctx: FakeContext, x: Exchange, caller: Caller): void {
  const all = ctx.store.ofUser(caller.user).map((t) => ctx.store.info(t));
  const { listPaging, pageSize } = ctx.quirks;
  if (listPaging === 'single') return sendJson(x.res, 200, { data: all });
  if (listPaging === 'single-strict') {
    const unknown = [...x.query.keys()][0];
    if (unknown !== undefined) return sendError(ctx, x.res, 400, 'ApiValidationFailed', `Unknown query parameter: ${unknown}`);
    return sendJson(x.res, 200, { data: all });
  }
  if (listPaging === 'link') {
    const cursor = x.query.get('cursor');
    const start = cursor === null ? 0 : Number(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) return sendError(ctx, x.res, 400, 'ApiValidationFailed', 'Invalid cursor');
    const end = start + pageSize;
    const next = end < all.length ? `http://${x.req.headers.host ?? '127.0.0.1'}${TOKENS_PATH}?cursor=${Buffer.from(String(end)).toString('base64url')}` : null;
    return sendJson(x.res, 200, { data: all.slice(start, end), next });
  }
  const limit = intParam(x.query.get('limit'), pageSize);
  const offset = intParam(x.query.get('offset'), 0);
  if (limit === undefined || offset === undefined || limit < 1) {
    return sendError(ctx, x.res, 400, 'ApiValidationFailed', 'limit and offset must be non-negative integers');
  }
  const page = all.slice(offset, offset + Math.min(limit, pageSize));
  return sendJson(x.res, 200, listPaging === 'offset-count' ? { data: page, count: all.length } : { data: page });
}

function intParam(v: string | null, fallback: number): number | undefined {
  if (v === null) return fallback;
  return /^\d+$/.test(v) ? Number(v) : undefined;
}

function get(ctx: FakeContext, x: Exchange, caller: Caller, tokenId: string): void {
  const token = ctx.store.get(tokenId);
  if (!token || token.user !== caller.user) return unknownId(ctx, x.res, tokenId);
  return sendJson(x.res, 200, ctx.store.info(token));
}

function remove(ctx: FakeContext, x: Exchange, caller: Caller, tokenId: string): void {
  if (caller.token?.tokenId === tokenId && !ctx.quirks.tokenMayDeleteItself) {
    return sendError(ctx, x.res, 403, 'AccessControlException', 'An access token cannot delete itself; use another credential');
  }
  const token = ctx.store.get(tokenId);
  if (!token || token.user !== caller.user) return unknownId(ctx, x.res, tokenId);
  ctx.store.remove(tokenId);
  x.res.writeHead(204);
  x.res.end();
}

function unknownId(ctx: FakeContext, res: ServerResponse, tokenId: string): void {
  if (ctx.quirks.unknownIdBody === 'empty') {
    res.writeHead(404, { 'content-length': 0 });
    res.end();
    return;
  }
  return sendError(ctx, res, 404, 'DataNotFoundException', `No API access token with id ${tokenId}`);
}
