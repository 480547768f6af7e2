/**
 * GSQL routes of the fake 4.x: POST/DELETE /gsql/v1/tokens, POST /gsql/v1/tokens/check and
 * GET /gsql/v1/version. Failure bodies are `{"error": true, "message": ...}` (UNCONFIRMED upstream).
 * The DELETE adds to the block list of the logged-in user (blocklist.ts).
 */
import { javaDateString } from './tokens.js';
import { fillMessage, gsqlError, gsqlLogin, jsonBody, lifetimeOf, sendJson, type Exchange, type FakeContext } from './context.js';
import { refusedWhileFresh } from '../shared/fresh.js';

export function handleGsql(ctx: FakeContext, x: Exchange): void {
  if (x.path === '/gsql/v1/tokens' && x.method === 'POST') return issue(ctx, x);
  if (x.path === '/gsql/v1/tokens' && x.method === 'DELETE') return blockList(ctx, x);
  if (x.path === '/gsql/v1/tokens/check' && x.method === 'POST') return check(ctx, x);
  if (x.path === '/gsql/v1/version' && x.method === 'GET') {
    if (!gsqlLogin(ctx, x.req).ok) return gsqlError(x.res, 401, 'You are not authorized to use this API.');
    return sendJson(x.res, 200, { error: false, message: `TigerGraph version: ${ctx.quirks.versionString}` });
  }
  return gsqlError(x.res, 404, 'Not Found');
}

function issue(ctx: FakeContext, x: Exchange): void {
  const body = jsonBody(x.text);
  if (body === null) return gsqlError(x.res, 400, 'The request body is not valid JSON.');
  const b = body ?? {};
  let user: string;
  if (typeof b.secret === 'string') {
    if (!ctx.secrets.has(b.secret)) {
      return gsqlError(x.res, ctx.quirks.wrongSecret.status, fillMessage(ctx.quirks.wrongSecret.message, '', b.secret));
    }
    user = 'tigergraph';
  } else {
    const login = gsqlLogin(ctx, x.req);
    if (!login.ok) {
      return login.given
        ? gsqlError(x.res, ctx.quirks.wrongSecret.status, ctx.quirks.wrongSecret.message)
        : gsqlError(x.res, 401, 'Authentication failed: a secret or a username/password is required.');
    }
    user = login.user;
  }
  const graph = typeof b.graph === 'string' && b.graph ? b.graph : undefined;
  if (graph !== undefined && ctx.graphs.length > 0 && !ctx.graphs.includes(graph)) {
    return gsqlError(x.res, 400, `Graph ${graph} not found`);
  }
  const lifetime = lifetimeOf(b.lifetime);
  if (Number.isNaN(lifetime)) return gsqlError(x.res, 400, 'The lifetime must be a positive number.');
  const seconds = lifetime === undefined ? ctx.defaultLifetimeSeconds : ctx.quirks.lifetimeUnit === 'milliseconds' ? lifetime / 1000 : lifetime;
  const { token, payload } = ctx.store.mint4(seconds, user, graph, ctx.quirks.uniqueClaim);
  return sendJson(x.res, 200, {
    expiration: javaDateString(new Date(payload.exp * 1000)),
    error: false,
    message: 'Generate new JWT token successfully.',
    token,
  });
}

function blockList(ctx: FakeContext, x: Exchange): void {
  const login = gsqlLogin(ctx, x.req);
  if (!login.ok) return gsqlError(x.res, 401, 'You are not authorized to use this API.');
  const q = ctx.quirks;
  if (x.query.get('clear') === 'true') {
    ctx.store.blockLists.clear(login.user);
    return sendJson(x.res, 200, { error: false, message: 'Successfully cleared the JWT token block list' });
  }
  const body = jsonBody(x.text);
  if (!body || typeof body.tokens !== 'string') {
    return gsqlError(x.res, 400, 'Expected a JSON body {"tokens": "<token>,<token>"} with a comma-separated string.');
  }
  const tokens = body.tokens.split(',').map((t) => t.trim()).filter(Boolean);
  if (tokens.length === 0) return gsqlError(x.res, 400, 'No token given.');
  if (tokens.length > q.blockListLimit) {
    return gsqlError(x.res, 400, `At most ${q.blockListLimit} tokens can be dropped at once.`);
  }
  const added = ctx.store.blockLists.add(login.user, tokens, {
    capacity: q.blockListCapacity,
    whenFull: q.blockListWhenFull,
    dropsExpired: q.blockListDropsExpired,
    expired: (t) => ctx.store.expired4(t),
  });
  if (!added) return gsqlError(x.res, q.blockListFull.status, q.blockListFull.message.split('{limit}').join(String(q.blockListCapacity)));
  return sendJson(x.res, 200, { error: false, message: 'Successfully dropped the specified JWT tokens' });
}

function check(ctx: FakeContext, x: Exchange): void {
  const body = jsonBody(x.text);
  const token = body && typeof body.token === 'string' ? body.token : '';
  const fresh = refusedWhileFresh(ctx.store.mintedAtMs(token), ctx.clock.now(), ctx.quirks.freshTokenRefusedSeconds);
  if (token && ctx.store.state4(token) === 'live' && !fresh) {
    return sendJson(x.res, 200, { error: false, message: `The token ${token} verification succeed.` });
  }
  return gsqlError(x.res, ctx.quirks.tokenCheckFailure.status, ctx.quirks.tokenCheckFailure.message);
}
