/**
 * REST++ routes of the fake: /requesttoken (3.x; 4.x only with the requestTokenOn4x quirk),
 * /echo, /endpoints and /version. 3.x tokens are opaque; 4.x REST++ accepts the GSQL JWTs.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  basicAuth,
  bearer,
  jsonBody,
  lifetimeOf,
  restError,
  restErrorShape,
  sendJson,
  type Exchange,
  type FakeContext,
} from './context.js';
import { refusedWhileFresh } from '../shared/fresh.js';

const ISSUE_WARNING =
  'Warning: Tigergraph Support cannot restore access to secrets/tokens for security reasons. ' +
  'Please save your secret/token and keep it safe and accessible.';

function endpointNotFound(x: Exchange): void {
  restError(
    x.res,
    404,
    'REST-1000',
    `Endpoint is not found from url = ${x.path}, please use GET /endpoints to list all valid endpoints.`,
  );
}

function tokenState(ctx: FakeContext, token: string): 'live' | 'expired' | 'unknown' {
  const state = ctx.version === 3 ? ctx.store.state3(token) : ctx.store.state4(token);
  // A token minted a moment ago is refused as invalid under the freshTokenRefusedSeconds quirk.
  return state === 'live' && refusedWhileFresh(ctx.store.mintedAtMs(token), ctx.clock.now(), ctx.quirks.freshTokenRefusedSeconds) ? 'unknown' : state;
}

/** REST-10016. Faithful to REST++: the refused token is quoted back (clients must sanitize it). */
function invalidToken(ctx: FakeContext, res: ServerResponse, token: string): void {
  const why = token.length < 8 ? 'is empty or too short' : 'is invalid';
  restError(res, ctx.quirks.invalidTokenStatus, 'REST-10016', `Access Denied because the input token = '${token}' ${why}.`);
}

/** Authenticates a REST++ call by Bearer token; answers the refusal itself and returns false. */
function authorize(ctx: FakeContext, x: Exchange): boolean {
  if (!ctx.authEnabled) return true;
  const token = bearer(x.req) ?? x.query.get('token') ?? '';
  const state = token.length < 8 ? 'unknown' : tokenState(ctx, token);
  if (state === 'expired') {
    restErrorShape(x.res, ctx.quirks.expiredToken, token);
    return false;
  }
  if (state === 'unknown') {
    invalidToken(ctx, x.res, token);
    return false;
  }
  return true;
}

const COMPONENTS = ['product', 'gle', 'gpe', 'gse', 'restpp', 'gsql', 'gui', 'ifm'];

/**
 * The REST++ /version message: a header, "--- Version ---", the version line, then one line per
 * component (`name version hash date time zone`) and a trailing newline. pyTigerGraph's
 * getVersion() splits every line after the third on whitespace and reads fields 0 to 5, and
 * getVer() takes X.Y.Z from between the underscores of the product's version field.
 */
export function versionMessage(version: string): string {
  const build = `release_${version}_01-15-2025`;
  const lines = COMPONENTS.map((name) => {
    const hash = createHash('sha1').update(`${name}@${version}`).digest('hex');
    return `${name.padEnd(9)}${build}  ${hash}  2025-01-15 10:00:00 -0800`;
  });
  return ['TigerGraph RESTPP:', ' --- Version ---', `TigerGraph version: ${version}`, ...lines, ''].join('\n');
}

export function handleRestpp(ctx: FakeContext, x: Exchange): void {
  // pyTigerGraph asks `/version/<graph>`; REST++ answers it like /version.
  switch (x.path.startsWith('/version/') ? '/version' : x.path) {
    case '/requesttoken':
      if (!ctx.authEnabled || (ctx.version === 4 && !ctx.quirks.requestTokenOn4x)) return endpointNotFound(x);
      return requestToken(ctx, x);
    case '/echo':
      if (x.method !== 'GET' && x.method !== 'POST') return endpointNotFound(x);
      if (!authorize(ctx, x)) return;
      return sendJson(x.res, 200, { error: false, message: 'Hello GSQL' });
    case '/endpoints':
      if (!authorize(ctx, x)) return;
      return sendJson(x.res, 200, {
        'GET /echo': {},
        'POST /echo': {},
        'GET /endpoints': {},
        'GET /version': {},
        ...(ctx.version === 3 || ctx.quirks.requestTokenOn4x
          ? { 'POST /requesttoken': {}, 'PUT /requesttoken': {}, 'DELETE /requesttoken': {} }
          : {}),
      });
    case '/version': {
      if (ctx.quirks.versionRequiresToken && !authorize(ctx, x)) return;
      return sendJson(x.res, 200, {
        // 3.x answers the string "false" here; clients must accept both.
        error: ctx.version === 3 ? 'false' : false,
        message: versionMessage(ctx.quirks.versionString),
      });
    }
    default:
      return endpointNotFound(x);
  }
}

/** 3.x token API: POST (and legacy GET with query) issues, PUT refreshes, DELETE drops. */
function requestToken(ctx: FakeContext, x: Exchange): void {
  const q = ctx.quirks;
  let body = jsonBody(x.text);
  if (body === null) return restError(x.res, 400, 'REST-30000', 'The request cannot be processed: the payload is not valid JSON.');
  if (body === undefined && [...x.query.keys()].length > 0) {
    if ((x.method === 'PUT' || x.method === 'DELETE') && !q.legacyQueryString) {
      return restError(x.res, q.queryStringStatus, 'REST-1101', 'The request cannot be processed: expected a JSON payload, but a query string was given.');
    }
    body = Object.fromEntries(x.query.entries()); // pre-3.5 query-string forms (GET always, PUT/DELETE with the quirk)
  }
  body ??= {};

  // Credential: the secret in the body, else Basic auth (then the token is nested in `results`).
  let user: string;
  let viaBasic = false;
  if (typeof body.secret === 'string') {
    if (!ctx.secrets.has(body.secret)) return refuseCredential(ctx, x, body, body.secret);
    user = 'tigergraph';
  } else {
    const b = basicAuth(x.req);
    if (!b || ctx.users[b.user] === undefined || ctx.users[b.user] !== b.password) return refuseCredential(ctx, x, body);
    user = b.user;
    viaBasic = true;
  }

  const lifetime = lifetimeOf(body.lifetime);
  if (Number.isNaN(lifetime)) return restError(x.res, 400, 'REST-30000', 'The lifetime must be a positive number of seconds.');
  const lifetimeSec = Math.floor(lifetime ?? ctx.defaultLifetimeSeconds);

  if (x.method === 'POST' || x.method === 'GET') {
    const graph = typeof body.graph === 'string' && body.graph ? body.graph : undefined;
    if (graph !== undefined && ctx.graphs.length > 0 && !ctx.graphs.includes(graph)) {
      return restError(x.res, 400, 'REST-30000', `Graph ${graph} not found.`);
    }
    const { token, expiresAtSec } = ctx.store.mint3(lifetimeSec, user, graph);
    const base = { code: 'REST-0000', expiration: expiresAtSec, error: false, message: `Generate new token successfully.\n${ISSUE_WARNING}` };
    return sendJson(x.res, 200, viaBasic ? { ...base, results: { token } } : { ...base, token });
  }

  const token = typeof body.token === 'string' ? body.token : '';
  if (x.method === 'PUT') {
    const state = ctx.store.state3(token);
    if (state === 'unknown') return restErrorShape(x.res, q.unknownToken, token);
    if (state === 'expired') return restErrorShape(x.res, q.expiredToken, token);
    const stored = ctx.store.tokens3.get(token)!;
    stored.expiresAtSec = ctx.store.nowSec() + lifetimeSec; // now + lifetime, not old expiry + lifetime
    return sendJson(x.res, 200, {
      code: 'REST-0000',
      expiration: q.refreshReturnsLifetime ? lifetimeSec : stored.expiresAtSec,
      error: false,
      message: 'Refresh token successfully.',
      token,
    });
  }
  if (x.method === 'DELETE') {
    if (!ctx.store.tokens3.delete(token)) return restErrorShape(x.res, q.unknownToken, token);
    return sendJson(x.res, 200, { code: 'REST-0000', expiration: -1, error: false, message: 'Drop token successfully.', token });
  }
  return endpointNotFound(x);
}

/** A refused secret or username/password; on PUT/DELETE by default the same answer as an invalid token. */
function refuseCredential(ctx: FakeContext, x: Exchange, body: Record<string, unknown>, secret = ''): void {
  if ((x.method === 'PUT' || x.method === 'DELETE') && ctx.quirks.tokenOpCredentialRefusal === 'invalid-token') {
    return invalidToken(ctx, x.res, typeof body.token === 'string' ? body.token : '');
  }
  return restErrorShape(x.res, ctx.quirks.wrongSecret, '', secret);
}
