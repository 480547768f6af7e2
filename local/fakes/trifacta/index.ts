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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OffsetClock, type Clock } from '../../../core/clock.js';
import { resolveQuirks, sendError, sendText, type Exchange, type FakeContext, type FakeTrifactaQuirks } from './context.js';
import { FaultPlan, type FakeTrifactaFaults, type FakeTrifactaOp, type LostMint } from './faults.js';
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

export type FakeTrifactaStats = Record<FakeTrifactaOp, number> & { total: number };

export interface FakeTrifacta<C extends Clock = OffsetClock> {
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
  /** Requests received per operation (faulted ones included). */
  stats(): FakeTrifactaStats;
  resetStats(): void;
  /** Replaces the fault plan (counters such as failNext restart). */
  setFaults(faults: FakeTrifactaFaults): void;
  /** Merges quirks into the current ones. */
  setQuirks(quirks: FakeTrifactaQuirks): void;
  close(): Promise<void>;
}

const OPS: FakeTrifactaOp[] = ['create', 'list', 'get', 'delete', 'other'];
const MAX_BODY = 1024 * 1024;

function emptyStats(): FakeTrifactaStats {
  return Object.fromEntries([...OPS.map((o) => [o, 0]), ['total', 0]]) as FakeTrifactaStats;
}

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
  const faults = new FaultPlan();
  if (options.faults) faults.set(options.faults);
  let stats = emptyStats();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = parsed.pathname.replace(/\/+$/, '') || '/';
    const op = classify(method, path);
    stats[op]++;
    stats.total++;

    const text = await readBody(req);
    const latency = faults.latencyMs(op);
    if (latency > 0) await delay(latency);
    if (closed || res.destroyed || req.socket.destroyed) return;

    const action = faults.before(op);
    if (action.kind === 'drop') {
      req.socket.destroy();
      return;
    }
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

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) sendText(res, 500, 'fake-trifacta internal error');
    });
  });
  // Client timeouts and dropped connections produce socket errors that are expected here.
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl}:${address.port}`;

  return {
    url,
    port: address.port,
    clock,
    get minted() {
      return ctx.store.minted;
    },
    isLive: (token) => ctx.store.isLiveValue(token),
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
    stats: () => ({ ...stats }),
    resetStats: () => {
      stats = emptyStats();
    },
    setFaults: (f) => faults.set(f),
    setQuirks: (q) => {
      quirkInput = { ...quirkInput, ...q };
      ctx.quirks = resolveQuirks(quirkInput);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
    req.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
