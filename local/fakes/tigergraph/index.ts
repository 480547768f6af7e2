/**
 * Fake TigerGraph for tests and local runs: the 3.x or 4.x token API over real HTTP(S) on
 * 127.0.0.1, started in-process. One port plays every service of a deployment:
 *   3.x: REST++ where `restppLayout` puts it: at the root (default: the REST++ process on 9000),
 *        under /restpp only ("3.x behind nginx", port 14240 alone exposed), or both;
 *        /gsql/v1/* answers 404 (3.x has none).
 *   4.x: REST++ under /restpp/* only; GSQL at /gsql/v1/*.
 * so a client with restppPort = gsqlPort = fake.port (or the port in `host`) reaches both, plus
 * restppPath "/restpp" for a 3.x fake in the 'restpp' layout.
 *
 * It is deliberately unkind where real servers are or may be (each a quirk, quirks.ts):
 * - 4.x JWTs carry no unique claim: two tokens minted in the same second for the same user,
 *   graph and lifetime are byte-identical (quirk `uniqueClaim` adds a random `jti`).
 * - A refused secret or username/password on 3.x PUT/DELETE /requesttoken answers REST-10016,
 *   the same answer as an invalid token (quirk `tokenOpCredentialRefusal`).
 * - 4.x block lists are per user and bounded (20 by default, GSQL.Token.DropLimit); when full,
 *   the oldest entry leaves and that token works again (quirk `blockListWhenFull: 'refuse'`
 *   answers an error instead); expired tokens stay listed (quirk `blockListDropsExpired`).
 * - REST++ answers only where the layout puts it: elsewhere a plain, non-REST++ 404.
 * - /version answers the real message shape (component lines pyTigerGraph parses).
 *
 * Where it knowingly differs from a real TigerGraph:
 * - Every UNCONFIRMED item of tigergraph-token-api.md is a quirk with a chosen default; the codes
 *   REST-10002 (wrong credential) and REST-30000 (bad input, unknown graph) are invented, and
 *   the expired-token, unknown-token and full-block-list bodies are guesses.
 * - Secrets are not bound to a graph or a user: any configured secret works for any graph and
 *   its tokens have the subject "tigergraph". Graphs are only checked when `graphs` is given.
 * - A token on any user's block list is refused. The JWT key is random per server.
 * - 4.x GSQL still mints tokens when `authEnabled` is false (only REST++ stops checking them).
 * - /gsql/v1/tokens/check needs no login; /gsql/v1/version and the block-list DELETE do.
 * - 3.x keeps expired tokens (refresh answers the expired-token error, delete still drops them).
 * - Only the token endpoints plus /echo, /endpoints and /version exist; no queries, no schema.
 * - Answers are built by hand: headers are minimal, no gzip, no request size limits beyond 1 MB.
 * The fake never logs; secrets and tokens appear only in HTTP bodies, as on a real server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OffsetClock, type Clock } from '../../../core/clock.js';
import { FaultPlan, injectedFault, readBody, refusedWhileFresh, RequestStats, startFakeServer, type FakeControls, type FakeHttp, type OpStats } from '../shared/index.js';
import { sendJson, sendText, type Exchange, type FakeContext } from './context.js';
import { resolveQuirks, type FakeTigerGraphQuirks } from './quirks.js';
import type { FakeFaults, FakeOp } from './faults.js';
import { handleGsql } from './gsql.js';
import { handleRestpp } from './restpp.js';
import { TokenStore } from './tokens.js';

export type { FakeTigerGraphQuirks, FakeErrorShape } from './quirks.js';
export type { FakeFaults, FakeOp } from './faults.js';

export interface FakeTigerGraphOptions<C extends Clock = OffsetClock> {
  version: 3 | 4;
  /** Accepted TigerGraph secrets. */
  secrets?: string[];
  /** username -> password for Basic auth. */
  users?: Record<string, string>;
  /** Known graphs; when given, a token request for another graph fails. */
  graphs?: string[];
  /** REST++ authentication (default true). Off: /requesttoken answers REST-1000 404, /echo needs no token. */
  authEnabled?: boolean;
  /** Default token lifetime: 3.x 2 592 000 s, 4.x 604 800 s. */
  defaultLifetimeSeconds?: number;
  /** Time source for issuing and expiring tokens. Default: a new OffsetClock (`fake.clock.advance(s)`). */
  clock?: C;
  /** Serve HTTPS with this PEM key and certificate. */
  tls?: { key: string; cert: string };
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /**
   * 3.x only: where REST++ answers. 'root' (default): at the root, as the REST++ process on 9000
   * does; 'restpp': under /restpp only, as a cluster exposing only nginx on 14240; 'both'.
   * 4.x always serves REST++ under /restpp only.
   */
  restppLayout?: 'root' | 'restpp' | 'both';
  quirks?: FakeTigerGraphQuirks;
  faults?: FakeFaults;
}

export type FakeStats = OpStats<FakeOp>;

export interface FakeTigerGraph<C extends Clock = OffsetClock> extends FakeControls<FakeOp, FakeFaults, FakeTigerGraphQuirks> {
  /** e.g. "http://127.0.0.1:43123" (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly version: 3 | 4;
  readonly clock: C;
  /** Number of tokens minted since start. */
  readonly minted: number;
  /** Whether the server would accept `token` on an authenticated REST++ call now (not while refused as fresh). */
  isLive(token: string): boolean;
  /** Tokens minted by this server that are unexpired and not revoked (fresh ones included). */
  liveTokens(): string[];
}

const OPS: FakeOp[] = ['request', 'refresh', 'delete', 'check', 'echo', 'version', 'endpoints', 'other'];

/** Which logical operation a request is, from its method and path (after any /restpp prefix). */
export function classify(method: string, path: string): FakeOp {
  if (path === '/requesttoken' || path === '/gsql/v1/tokens') {
    if (method === 'POST' || method === 'GET') return 'request';
    if (method === 'PUT') return 'refresh';
    if (method === 'DELETE') return 'delete';
    return 'other';
  }
  if (path === '/gsql/v1/tokens/check') return 'check';
  if (path === '/echo') return 'echo';
  if (path === '/version' || path.startsWith('/version/') || path === '/gsql/v1/version') return 'version';
  if (path === '/endpoints') return 'endpoints';
  return 'other';
}

export async function startFakeTigerGraph<C extends Clock = OffsetClock>(options: FakeTigerGraphOptions<C>): Promise<FakeTigerGraph<C>> {
  const version = options.version;
  if (version === 4 && options.restppLayout !== undefined && options.restppLayout !== 'restpp') {
    throw new RangeError('restppLayout: 4.x serves REST++ under /restpp only');
  }
  const layout = options.restppLayout ?? (version === 3 ? 'root' : 'restpp');
  const clock = (options.clock ?? new OffsetClock()) as C;
  const ctx: FakeContext = {
    version,
    secrets: new Set(options.secrets ?? []),
    users: { ...options.users },
    graphs: [...(options.graphs ?? [])],
    authEnabled: options.authEnabled ?? true,
    defaultLifetimeSeconds: options.defaultLifetimeSeconds ?? (version === 3 ? 2_592_000 : 604_800),
    quirks: resolveQuirks(version, options.quirks),
    store: new TokenStore(clock),
    clock,
  };
  let quirkInput: FakeTigerGraphQuirks = { ...options.quirks };
  const faults = new FaultPlan<FakeOp, FakeFaults>(options.faults);
  const stats = new RequestStats(OPS);

  async function handle(req: IncomingMessage, res: ServerResponse, http: FakeHttp): Promise<void> {
    // The server's clock, as a real server's Date header shows it (Node would send the real time).
    res.setHeader('date', new Date(clock.now()).toUTCString());
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawPath = parsed.pathname.replace(/\/+$/, '') || '/';
    const restppPrefixed = rawPath === '/restpp' || rawPath.startsWith('/restpp/');
    const isGsql = rawPath.startsWith('/gsql/');
    const path = restppPrefixed ? rawPath.slice('/restpp'.length) || '/' : rawPath;
    const op = classify(method, path);
    stats.count(op);

    const text = await readBody(req);
    const action = await injectedFault(faults, op, http, req, res);
    if (!action) return;
    if (action.kind === 'error') {
      return sendJson(res, action.status, { error: true, message: 'Internal server error (injected by fake-tigergraph).' });
    }
    if (action.kind === 'malformed') return sendText(res, 200, '{"error":false,"message":"Generate new tok', 'application/json');

    const x: Exchange = { req, res, method, path, query: parsed.searchParams, text };
    if (isGsql) {
      // 3.x has no /gsql/v1 endpoints: its GSQL server answers a plain 404.
      if (version === 3) return sendText(res, 404, '<html><body><h1>404 Not Found</h1></body></html>', 'text/html');
      return handleGsql(ctx, x);
    }
    // nginx strips /restpp before REST++ sees the path; REST++ at the root sees /restpp/... as an
    // unknown endpoint (REST-1000 naming it); anything else on an nginx-only port is nginx's 404.
    if (restppPrefixed && layout !== 'root') return handleRestpp(ctx, x);
    if (layout !== 'restpp') return handleRestpp(ctx, { ...x, path: rawPath });
    return sendText(res, 404, '<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>', 'text/html');
  }

  const server = await startFakeServer(options, handle, (res) => sendJson(res, 500, { error: true, message: 'fake-tigergraph internal error' }));

  const unexpired = (token: string) => (version === 3 ? ctx.store.state3(token) : ctx.store.state4(token)) === 'live';
  const isLive = (token: string) => unexpired(token) && !refusedWhileFresh(ctx.store.mintedAtMs(token), clock.now(), ctx.quirks.freshTokenRefusedSeconds);

  return {
    url: server.url,
    port: server.port,
    version,
    clock,
    get minted() {
      return ctx.store.minted;
    },
    isLive,
    // Accepted now or within freshTokenRefusedSeconds: a token that is not yet accepted still has to be tracked.
    liveTokens: () => (version === 3 ? [...ctx.store.tokens3.keys()] : [...ctx.store.minted4.keys()]).filter(unexpired),
    stats: () => stats.get(),
    resetStats: () => stats.reset(),
    setFaults: (f) => faults.set(f),
    setQuirks: (q) => {
      quirkInput = { ...quirkInput, ...q };
      ctx.quirks = resolveQuirks(version, quirkInput);
    },
    close: () => server.close(),
  };
}
