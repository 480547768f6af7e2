/**
 * Low-level TigerGraph token client: one method per wire operation, for both token APIs.
 *   3.x: REST++ `/requesttoken` POST (request) / PUT (refresh) / DELETE, JSON bodies (3.5+).
 *   4.x: GSQL `POST /gsql/v1/tokens` (JWT), block-list `DELETE /gsql/v1/tokens`,
 *        `POST /gsql/v1/tokens/check`; no refresh.
 * Every failure becomes a typed error from core/errors.ts; nothing here logs.
 */
import { currentClock, type Clock } from '../../clock.js';
import { HttpError, RefreshUnsupportedError, TokenNotFoundError, TransportError } from '../../errors.js';
import type { IssuedToken as AnyIssuedToken } from '../provider.js';

/** TigerGraph tokens always expire. */
export type IssuedToken = AnyIssuedToken & { expiresAt: Date };
import type { TigerGraphCredentials as Credentials } from './types.js';
import { asRecord } from '../../http/failures.js';
import { basicAuthorization as basic, basicCredential as basicValue, httpSettings, HttpTransport, type HttpCall, type HttpResult } from '../../http/transport.js';
import { failureToError, isErrorFlag } from './failures.js';
import { decodeJwtClaims } from './jwt.js';
import { deploymentKey, parseHost, resolveBases, type TigerGraphBases } from './urls.js';
import { detectApiVersion } from './version.js';
import type { ApiVersion, TigerGraphClientOptions, TigerGraphConfig, TigerGraphOp } from './types.js';

export interface TokenRequestOptions {
  /** Seconds. Omitted: the server default (3.x 30 days, 4.x 7 days). */
  lifetimeSeconds?: number;
  /** Graph to scope the token to; defaults to the connection's graph. */
  graph?: string;
}

const DEFAULT_LIFETIME_4X = 7 * 86400;

/**
 * The 4.x `lifetime` unit is UNCONFIRMED (docs: milliseconds; clients: seconds). We send seconds,
 * and if the JWT's exp shows the server read them as milliseconds we remember that per deployment.
 */
const lifetimeUnits = new Map<string, 'seconds' | 'milliseconds'>();

export function clearLifetimeUnitCache(): void {
  lifetimeUnits.clear();
}

export class TigerGraphClient {
  private readonly http: HttpTransport;
  private readonly credentials: Credentials;

  constructor(
    private readonly conn: TigerGraphConfig,
    credentials: Credentials,
    private readonly options: TigerGraphClientOptions = {},
  ) {
    parseHost(conn); // ConfigError now for an unusable host (e.g. http:// without allowInsecureHttp)
    this.credentials = credentials;
    this.http = new HttpTransport(httpSettings('TigerGraph', options, conn.caCertificate));
  }

  private get clock(): Clock {
    return this.options.clock ?? currentClock();
  }

  /** "3" or "4": configured, or detected once per deployment and cached for the process. */
  async detectVersion(): Promise<ApiVersion> {
    const configured = this.conn.tigergraphVersion;
    if (configured === '3' || configured === '4') return configured;
    return detectApiVersion({ http: this.http, conn: this.conn, gsqlAuthorization: this.gsqlAuthorization() });
  }

  async bases(): Promise<TigerGraphBases> {
    return resolveBases(this.conn, await this.detectVersion());
  }

  async requestToken(options: TokenRequestOptions = {}): Promise<IssuedToken> {
    const version = await this.detectVersion();
    return version === '3' ? this.request3(options) : this.request4(options);
  }

  /** 3.x only: same token, new expiry = now + lifetime. 4.x throws RefreshUnsupportedError without a call. */
  async refreshToken(token: string, options: TokenRequestOptions = {}): Promise<IssuedToken> {
    const version = await this.detectVersion();
    if (version !== '3') {
      throw new RefreshUnsupportedError('TigerGraph 4.x cannot refresh a token: request a new token (rotate) instead');
    }
    const { restpp } = resolveBases(this.conn, '3');
    const json: Record<string, unknown> = { token };
    if (options.lifetimeSeconds !== undefined) json.lifetime = String(options.lifetimeSeconds);
    const res = await this.send3('refresh', 'PUT', `${restpp}/requesttoken`, json);
    return this.parse3(res, 'refresh', `${restpp}/requesttoken`, options.lifetimeSeconds, token);
  }

  /**
   * Deletes `token` at the server. Throws TokenNotFoundError when the server does not know it.
   * 4.x block-lists it; since a block-list accepts any string, the token is checked first so an
   * already expired or block-listed token is reported as not found rather than "deleted".
   */
  async deleteToken(token: string): Promise<void> {
    const version = await this.detectVersion();
    const { restpp, gsql } = resolveBases(this.conn, version);
    if (version === '3') {
      const url = `${restpp}/requesttoken`;
      const res = await this.send3('delete', 'DELETE', url, { token });
      this.ensureOk(res, 'delete', 'DELETE', url, [token]);
      return;
    }
    // No check endpoint (undefined): block-list anyway rather than fail the revoke.
    const live = (await this.gsqlCheck(token, gsql)) ?? true;
    if (!live) {
      throw new TokenNotFoundError(`TigerGraph 4.x at ${gsql} does not accept the token any more (expired, block-listed or unknown)`);
    }
    const url = `${gsql}/gsql/v1/tokens`;
    const res = await this.http.send({
      op: 'delete',
      method: 'DELETE',
      url,
      headers: { authorization: this.gsqlAuthorization() },
      json: { tokens: token },
    });
    this.ensureOk(res, 'delete', 'DELETE', url, [token]);
  }

  /**
   * Proves the token works with an authenticated REST++ call (`GET /echo` with a Bearer token),
   * the way consumers use it. False when refused (REST-10016/10019, 401, 403); throws on
   * transport faults and 5xx.
   */
  async checkToken(token: string): Promise<boolean> {
    const { restpp } = await this.bases();
    const url = `${restpp}/echo`;
    const res = await this.http.send({ op: 'echo', method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    if (isRefusal(res)) return false;
    this.ensureOk(res, 'echo', 'GET', url, [token]);
    return true;
  }

  /** 4.x `POST /gsql/v1/tokens/check`: the GSQL server's view of the JWT (signature, expiry, block-list). */
  async checkTokenAtGsql(token: string): Promise<boolean> {
    const { gsql } = resolveBases(this.conn, '4');
    const live = await this.gsqlCheck(token, gsql);
    if (live === undefined) {
      throw new HttpError(
        `TigerGraph has no POST ${gsql}/gsql/v1/tokens/check (HTTP 404): check gsqlPort and that the server runs TigerGraph 4.x`,
        404,
      );
    }
    return live;
  }

  /** true/false from the check endpoint; undefined when the endpoint does not exist (404). */
  private async gsqlCheck(token: string, gsql: string): Promise<boolean | undefined> {
    const url = `${gsql}/gsql/v1/tokens/check`;
    const res = await this.http.send({
      op: 'check',
      method: 'POST',
      url,
      headers: { authorization: this.gsqlAuthorization() },
      json: { token },
    });
    if (res.status === 404) return undefined;
    // Failure bodies are UNCONFIRMED: treat any 4xx or `error: true` as "not valid".
    if ((res.status >= 400 && res.status < 500) || (res.status < 300 && isErrorFlag(asRecord(res.body)?.error))) return false;
    this.ensureOk(res, 'check', 'POST', url, [token]);
    return true;
  }

  // ---- 3.x ----------------------------------------------------------------------------------

  private async request3(options: TokenRequestOptions): Promise<IssuedToken> {
    const { restpp } = resolveBases(this.conn, '3');
    const json: Record<string, unknown> = {};
    const graph = options.graph ?? this.conn.graph;
    if (graph) json.graph = graph;
    // pyTigerGraph sends the lifetime as a string; 3.x servers accept it.
    if (options.lifetimeSeconds !== undefined) json.lifetime = String(options.lifetimeSeconds);
    const url = `${restpp}/requesttoken`;
    const res = await this.send3('request', 'POST', url, json);
    return this.parse3(res, 'request', url, options.lifetimeSeconds);
  }

  /** Adds the credential: `secret` in the body, or Basic auth (3.x accepts both). */
  private send3(
    op: 'request' | 'refresh' | 'delete',
    method: 'POST' | 'PUT' | 'DELETE',
    url: string,
    json: Record<string, unknown>,
  ): Promise<HttpResult> {
    const call: HttpCall = { op, method, url, json };
    if ('secret' in this.credentials) {
      call.json = { secret: this.credentials.secret, ...json };
    } else {
      call.headers = { authorization: basic(this.credentials.username, this.credentials.password) };
    }
    return this.http.send(call);
  }

  private parse3(res: HttpResult, op: 'request' | 'refresh', url: string, lifetimeSeconds: number | undefined, knownToken?: string): IssuedToken {
    const method = op === 'request' ? 'POST' : 'PUT';
    const body = this.ensureOk(res, op, method, url, knownToken ? [knownToken] : []);
    // With Basic auth 3.x nests the token as results.token and has no top-level token.
    const token = stringField(body.token) ?? stringField(asRecord(body.results)?.token) ?? knownToken;
    const expiration = numberField(body.expiration);
    if (!token || expiration === undefined) throw this.malformed(op, method, url, res.status);
    const now = this.clock.now();
    return { token, expiresAt: expiry3(expiration, now), issuedAt: new Date(now) };
  }

  // ---- 4.x ----------------------------------------------------------------------------------

  private async request4(options: TokenRequestOptions): Promise<IssuedToken> {
    const { gsql } = resolveBases(this.conn, '4');
    const key = deploymentKey(this.conn);
    const unit = lifetimeUnits.get(key) ?? 'seconds';
    const lifetime = options.lifetimeSeconds;
    const first = await this.mint4(gsql, options, unit);
    if (lifetime !== undefined && unit === 'seconds' && readAsMilliseconds(first.claimsSpan, lifetime)) {
      lifetimeUnits.set(key, 'milliseconds');
      // The first token lives only ~lifetime/1000 s; it is never handed out and expires on its own.
      return (await this.mint4(gsql, options, 'milliseconds')).issued;
    }
    return first.issued;
  }

  private async mint4(
    gsql: string,
    options: TokenRequestOptions,
    unit: 'seconds' | 'milliseconds',
  ): Promise<{ issued: IssuedToken; claimsSpan: number | undefined }> {
    const url = `${gsql}/gsql/v1/tokens`;
    const json: Record<string, unknown> = {};
    const graph = options.graph ?? this.conn.graph;
    if (graph) json.graph = graph;
    if (options.lifetimeSeconds !== undefined) json.lifetime = unit === 'seconds' ? options.lifetimeSeconds : options.lifetimeSeconds * 1000;
    const call: HttpCall = { op: 'request', method: 'POST', url, json };
    if ('secret' in this.credentials) json.secret = this.credentials.secret;
    else call.headers = { authorization: basic(this.credentials.username, this.credentials.password) };
    const res = await this.http.send(call);
    const body = this.ensureOk(res, 'request', 'POST', url, []);
    const token = stringField(body.token);
    if (!token) throw this.malformed('request', 'POST', url, res.status);
    const now = this.clock.now();
    const claims = decodeJwtClaims(token);
    // exp (unix seconds, UTC) is the truth; the `expiration` string is server-local time and the
    // lifetime unit is ambiguous. A JWT without exp should not happen: fall back to our clock
    // plus the lifetime we asked for (or the 7-day default), which may be off by the request time.
    const expiresAt =
      claims?.exp !== undefined ? new Date(claims.exp * 1000) : new Date(now + (options.lifetimeSeconds ?? DEFAULT_LIFETIME_4X) * 1000);
    const issuedAt = claims?.iat !== undefined ? new Date(claims.iat * 1000) : new Date(now);
    const claimsSpan = claims?.exp !== undefined && claims.iat !== undefined ? claims.exp - claims.iat : undefined;
    return { issued: { token, expiresAt, issuedAt }, claimsSpan };
  }

  // ---- shared -------------------------------------------------------------------------------

  /** GSQL Basic auth: username/password, or a secret as user `__GSQL__secret`. */
  private gsqlAuthorization(): string {
    return 'secret' in this.credentials
      ? basic('__GSQL__secret', this.credentials.secret)
      : basic(this.credentials.username, this.credentials.password);
  }

  private sensitive(extra: string[]): string[] {
    const c = this.credentials;
    return [...extra, ...('secret' in c ? [c.secret] : [c.password, basicValue(c.username, c.password)])];
  }

  /** Returns the JSON object of a successful answer; throws the mapped error otherwise. */
  private ensureOk(res: HttpResult, op: TigerGraphOp, method: string, url: string, tokens: string[]): Record<string, unknown> {
    const body = asRecord(res.body);
    const ok = res.status >= 200 && res.status < 300 && !isErrorFlag(body?.error);
    if (ok) {
      if (!body && op !== 'echo' && op !== 'delete') throw this.malformed(op, method, url, res.status);
      return body ?? {};
    }
    throw failureToError({ op, method, url, status: res.status, body: res.body, text: res.text, sensitive: this.sensitive(tokens) });
  }

  private malformed(op: TigerGraphOp, method: string, url: string, status: number): TransportError {
    return new TransportError(
      `TigerGraph answered ${method} ${url} (${op}) with HTTP ${status} but without the expected fields: ` +
        'check that the host and port reach TigerGraph REST++/GSQL and that tigergraphVersion matches the server',
      'malformed',
    );
  }
}

function stringField(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function numberField(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

/**
 * 3.x `expiration` is unix seconds. Guards: a value above 1e12 is milliseconds; a value below
 * 1e9 (before 2001) cannot be a timestamp and is the lifetime itself (the 3.2 refresh bug), so
 * it counts from now.
 */
export function expiry3(expiration: number, nowMs: number): Date {
  if (expiration > 1e12) return new Date(expiration);
  if (expiration >= 1e9) return new Date(expiration * 1000);
  return new Date(nowMs + expiration * 1000);
}

/** True when a JWT that should live `lifetime` seconds lives about lifetime/1000 seconds instead. */
function readAsMilliseconds(span: number | undefined, lifetime: number): boolean {
  if (span === undefined || lifetime < 10) return false;
  return span <= lifetime / 1000 + 2 && span < lifetime / 10;
}

/** REST++ refusing a token: REST-10016/10019, or 401/403 (the status varies by version). */
function isRefusal(res: HttpResult): boolean {
  const code = asRecord(res.body)?.code;
  if (typeof code === 'string' && (code === 'REST-10016' || code === 'REST-10019')) return true;
  return res.status === 401 || res.status === 403;
}

