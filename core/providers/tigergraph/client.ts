/**
 * Low-level TigerGraph token client: one method per wire operation, for both token APIs.
 *   3.x: REST++ `/requesttoken` POST (request) / PUT (refresh) / DELETE, JSON bodies (3.5+).
 *   4.x: GSQL `POST /gsql/v1/tokens` (JWT), block-list `DELETE /gsql/v1/tokens`,
 *        `POST /gsql/v1/tokens/check`; no refresh.
 * Every failure becomes a typed error from core/errors.ts; nothing here logs.
 *
 * "Gone" is proven, never inferred: a refresh or delete refusal that could also mean "your
 * credential is wrong" (3.x answers REST-10016 for both) is settled by a call with the token
 * itself (REST++ `GET /echo`): refused => TokenNotFoundError; accepted => BadCredentialError.
 * So a failed revoke is never counted as done and a failed refresh never turns into a rotation.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { currentClock, type Clock } from '../../clock.js';
import { BadCredentialError, HttpError, RefreshUnsupportedError, TokenNotFoundError, TransportError } from '../../errors.js';
import { asRecord } from '../../http/failures.js';
import { basicAuthorization as basic, basicCredential as basicValue, httpSettings, HttpTransport, type HttpCall, type HttpResult } from '../../http/transport.js';
import type { IssuedToken } from '../provider.js';
import { clockSkewMs, onOurClock } from '../server-time.js';
import { expiry3, isRefusal, numberField, readAsMilliseconds, stringField } from './answers.js';
import {
  blockListFullError,
  credentialRefusedTokenWorks,
  failureToError,
  isBlockListFull,
  isErrorFlag,
  tokenGoneConfirmed,
  type FailureContext,
} from './failures.js';
import { decodeTigerGraphClaims } from './jwt.js';
import { pickOffset, recentMints } from './mints.js';
import type { TigerGraphBases } from './edge.js';
import { deploymentKey, parseHost, resolveBases } from './urls.js';
import { detectApiVersion } from './version.js';
import type { ApiVersion, TigerGraphClientOptions, TigerGraphConfig, TigerGraphCredentials as Credentials, TigerGraphOp } from './types.js';

export { expiry3 } from './answers.js';

/** TigerGraph tokens always expire. */
export type TigerGraphIssuedToken = IssuedToken & { expiresAt: Date };

export interface TokenRequestOptions {
  /** Seconds. Omitted: DEFAULT_LIFETIME_SECONDS on 4.x (which always sends one: mints.ts), the server's default on 3.x (the same 30 days). */
  lifetimeSeconds?: number;
  /** Graph to scope the token to; defaults to the connection's graph. */
  graph?: string;
}

/**
 * The product's TigerGraph token lifetime when a token secret sets none: 30 days, the 3.x server's
 * own default. The definition requests it (index.ts) and a deployment writes it; a 4.x mint without
 * a lifetime asks for it too rather than for the 4.x server's 7 days, since 4.x mints always send
 * one (mints.ts).
 */
export const DEFAULT_LIFETIME_SECONDS = 30 * 86_400;
/** The GSQL user name under which Basic auth carries a TigerGraph secret. */
const GSQL_SECRET_USER = '__GSQL__secret';
/** 4.x mints per request before giving up on getting a token this process has not handed out. */
const MAX_MINTS_4X = 5;

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

  async requestToken(options: TokenRequestOptions = {}): Promise<TigerGraphIssuedToken> {
    const version = await this.detectVersion();
    return version === '3' ? this.request3(options) : this.request4(options);
  }

  /** 3.x only: same token, new expiry = now + lifetime. 4.x throws RefreshUnsupportedError without a call. */
  async refreshToken(token: string, options: TokenRequestOptions = {}): Promise<TigerGraphIssuedToken> {
    const version = await this.detectVersion();
    if (version !== '3') {
      throw new RefreshUnsupportedError('TigerGraph 4.x cannot refresh a token: request a new token (rotate) instead');
    }
    const { restpp } = resolveBases(this.conn, '3');
    const url = `${restpp}/requesttoken`;
    const json: Record<string, unknown> = { token };
    if (options.lifetimeSeconds !== undefined) json.lifetime = String(options.lifetimeSeconds);
    const res = await this.send3('refresh', 'PUT', url, json);
    const body = await this.ensureTokenOpOk(res, 'refresh', 'PUT', url, token);
    return this.parse3(body, res, 'refresh', url, token);
  }

  /**
   * Deletes `token` at the server. Throws TokenNotFoundError only when the token is proven unusable
   * (REST++ refuses it); RevokeLimitError when the 4.x block list is full.
   * 4.x block-lists it; since a block list accepts any string, the token is checked first so an
   * already expired or block-listed token is reported as not found rather than "deleted".
   */
  async deleteToken(token: string): Promise<void> {
    const version = await this.detectVersion();
    const { restpp, gsql } = resolveBases(this.conn, version);
    if (version === '3') {
      const url = `${restpp}/requesttoken`;
      const res = await this.send3('delete', 'DELETE', url, { token });
      await this.ensureTokenOpOk(res, 'delete', 'DELETE', url, token);
      return;
    }
    // No check endpoint (undefined): block-list anyway rather than fail the revoke. The check's
    // refusal body is UNCONFIRMED (and may be a login refusal), so "not valid" is proven on REST++.
    const live = (await this.gsqlCheck(token, gsql)) ?? true;
    if (!live && !(await this.checkToken(token))) {
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
    await this.ensureTokenOpOk(res, 'delete', 'DELETE', url, token);
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

  private async request3(options: TokenRequestOptions): Promise<TigerGraphIssuedToken> {
    const { restpp } = resolveBases(this.conn, '3');
    const json: Record<string, unknown> = {};
    const graph = options.graph ?? this.conn.graph;
    if (graph) json.graph = graph;
    // pyTigerGraph sends the lifetime as a string; 3.x servers accept it.
    if (options.lifetimeSeconds !== undefined) json.lifetime = String(options.lifetimeSeconds);
    const url = `${restpp}/requesttoken`;
    const res = await this.send3('request', 'POST', url, json);
    return this.parse3(this.ensureOk(res, 'request', 'POST', url, []), res, 'request', url);
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

  private parse3(body: Record<string, unknown>, res: HttpResult, op: 'request' | 'refresh', url: string, knownToken?: string): TigerGraphIssuedToken {
    // With Basic auth 3.x nests the token as results.token and has no top-level token.
    const token = stringField(body.token) ?? stringField(asRecord(body.results)?.token) ?? knownToken;
    const expiration = numberField(body.expiration);
    if (!token || expiration === undefined) throw this.malformed(op, op === 'request' ? 'POST' : 'PUT', url, res.status);
    const now = this.clock.now();
    // `expiration` is an instant on the server's clock: the answer's Date header tells its skew.
    const skew = clockSkewMs(res.serverDateMs, now);
    return { token, expiresAt: onOurClock(expiry3(expiration, now + skew).getTime(), skew), issuedAt: new Date(now) };
  }

  // ---- 4.x ----------------------------------------------------------------------------------

  /**
   * Mints a JWT no other request of this process was handed (mints.ts): each mint asks for the
   * lifetime minus a random offset under a minute, and a token already handed out is set aside
   * (never revoked: it is someone's current token) and minted again with another offset.
   */
  private async request4(options: TokenRequestOptions): Promise<TigerGraphIssuedToken> {
    const { gsql } = resolveBases(this.conn, '4');
    const key = deploymentKey(this.conn);
    const graph = options.graph ?? this.conn.graph;
    const lifetime = options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
    const random = this.options.random ?? Math.random;
    const tried = new Set<number>();
    for (let mint = 1; mint <= MAX_MINTS_4X; mint++) {
      let offset = pickOffset(lifetime, tried, random);
      if (offset === undefined) {
        // Every offset came back already handed out (a very short lifetime has few): the next
        // second's iat makes a different token.
        await sleep(1_000);
        tried.clear();
        offset = pickOffset(lifetime, tried, random) ?? 0;
      }
      tried.add(offset);
      const issued = await this.mint4LearningUnit(gsql, key, graph, lifetime - offset);
      const claims = decodeTigerGraphClaims(issued.token);
      if (recentMints.claim(`${key}|${claims?.sub ?? ''}|${claims?.graph ?? ''}`, issued.token, Date.now())) return issued;
    }
    throw new HttpError(
      `TigerGraph ${gsql} answered ${MAX_MINTS_4X} token requests in a row with tokens this process had already handed out ` +
        '(4.x tokens minted in the same second are identical): retry in a few seconds',
      409,
    );
  }

  private async mint4LearningUnit(gsql: string, key: string, graph: string | undefined, seconds: number): Promise<TigerGraphIssuedToken> {
    const unit = lifetimeUnits.get(key) ?? 'seconds';
    const first = await this.mint4(gsql, graph, seconds, unit);
    if (unit === 'seconds' && readAsMilliseconds(first.claimsSpan, seconds)) {
      lifetimeUnits.set(key, 'milliseconds');
      // The first token lives only ~seconds/1000 s; it is never handed out and expires on its own.
      return (await this.mint4(gsql, graph, seconds, 'milliseconds')).issued;
    }
    return first.issued;
  }

  private async mint4(
    gsql: string,
    graph: string | undefined,
    seconds: number,
    unit: 'seconds' | 'milliseconds',
  ): Promise<{ issued: TigerGraphIssuedToken; claimsSpan: number | undefined }> {
    const url = `${gsql}/gsql/v1/tokens`;
    const json: Record<string, unknown> = { lifetime: unit === 'seconds' ? seconds : seconds * 1000 };
    if (graph) json.graph = graph;
    const call: HttpCall = { op: 'request', method: 'POST', url, json };
    if ('secret' in this.credentials) json.secret = this.credentials.secret;
    else call.headers = { authorization: basic(this.credentials.username, this.credentials.password) };
    const res = await this.http.send(call);
    const body = this.ensureOk(res, 'request', 'POST', url, []);
    const token = stringField(body.token);
    if (!token) throw this.malformed('request', 'POST', url, res.status);
    const now = this.clock.now();
    const claims = decodeTigerGraphClaims(token);
    // exp (unix seconds, UTC) is the truth; the `expiration` string is server-local time and the
    // lifetime unit is ambiguous. A JWT without exp should not happen: fall back to our clock
    // plus the lifetime we asked for, which may be off by the request time.
    // The JWT's lifetime as the server issued it (exp against iat, else the Date header), on our clock.
    const skew = clockSkewMs(claims?.iat !== undefined ? claims.iat * 1000 : res.serverDateMs, now);
    const expiresAt = claims?.exp !== undefined ? onOurClock(claims.exp * 1000, skew) : new Date(now + seconds * 1000);
    const issuedAt = claims?.iat !== undefined ? onOurClock(claims.iat * 1000, skew) : new Date(now);
    const claimsSpan = claims?.exp !== undefined && claims.iat !== undefined ? claims.exp - claims.iat : undefined;
    return { issued: { token, expiresAt, issuedAt }, claimsSpan };
  }

  // ---- shared -------------------------------------------------------------------------------

  /** GSQL Basic auth: username/password, or a secret as user `__GSQL__secret`. */
  private gsqlAuthorization(): string {
    return 'secret' in this.credentials
      ? basic(GSQL_SECRET_USER, this.credentials.secret)
      : basic(this.credentials.username, this.credentials.password);
  }

  /** The tokens in play, the secret or password, and the Basic value GSQL is sent (`__GSQL__secret` for a secret). */
  private sensitive(extra: string[]): string[] {
    const c = this.credentials;
    return [...extra, ...('secret' in c ? [c.secret, basicValue(GSQL_SECRET_USER, c.secret)] : [c.password, basicValue(c.username, c.password)])];
  }

  private failure(res: HttpResult, op: TigerGraphOp, method: string, url: string, tokens: string[]): FailureContext {
    return { op, method, url, status: res.status, body: res.body, text: res.text, contentType: res.contentType, sensitive: this.sensitive(tokens) };
  }

  /** Returns the JSON object of a successful answer; throws the mapped error otherwise. */
  private ensureOk(res: HttpResult, op: TigerGraphOp, method: string, url: string, tokens: string[]): Record<string, unknown> {
    const body = asRecord(res.body);
    const ok = res.status >= 200 && res.status < 300 && !isErrorFlag(body?.error);
    if (ok) {
      if (!body && op !== 'echo' && op !== 'delete') throw this.malformed(op, method, url, res.status);
      return body ?? {};
    }
    throw failureToError(this.failure(res, op, method, url, tokens));
  }

  /**
   * ensureOk for a refresh or delete of `token`, where a refusal is ambiguous: "token gone" and
   * "credential refused" are told apart by REST++ accepting the token or not. A transport fault
   * or 5xx of that proof propagates: nothing is proven, so the caller keeps the token and retries.
   */
  private async ensureTokenOpOk(res: HttpResult, op: 'refresh' | 'delete', method: string, url: string, token: string): Promise<Record<string, unknown>> {
    try {
      return this.ensureOk(res, op, method, url, [token]);
    } catch (e) {
      const ctx = this.failure(res, op, method, url, [token]);
      if (op === 'delete' && isBlockListFull(ctx)) throw blockListFullError(ctx);
      if (!(e instanceof TokenNotFoundError) && !(e instanceof BadCredentialError)) throw e;
      throw (await this.checkToken(token)) ? credentialRefusedTokenWorks(ctx) : tokenGoneConfirmed(ctx);
    }
  }

  private malformed(op: TigerGraphOp, method: string, url: string, status: number): TransportError {
    return new TransportError(
      `TigerGraph answered ${method} ${url} (${op}) with HTTP ${status} but without the expected fields: ` +
        'check that the host and port reach TigerGraph REST++/GSQL and that tigergraphVersion matches the server',
      'malformed',
    );
  }
}
