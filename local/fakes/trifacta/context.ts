/**
 * Quirks (every UNCONFIRMED item of trifacta-token-api.md, each defaulting to the reading that
 * breaks a careless client), the request context and the answer helpers of the fake Trifacta.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../../core/clock.js';
import { basicCredentials, bearerToken, sendJson, sendText, type FakeExchange } from '../shared/http.js';
import type { TokenStore } from './tokens.js';

export { jsonBody, sendJson, sendText } from '../shared/http.js';

export type FakeListPaging =
  /** `?limit=&offset=` honoured, limit capped at pageSize; no total and no link: only an empty page ends it. */
  | 'offset'
  /** Like 'offset', plus `"count": <total>`. */
  | 'offset-count'
  /** `limit`/`offset` ignored; pages of pageSize chained by an absolute `"next"` URL (`?cursor=`). */
  | 'link'
  /** One page with every token; query parameters ignored. */
  | 'single'
  /** One page with every token; any query parameter is refused with 400 ApiValidationFailed. */
  | 'single-strict';

export interface FakeTrifactaQuirks {
  /** Status refusing a Bearer token that is expired, deleted or unknown (401 vs 403 UNCONFIRMED). Default 403. */
  tokenRefusalStatus?: 401 | 403;
  /** Status refusing a wrong username/password (UNCONFIRMED). Default 401. */
  credentialRefusalStatus?: 401 | 403;
  /** Paging of GET /v4/apiAccessTokens (UNCONFIRMED). Default 'offset' (no signal of further pages). */
  listPaging?: FakeListPaging;
  /** Page size of a paged list, and the most `limit` may ask for. Default 2. */
  pageSize?: number;
  /** Whether a token may delete itself (UNCONFIRMED). Default false: 403 AccessControlException. */
  tokenMayDeleteItself?: boolean;
  /** Error bodies: the `{"exception": {...}}` envelope or plain text (UNCONFIRMED for self-managed). Default 'plain'. */
  errorBody?: 'envelope' | 'plain';
  /** 404 body for an unknown token id (UNCONFIRMED): an error body (DataNotFoundException) or empty. Default 'empty'. */
  unknownIdBody?: 'error' | 'empty';
  /**
   * API access tokens disabled: 'route' answers 404 RouteNotFoundException ("Route doesn't exist")
   * on every token route; 'forbidden' answers 403 AccessControlException on create. Default: enabled.
   */
  featureDisabled?: 'route' | 'forbidden';
  /** A create without lifetimeSeconds (UNCONFIRMED): 'rejected' (400, default), 'non-expiring' or 'default' (defaultLifetimeSeconds). */
  omittedLifetime?: 'rejected' | 'non-expiring' | 'default';
  /** A create with lifetimeSeconds -1 (UNCONFIRMED): 'rejected' (400, default) or 'non-expiring'. */
  minusOneLifetime?: 'rejected' | 'non-expiring';
  /** A workspace whose tokens never expire: `expiredAt: null` whatever lifetime was asked. Default false. */
  neverExpire?: boolean;
  /** tokenValue form: 'opaque' random (default) or the documented base64 of `{"tokenId", "secret"}`. */
  tokenFormat?: 'opaque' | 'base64-json';
  /** Refusals and injected 5xx quote the presented token, password or Authorization header (clients must sanitize). Default false. */
  quoteCredentials?: boolean;
  /**
   * A workspace that allows one live token per user: creating a token ends (deletes) the user's
   * others at once, the token that authenticated the create included (issue 22: invalidate on
   * issue). Default false: the docs say the number of tokens per user is unlimited.
   */
  oneLiveTokenPerUser?: boolean;
  /** Seconds after minting during which a Bearer token is refused like an unknown one (clock skew, propagation; shared/fresh.ts). Default 0. */
  freshTokenRefusedSeconds?: number;
}

export type ResolvedQuirks = Required<Omit<FakeTrifactaQuirks, 'featureDisabled'>> & Pick<FakeTrifactaQuirks, 'featureDisabled'>;

export function resolveQuirks(q: FakeTrifactaQuirks = {}): ResolvedQuirks {
  return {
    tokenRefusalStatus: q.tokenRefusalStatus ?? 403,
    credentialRefusalStatus: q.credentialRefusalStatus ?? 401,
    listPaging: q.listPaging ?? 'offset',
    pageSize: Math.max(1, Math.floor(q.pageSize ?? 2)),
    tokenMayDeleteItself: q.tokenMayDeleteItself ?? false,
    errorBody: q.errorBody ?? 'plain',
    unknownIdBody: q.unknownIdBody ?? 'empty',
    featureDisabled: q.featureDisabled,
    omittedLifetime: q.omittedLifetime ?? 'rejected',
    minusOneLifetime: q.minusOneLifetime ?? 'rejected',
    neverExpire: q.neverExpire ?? false,
    tokenFormat: q.tokenFormat ?? 'opaque',
    quoteCredentials: q.quoteCredentials ?? false,
    freshTokenRefusedSeconds: q.freshTokenRefusedSeconds ?? 0,
    oneLiveTokenPerUser: q.oneLiveTokenPerUser ?? false,
  };
}

export interface FakeContext {
  users: Readonly<Record<string, string>>;
  /** Users who may create tokens; undefined: everyone. Others get 403 AccessControlException. */
  tokenUsers: ReadonlySet<string> | undefined;
  defaultLifetimeSeconds: number;
  quirks: ResolvedQuirks;
  store: TokenStore;
  clock: Clock;
}

export type Exchange = FakeExchange;

/** An error in the configured body shape: the /v4 envelope, or the message as plain text. */
export function sendError(ctx: FakeContext, res: ServerResponse, status: number, name: string, message: string): void {
  if (ctx.quirks.errorBody === 'envelope') return sendJson(res, status, { exception: { name, message, details: '' } });
  return sendText(res, status, message);
}

export function routeMissing(ctx: FakeContext, res: ServerResponse): void {
  sendError(ctx, res, 404, 'RouteNotFoundException', "Route doesn't exist");
}

export type Credential = { kind: 'basic'; user: string; password: string; raw: string } | { kind: 'bearer'; token: string };

/** The credential an Authorization header presents, or undefined when there is none (or it is unreadable). */
export function presented(req: IncomingMessage): Credential | undefined {
  const h = req.headers.authorization;
  const token = bearerToken(h);
  if (token !== undefined) return { kind: 'bearer', token };
  const basic = basicCredentials(h);
  return basic && h ? { kind: 'basic', ...basic, raw: h.slice(6).trim() } : undefined;
}
