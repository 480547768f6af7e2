/**
 * The fake ICA's three endpoints under /ica/rest, as pure-ish functions from a request to an
 * Answer (index.ts writes it, or drops the connection instead for an injected fault). Failures are
 * RFC 7807 Problems with every documented field: type, title, status, detail, instance, id,
 * parameters, timestamp.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../../../core/clock.js';
import { basicCredentials, bearerToken } from '../shared/http.js';
import type { FakeIcaOp } from './faults.js';
import type { ResolvedQuirks } from './quirks.js';
import type { JwtStore } from './tokens.js';

export const BASE = '/ica/rest';
export const PROBLEM_TYPE = 'application/problem+json';
export const DATA_TYPE = 'application/vnd.illumina.v3+json;charset=UTF-8';

export interface FakeIcaContext {
  /** API key -> owner email. */
  apiKeys: ReadonlyMap<string, string>;
  /** email -> password. */
  users: Readonly<Record<string, string>>;
  /** email -> tenants the user belongs to; unlisted users are in `defaultTenant` only. */
  tenants: Readonly<Record<string, readonly string[]>>;
  defaultTenant: string;
  ssoUsers: ReadonlySet<string>;
  lifetimeSec: number;
  quirks: ResolvedQuirks;
  store: JwtStore;
  clock: Clock;
}

export interface Exchange {
  method: string;
  /** Decoded path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export interface Answer {
  status: number;
  body: unknown;
  contentType: string;
}

/** Which operation a request is, from its path alone (a wrong method is still counted under it). */
export function classify(path: string): FakeIcaOp {
  if (path === `${BASE}/api/tokens`) return 'create';
  if (path === `${BASE}/api/tokens:refresh`) return 'refresh';
  if (path === `${BASE}/api/regions`) return 'regions';
  return 'other';
}

export function route(ctx: FakeIcaContext, x: Exchange): Answer {
  const op = classify(x.path);
  const method = { create: 'POST', refresh: 'POST', regions: 'GET', other: undefined }[op];
  if (!method) return problem(ctx, 404, `No endpoint ${x.path}.`, x.path);
  if (x.method !== method) return problem(ctx, 405, `Request method '${x.method}' is not supported.`, x.path);
  if (ctx.quirks.strictAccept && !acceptsIllumina(x.headers.accept)) {
    return problem(ctx, 406, 'Could not find acceptable representation: accept application/vnd.illumina.v3+json.', x.path);
  }
  if (op === 'create') return create(ctx, x);
  if (op === 'refresh') return refresh(ctx, x);
  return regions(ctx, x);
}

function create(ctx: FakeIcaContext, x: Exchange): Answer {
  const echo = ctx.quirks.echoSecretsInProblems;
  const apiKey = header(x.headers['x-api-key']);
  if (apiKey !== undefined) {
    const owner = ctx.apiKeys.get(apiKey);
    if (owner === undefined) return problem(ctx, 401, echo ? `The API key '${apiKey}' is not valid or has been revoked.` : 'The API key is not valid or has been revoked.', x.path);
    // An API key belongs to one user in one tenant: ?tenant= is ignored.
    return minted(ctx, { sub: subjectOf(owner), tenant: tenantsOf(ctx, owner)[0] ?? ctx.defaultTenant, via: 'api-key' });
  }
  const authorization = header(x.headers.authorization);
  const basic = basicCredentials(authorization);
  if (!basic) return problem(ctx, 401, 'Full authentication is required: send X-API-Key or Basic credentials.', x.path);
  const refused = echo ? `Bad credentials for '${authorization ?? ''}'.` : 'Bad credentials.';
  if (ctx.ssoUsers.has(basic.user)) {
    return problem(ctx, 401, 'Basic authentication is not supported for SSO-enabled accounts: use an API key.', x.path);
  }
  if (ctx.users[basic.user] === undefined || ctx.users[basic.user] !== basic.password) return problem(ctx, 401, refused, x.path);
  const tenants = tenantsOf(ctx, basic.user);
  const asked = x.query.get('tenant') ?? undefined;
  if (asked !== undefined && !tenants.includes(asked)) {
    return problem(ctx, ctx.quirks.multiTenantStatus, `The user is not a member of tenant '${asked}'.`, x.path, { tenant: asked });
  }
  if (asked === undefined && tenants.length > 1) {
    return problem(ctx, ctx.quirks.multiTenantStatus, 'The user belongs to several tenants: specify the tenant parameter.', x.path);
  }
  const jwt = { sub: subjectOf(basic.user), tenant: asked ?? tenants[0] ?? ctx.defaultTenant, via: 'password' as const };
  const answer = minted(ctx, jwt);
  if (ctx.quirks.passwordMintInvalidatesEarlier) ctx.store.invalidateOthersOf(jwt.sub, jwt.tenant, (answer.body as { token: string }).token);
  return answer;
}

function refresh(ctx: FakeIcaContext, x: Exchange): Answer {
  const token = bearer(x.headers.authorization);
  const quoted = ctx.quirks.echoSecretsInProblems && token ? ` '${token}'` : '';
  const jwt = token === undefined ? undefined : ctx.store.lookup(token);
  const state = token === undefined ? 'unknown' : ctx.store.stateWhenUsed(token, ctx.quirks.freshTokenRefusedSeconds);
  if (!jwt || state === 'unknown') return problem(ctx, 401, `The JWT${quoted} is not valid.`, x.path);
  if (state === 'expired') return problem(ctx, ctx.quirks.expiredRefreshStatus, `The JWT${quoted} has expired.`, x.path);
  if (jwt.via === 'api-key') {
    return problem(ctx, ctx.quirks.apiKeyRefreshStatus, 'Refreshing the JWT is not possible if the JWT was generated by using an API-key.', x.path);
  }
  const answer = minted(ctx, { sub: jwt.sub, tenant: jwt.tenant, via: 'password' });
  const fresh = (answer.body as { token: string }).token;
  // Refreshed within the same second, the new JWT can be the old one byte for byte: it stays valid.
  if (!ctx.quirks.refreshKeepsOldValid && fresh !== token) ctx.store.invalidate(token as string);
  return answer;
}

function regions(ctx: FakeIcaContext, x: Exchange): Answer {
  const token = bearer(x.headers.authorization);
  const state = token === undefined ? 'unknown' : ctx.store.stateWhenUsed(token, ctx.quirks.freshTokenRefusedSeconds);
  if (state !== 'live') {
    const quoted = ctx.quirks.echoSecretsInProblems && token ? ` '${token}'` : '';
    return problem(ctx, 401, state === 'expired' ? `The JWT${quoted} has expired.` : `The JWT${quoted} is not valid.`, x.path);
  }
  return {
    status: 200,
    contentType: DATA_TYPE,
    body: {
      items: [
        { id: 'c39b1feb-3e94-4440-805e-45e0c76462bf', code: 'US', country: { id: 'us', code: 'US', name: 'United States', region: 'US' } },
        { id: '1ee35dbb-e4ba-4f44-a41d-2a8a4f9bbb6a', code: 'EU', country: { id: 'de', code: 'DE', name: 'Germany', region: 'EU' } },
      ],
    },
  };
}

function minted(ctx: FakeIcaContext, jwt: { sub: string; tenant: string; via: 'api-key' | 'password' }): Answer {
  const token = ctx.store.mint(jwt, ctx.lifetimeSec, { omitExp: ctx.quirks.omitExp, uniqueClaim: ctx.quirks.uniqueClaim });
  const extra = ctx.quirks.tokenExtraFields === false ? {} : ctx.quirks.tokenExtraFields;
  return { status: 200, contentType: DATA_TYPE, body: { token, ...extra } };
}

/** An RFC 7807 Problem with every field ICA's model has (detail and instance are optional there). */
export function problem(ctx: Pick<FakeIcaContext, 'clock'>, status: number, detail: string, instance: string, parameters: Record<string, unknown> = {}): Answer {
  return {
    status,
    contentType: PROBLEM_TYPE,
    body: {
      type: 'about:blank',
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail,
      instance,
      id: randomUUID(),
      parameters,
      timestamp: new Date(ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  };
}

/** A stable, UUID-shaped user id per email (ICA's `sub` is a user id, not the email). */
function subjectOf(email: string): string {
  const hex = Buffer.from(email.toLowerCase()).toString('hex').padEnd(32, '0').slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function tenantsOf(ctx: FakeIcaContext, email: string): readonly string[] {
  const listed = ctx.tenants[email];
  return listed && listed.length > 0 ? listed : [ctx.defaultTenant];
}

function acceptsIllumina(accept: string | undefined): boolean {
  if (accept === undefined) return true; // no Accept: anything is acceptable (RFC 9110)
  return accept.split(',').some((part) => {
    const type = (part.split(';')[0] ?? '').trim().toLowerCase();
    return type === 'application/vnd.illumina.v3+json' || type === '*/*' || type === 'application/*';
  });
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The Bearer token, or undefined when there is none (an empty one included). */
export function bearer(h: string | undefined): string | undefined {
  return bearerToken(h) || undefined;
}
