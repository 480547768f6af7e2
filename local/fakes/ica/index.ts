/**
 * Fake Illumina Connected Analytics (ICA) v2 token API for tests and local runs: real HTTP on
 * 127.0.0.1, started in-process, on any free port by default. Endpoints (under /ica/rest):
 *   POST /api/tokens[?tenant=]  X-API-Key or Basic email:password  -> 200 {"token": JWT, ...extra}
 *   POST /api/tokens:refresh    Bearer JWT minted with Basic        -> 200 {"token": new JWT, ...extra}
 *   GET  /api/regions           Bearer JWT                          -> 200 {"items": [...]}
 * Failures are RFC 7807 Problems (`application/problem+json`).
 *
 * Where it knowingly differs from the real ICA:
 * - Every UNCONFIRMED item of ica-token-api.md is a quirk (FakeIcaQuirks) whose default is the
 *   reading hardest on a client: refresh of an API-key JWT 400 but of an expired JWT 401, the old
 *   JWT invalidated by a refresh, extra fields in the Token model, no unique claim (same subject,
 *   same second: byte-identical JWTs). Exceptions, by design: `exp` is present (quirk omitExp), a
 *   user in several tenants without ?tenant= gets the doc's 400 (quirk multiTenantStatus).
 * - Invented, not documented: Problem `type` is always "about:blank" and `title` the HTTP reason
 *   phrase; the `detail` texts; by default details quote the refused API key, Basic value or JWT
 *   (quirk echoSecretsInProblems) so clients prove they sanitize; a request whose Accept excludes
 *   application/vnd.illumina.v3+json gets 406 (quirk strictAccept); SSO users are refused with 401.
 * - JWT claims are invented: sub (a UUID-shaped id derived from the email), iat, exp, tenant (the
 *   tenant name), amr (["apikey"] or ["pwd"]); HS256 with a key random per server. The fake keeps
 *   every JWT it minted (the real server is presumably stateless) to expire JWTs without exp, to
 *   invalidate refreshed ones and to answer isLive().
 * - An API key belongs to one user (`apiKeys`: key -> email, or a list owned by a default user)
 *   and mints in that user's first tenant; ?tenant= beside an API key is ignored. No 10-key limit.
 * - A tenant the user is not in answers the multi-tenant status too.
 * - Only the three endpoints exist; GET /api/regions ignores tenants and permissions. Answers are
 *   built by hand: minimal headers, no gzip, request bodies are not read beyond 1 MB.
 * The fake never logs; keys, passwords and JWTs appear only in HTTP bodies, as on a real server,
 * and the inspection API (stats, requests, minted, liveCount, isLive) never returns a token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OffsetClock, type Clock } from '../../../core/clock.js';
import { injectedFault, MAX_BODY, RequestStats, sendText, startFakeServer, type FakeControls, type FakeHttp, type OpStats } from '../shared/index.js';
import { IcaFaultPlan, type FakeIcaFaults, type FakeIcaOp } from './faults.js';
import { resolveQuirks, type FakeIcaQuirks } from './quirks.js';
import { bearer, classify, DATA_TYPE, problem, route, type Answer, type FakeIcaContext } from './routes.js';
import { JwtStore } from './tokens.js';

export type { FakeIcaFaults, FakeIcaOp } from './faults.js';
export { DEFAULT_EXTRA_FIELDS, type FakeIcaQuirks } from './quirks.js';

/** Owner of API keys given as a plain list. */
export const DEFAULT_API_KEY_OWNER = 'api-user@example.com';
export const DEFAULT_TENANT = 'fake-tenant';

export interface FakeIcaOptions<C extends Clock = OffsetClock> {
  /** Accepted API keys: a list (owned by DEFAULT_API_KEY_OWNER) or key -> owner email. */
  apiKeys?: readonly string[] | Readonly<Record<string, string>>;
  /** email -> password for Basic auth. */
  users?: Readonly<Record<string, string>>;
  /** email -> tenant names; a user in several must send ?tenant=. Unlisted users are in DEFAULT_TENANT. */
  tenants?: Readonly<Record<string, readonly string[]>>;
  /** Emails of SSO-enabled accounts: Basic auth is refused for them (401). */
  ssoUsers?: readonly string[];
  /** Lifetime of every JWT, set by the tenant admin on the real server. Default 43 200 (12 hours). */
  jwtLifetimeSeconds?: number;
  /** Time source for issuing and expiring JWTs. Default: a new OffsetClock (`fake.clock.advance(s)`). */
  clock?: C;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  quirks?: FakeIcaQuirks;
  faults?: FakeIcaFaults;
}

export type FakeIcaStats = OpStats<FakeIcaOp>;

/** One request as the fake saw it: never a credential or token value, only which kind was sent. */
export interface FakeIcaRequest {
  op: FakeIcaOp;
  method: string;
  path: string;
  /** The Accept header as sent (undefined when absent). */
  accept: string | undefined;
  auth: 'api-key' | 'basic' | 'bearer' | 'none';
  /** The ?tenant= parameter, when sent. */
  tenant: string | undefined;
}

export interface FakeIca<C extends Clock = OffsetClock> extends FakeControls<FakeIcaOp, FakeIcaFaults, FakeIcaQuirks> {
  /** e.g. "http://127.0.0.1:43123" (no trailing slash, no /ica/rest): the token secret's `host`. */
  readonly url: string;
  readonly port: number;
  readonly clock: C;
  /** JWTs minted since start (create and refresh; a byte-identical JWT counts each time). */
  readonly minted: number;
  /** Whether the server would accept `token` as a Bearer now. */
  isLive(token: string): boolean;
  /** Distinct JWTs minted by this server that are live now. */
  liveCount(): number;
  /** Requests received, in order (faulted ones included). */
  requests(): FakeIcaRequest[];
  /** Clears stats and the request record. */
  resetStats(): void;
}

const OPS: FakeIcaOp[] = ['create', 'refresh', 'regions', 'other'];

function apiKeyMap(keys: FakeIcaOptions['apiKeys']): Map<string, string> {
  if (!keys) return new Map();
  if (Array.isArray(keys)) return new Map((keys as readonly string[]).map((k) => [k, DEFAULT_API_KEY_OWNER]));
  return new Map(Object.entries(keys as Record<string, string>));
}

export async function startFakeIca<C extends Clock = OffsetClock>(options: FakeIcaOptions<C> = {}): Promise<FakeIca<C>> {
  const clock = (options.clock ?? new OffsetClock()) as C;
  let quirkInput: FakeIcaQuirks = { ...options.quirks };
  const ctx: FakeIcaContext = {
    apiKeys: apiKeyMap(options.apiKeys),
    users: { ...options.users },
    tenants: { ...options.tenants },
    defaultTenant: DEFAULT_TENANT,
    ssoUsers: new Set(options.ssoUsers ?? []),
    lifetimeSec: options.jwtLifetimeSeconds ?? 43_200,
    quirks: resolveQuirks(quirkInput),
    store: new JwtStore(clock),
    clock,
  };
  const faults = new IcaFaultPlan(options.faults);
  const stats = new RequestStats(OPS);
  let record: FakeIcaRequest[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse, http: FakeHttp): Promise<void> {
    // The server's clock, as a real server's Date header shows it (Node would send the real time).
    res.setHeader('date', new Date(clock.now()).toUTCString());
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    // The refresh path holds a colon; accept it percent-encoded too, as a servlet container would.
    const path = safeDecode(parsed.pathname).replace(/\/+$/, '') || '/';
    const op = classify(path);
    stats.count(op);
    record.push({ op, method, path, accept: req.headers.accept, auth: authKind(req), tenant: parsed.searchParams.get('tenant') ?? undefined });

    await drain(req);
    const action = await injectedFault(faults, op, http, req, res);
    if (!action) return;
    if (action.kind === 'error') return send(res, problem(ctx, action.status, 'Injected failure (fake-ica).', path));
    if (action.kind === 'malformed') return send(res, { status: 200, contentType: DATA_TYPE, body: undefined }, '{"token":"eyJhbGciOiJIUzI1Ni');

    const answer = route(ctx, { method, path, query: parsed.searchParams, headers: req.headers });
    if (action.kind === 'mint-then-drop') {
      // The JWT (if the request was good) now exists at the server; the client never gets it.
      req.socket.destroy();
      return;
    }
    send(res, answer);
  }

  // No TLS: only host and port are passed on.
  const server = await startFakeServer({ host: options.host, port: options.port }, handle, (res) => send(res, problem(ctx, 500, 'fake-ica internal error.', '/')));

  return {
    url: server.url,
    port: server.port,
    clock,
    get minted() {
      return ctx.store.minted;
    },
    isLive: (token) => ctx.store.stateWhenUsed(token, ctx.quirks.freshTokenRefusedSeconds) === 'live',
    liveCount: () => ctx.store.liveCount(),
    stats: () => stats.get(),
    requests: () => record.map((r) => ({ ...r })),
    resetStats: () => {
      stats.reset();
      record = [];
    },
    setFaults: (f) => faults.set(f),
    setQuirks: (q) => {
      quirkInput = { ...quirkInput, ...q };
      ctx.quirks = resolveQuirks(quirkInput);
    },
    close: () => server.close(),
  };
}

function send(res: ServerResponse, answer: Answer, raw?: string): void {
  sendText(res, answer.status, raw ?? JSON.stringify(answer.body), answer.contentType);
}

function authKind(req: IncomingMessage): FakeIcaRequest['auth'] {
  if (req.headers['x-api-key'] !== undefined) return 'api-key';
  const h = req.headers.authorization;
  if (h && /^basic /i.test(h)) return 'basic';
  if (bearer(h) !== undefined) return 'bearer';
  return 'none';
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Reads and discards the request body (the token API takes none), up to MAX_BODY. */
function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.socket.destroy();
    });
    req.on('end', () => resolve());
    req.on('error', () => resolve());
    req.on('close', () => resolve());
  });
}
