/**
 * Fake Trifacta / Alteryx Designer Cloud for tests and local runs: the v4 API access token
 * endpoints (docs/protocols/trifacta-token-api.md) over real HTTP on 127.0.0.1, in-process.
 *   POST   /v4/apiAccessTokens            201 {tokenValue, tokenInfo}
 *   GET    /v4/apiAccessTokens            200 {data: [...]} (paged per the listPaging quirk)
 *   GET    /v4/apiAccessTokens/<tokenId>  200 tokenInfo
 *   DELETE /v4/apiAccessTokens/<tokenId>  204
 * Basic auth with the configured users, or Bearer with a live token (acting as its owner).
 *
 * Where it knowingly differs from the real service:
 * - Every UNCONFIRMED item of the protocol note is a quirk (FakeTrifactaQuirks) whose default is
 *   the reading that breaks a careless client: a refused token gets 403, the list is paged with
 *   a page size of 2 and no sign of further pages, a token may not delete itself, error bodies are
 *   plain text, an unknown id's 404 is empty, lifetimeSeconds is required and -1 is refused.
 * - The exception names UnauthorizedException (refused credential or token) and the wording of
 *   every message are invented; only RouteNotFoundException, ApiValidationFailed,
 *   AccessControlException and DataNotFoundException come from the docs.
 * - Paging: 'offset' modes honour `limit`/`offset` (limit capped at pageSize); 'link' pages by an
 *   invented `?cursor=` and an absolute `next` URL built from the Host header.
 * - One flat workspace: no roles, no admins, no workspace ids (the Alteryx One
 *   `x-alteryx-workspace-gid` header is ignored); `tokenUsers` restricts who may create tokens.
 * - Expired tokens stay listed and deletable until deleted; `lastUsed` is set by Bearer calls only.
 * - Token values are random base64url strings (or, with tokenFormat, the documented base64 JSON);
 *   ids are random UUIDs.
 * - Injected latency happens before processing, and a request whose client left meanwhile is not
 *   processed (a real server may still mint after the client gave up: lostMintNext models that).
 * - With the quoteCredentials quirk, refusals and injected 5xx quote the token, password or
 *   Authorization header, so tests can prove clients sanitize what servers say.
 * - No TLS, no gzip, minimal headers, request bodies above 1 MB are cut.
 * The fake never logs. Token values appear only in create answers (and in refusals with the
 * quoteCredentials quirk); the inspection API never returns one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OffsetClock, type Clock } from '../../../core/clock.js';
import { injectedFault, readBody, RequestStats, startFakeServer, type FakeControls, type FakeHttp, type OpStats } from '../shared/index.js';
import { resolveQuirks, sendError, sendText, type Exchange, type FakeContext, type FakeTrifactaQuirks } from './context.js';
import { TrifactaFaultPlan, type FakeTrifactaFaults, type FakeTrifactaOp, type LostMint } from './faults.js';
import { classify, handleRoute } from './routes.js';
import { TokenStore, type StoredToken, type TokenView } from './tokens.js';

export type { FakeListPaging, FakeTrifactaQuirks } from './context.js';
export type { FakeTrifactaFaults, FakeTrifactaOp } from './faults.js';
export type { TokenView } from './tokens.js';

export interface FakeTrifactaOptions<C extends Clock = OffsetClock> {
  /** username -> password for Basic auth. */
  users?: Record<string, string>;
  /** Users allowed to create tokens (others: 403 AccessControlException). Default: every user. */
  tokenUsers?: string[];
  /** Lifetime when a create omits lifetimeSeconds and the omittedLifetime quirk is 'default'. Default 2 592 000 s. */
  defaultLifetimeSeconds?: number;
  /** Time source for createdAt and expiry. Default: a new OffsetClock (`fake.clock.advance(s)`); pass one to share it. */
  clock?: C;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  quirks?: FakeTrifactaQuirks;
  faults?: FakeTrifactaFaults;
}

export type FakeTrifactaStats = OpStats<FakeTrifactaOp>;

export interface FakeTrifacta<C extends Clock = OffsetClock> extends FakeControls<FakeTrifactaOp, FakeTrifactaFaults, FakeTrifactaQuirks> {
  /** e.g. "http://127.0.0.1:43123" (no trailing slash): the token secret's `host`. */
  readonly url: string;
  readonly port: number;
  readonly clock: C;
  /** Number of tokens minted since start (seeded ones included). */
  readonly minted: number;
  /** Whether the server would accept `token` as a Bearer token now. */
  isLive(token: string): boolean;
  /** Ids of the tokens that are live now (of every user, or of `user`). */
  liveTokenIds(user?: string): string[];
  /** Tokens carrying exactly this description: ids, owners, descriptions, liveness; never values. */
  tokensWithDescription(description: string): TokenView[];
  /** Every token the server holds (expired ones included), without values. */
  tokens(): TokenView[];
  /** Seeds a token as if `user` had created it; returns its id only. */
  addToken(options: { user: string; description?: string | null; lifetimeSeconds?: number | null }): string;
}

const OPS: FakeTrifactaOp[] = ['create', 'list', 'get', 'delete', 'other'];

export async function startFakeTrifacta<C extends Clock = OffsetClock>(options: FakeTrifactaOptions<C> = {}): Promise<FakeTrifacta<C>> {
  const clock = (options.clock ?? new OffsetClock()) as C;
  let quirkInput: FakeTrifactaQuirks = { ...options.quirks };
  const ctx: FakeContext = {
    users: { ...options.users },
    tokenUsers: options.tokenUsers ? new Set(options.tokenUsers) : undefined,
    defaultLifetimeSeconds: options.defaultLifetimeSeconds ?? 2_592_000,
    quirks: resolveQuirks(quirkInput),
    store: new TokenStore(clock),
    clock,
  };
  const faults = new TrifactaFaultPlan(options.faults);
  const stats = new RequestStats(OPS);

  /** The message of an injected 5xx; with quoteCredentials it quotes the Authorization header, as a careless proxy might. */
  const injectedMessage = (req: IncomingMessage, what: string): string =>
    ctx.quirks.quoteCredentials && req.headers.authorization ? `${what} while handling Authorization: ${req.headers.authorization}` : what;

  /** A minted token's answer lost as the fault says; the token stays minted. */
  const loseAnswer = (x: Exchange, token: StoredToken, how: LostMint): void => {
    if (how === 'drop') x.req.socket.destroy();
    else if (how === 'error') sendError(ctx, x.res, faults.errorStatus(), 'InternalServerError', injectedMessage(x.req, 'Gateway timeout (injected by fake-trifacta)'));
    else if (how === 'malformed') sendText(x.res, 201, `{"tokenInfo":{"tokenId":"${token.tokenId}","descri`, 'application/json');
    // 'hang': no answer; the client gives up, or close() ends the connection.
  };

  async function handle(req: IncomingMessage, res: ServerResponse, http: FakeHttp): Promise<void> {
    // The server's clock, as a real server's Date header shows it (Node would send the real time).
    res.setHeader('date', new Date(clock.now()).toUTCString());
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = parsed.pathname.replace(/\/+$/, '') || '/';
    const op = classify(method, path);
    stats.count(op);

    const text = await readBody(req);
    // A request whose client left during the injected latency is not processed.
    const action = await injectedFault(faults, op, http, req, res, () => res.destroyed || req.socket.destroyed);
    if (!action) return;
    if (action.kind === 'error') {
      return sendError(ctx, res, action.status, 'InternalServerError', injectedMessage(req, 'Internal server error (injected by fake-trifacta)'));
    }
    if (action.kind === 'malformed') return sendText(res, op === 'create' ? 201 : 200, '{"data":[{"tokenId":"', 'application/json');

    const x: Exchange = { req, res, method, path, query: parsed.searchParams, text };
    handleRoute(ctx, x, op, (exchange, token) => {
      const how = faults.afterMint();
      if (how === undefined) return false;
      loseAnswer(exchange, token, how);
      return true;
    });
  }

  // No TLS: only host and port are passed on.
  const server = await startFakeServer({ host: options.host, port: options.port }, handle, (res) => sendText(res, 500, 'fake-trifacta internal error'));

  return {
    url: server.url,
    port: server.port,
    clock,
    get minted() {
      return ctx.store.minted;
    },
    isLive: (token) => ctx.store.isLiveValue(token) && !ctx.store.refusedAsFresh(token, ctx.quirks.freshTokenRefusedSeconds),
    liveTokenIds: (user) =>
      ctx.store
        .all()
        .filter((t) => (user === undefined || t.user === user) && ctx.store.live(t))
        .map((t) => t.tokenId),
    tokensWithDescription: (description) =>
      ctx.store
        .all()
        .filter((t) => t.description === description)
        .map((t) => ctx.store.view(t)),
    tokens: () => ctx.store.all().map((t) => ctx.store.view(t)),
    addToken: ({ user, description = null, lifetimeSeconds = ctx.defaultLifetimeSeconds }) =>
      ctx.store.mint(user, lifetimeSeconds, description, ctx.quirks.tokenFormat).tokenId,
    stats: () => stats.get(),
    resetStats: () => stats.reset(),
    setFaults: (f) => faults.set(f),
    setQuirks: (q) => {
      quirkInput = { ...quirkInput, ...q };
      ctx.quirks = resolveQuirks(quirkInput);
    },
    close: () => server.close(),
  };
}
