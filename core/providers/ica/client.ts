/**
 * Low-level ICA v2 token client: one method per wire operation (docs/protocols/ica-token-api.md).
 *   create   POST /ica/rest/api/tokens[?tenant=]   X-API-Key or Basic     -> {"token": JWT}
 *   refresh  POST /ica/rest/api/tokens:refresh     Bearer (Basic JWTs)    -> {"token": new JWT}
 *   check    GET  /ica/rest/api/regions            Bearer                 -> 200 / 401
 * Every call sends ICA_ACCEPT. Every failure becomes a typed error from core/errors.ts; nothing
 * here logs.
 *
 * Retries: every call may be repeated on a transport fault or 5xx, the create too. ICA has no
 * revoke, so a second mint costs nothing but a second JWT that expires on its own at its `exp`.
 * The same holds for a lost answer ("minted, then the connection dropped"): the JWT never reached
 * us, nobody holds it, and there is nothing we could clean up; it lapses after the tenant's JWT
 * lifetime (hours). Sending the create only once would not avoid that orphan, only fail more often.
 */
import { currentClock, type Clock } from '../../clock.js';
import { RefreshUnsupportedError, TokenNotFoundError, TransportError, ValidationError } from '../../errors.js';
import { asRecord, nonEmptyString } from '../../http/failures.js';
import { basicAuthorization, basicCredential, httpSettings, HttpTransport, type HttpResult } from '../../http/transport.js';
import { providerHost, type IssuedToken } from '../provider.js';
import { clockSkewMs, onOurClock } from '../server-time.js';
import { failureToError } from './failures.js';
import { decodeIcaClaims } from './jwt.js';
import { ICA_ACCEPT, ICA_BASE_PATH } from './edge.js';
import { DEFAULT_ICA_HOST, modeOf, type IcaClientOptions, type IcaConfig, type IcaCredentials, type IcaMode, type IcaOp } from './types.js';

export const NO_EXP_MESSAGE = "ica: token secret: lifetimeSeconds: the JWT carries no exp claim; set lifetimeSeconds to the tenant's JWT lifetime";

export class IcaClient {
  private readonly http: HttpTransport;
  /** e.g. https://ica.illumina.com/ica/rest */
  readonly base: string;
  readonly mode: IcaMode;

  constructor(
    private readonly config: IcaConfig,
    private readonly credentials: IcaCredentials,
    private readonly options: IcaClientOptions = {},
  ) {
    this.base = icaBase(config);
    this.mode = modeOf(credentials);
    this.http = new HttpTransport(httpSettings('ICA', options, config.caCertificate));
  }

  private get clock(): Clock {
    return this.options.clock ?? currentClock();
  }

  /**
   * Mints a JWT. `lifetimeSeconds` (the token secret's) is used only when the JWT has no `exp`:
   * ICA takes no lifetime, the tenant administrator sets it.
   */
  async createToken(lifetimeSeconds?: number): Promise<IssuedToken> {
    const url = `${this.base}/api/tokens`;
    const headers: Record<string, string> = { accept: ICA_ACCEPT };
    let query = '';
    if ('apiKey' in this.credentials) {
      headers['x-api-key'] = this.credentials.apiKey;
    } else {
      headers.authorization = basicAuthorization(this.credentials.username, this.credentials.password);
      // `tenant` is documented for Basic auth only: an API key already belongs to one user in one
      // tenant, and an undocumented parameter beside it could be refused or, worse, silently ignored.
      if (this.config.tenant !== undefined) query = `?tenant=${encodeURIComponent(this.config.tenant)}`;
    }
    const res = await this.http.send({ op: 'create', method: 'POST', url: url + query, headers });
    return this.issued(res, 'create', url, [], lifetimeSeconds);
  }

  /**
   * Trades a live Basic-auth JWT for a new one with a later `exp` (the old one is not relied on
   * afterwards: whether ICA keeps it valid is UNCONFIRMED). API-key mode throws
   * RefreshUnsupportedError and an expired JWT TokenNotFoundError, both without a call.
   */
  async refreshToken(token: string, held: { expiresAt?: Date | null } = {}, lifetimeSeconds?: number): Promise<IssuedToken> {
    if (this.mode === 'api-key') {
      throw new RefreshUnsupportedError(
        'ICA cannot refresh a JWT minted with an API key: mint a new JWT instead (refresh needs username/password credentials)',
      );
    }
    const exp = decodeIcaClaims(token)?.exp;
    // The stored expiry is on our clock (server-time.ts); the JWT's exp is on the tenant's.
    const expiresAtMs = held.expiresAt?.getTime() ?? (exp !== undefined ? exp * 1000 : undefined);
    if (expiresAtMs !== undefined && expiresAtMs <= this.clock.now()) {
      throw new TokenNotFoundError(
        `The ICA JWT expired at ${new Date(expiresAtMs).toISOString()}: an expired JWT cannot be refreshed; mint a new JWT instead`,
      );
    }
    const url = `${this.base}/api/tokens:refresh`;
    const res = await this.http.send({ op: 'refresh', method: 'POST', url, headers: { accept: ICA_ACCEPT, authorization: `Bearer ${token}` } });
    return this.issued(res, 'refresh', url, [token], lifetimeSeconds);
  }

  /** Proves the JWT works with an authenticated GET. False on 401; throws on transport faults and other statuses. */
  async checkToken(token: string): Promise<boolean> {
    const url = `${this.base}/api/regions`;
    const res = await this.http.send({ op: 'check', method: 'GET', url, headers: { accept: ICA_ACCEPT, authorization: `Bearer ${token}` } });
    if (res.status === 401) return false;
    this.ensureOk(res, 'check', 'GET', url, [token]);
    return true;
  }

  private issued(res: HttpResult, op: 'create' | 'refresh', url: string, tokens: string[], lifetimeSeconds: number | undefined): IssuedToken {
    const body = this.ensureOk(res, op, 'POST', url, tokens);
    // The Token model is `{"token": ...}`; extra fields may appear and are ignored.
    const token = nonEmptyString(body.token);
    if (!token) {
      throw new TransportError(
        `ICA answered POST ${url} (${op}) with HTTP ${res.status} but without a token: check that the host reaches ICA and not another service or proxy`,
        'malformed',
      );
    }
    const now = this.clock.now();
    const claims = decodeIcaClaims(token);
    // The JWT's lifetime as the server issued it (exp against iat, else the Date header), on our
    // clock (core/providers/server-time.ts): a tenant's clock minutes off ours does not move it.
    const skew = clockSkewMs(claims?.iat !== undefined ? claims.iat * 1000 : res.serverDateMs, now);
    // The answer has no expiry field: `exp` is the truth. Without it, the tenant's JWT lifetime
    // must be configured; guessing one would make the product refresh too late or too often.
    let expiresAt: Date;
    if (claims?.exp !== undefined) expiresAt = onOurClock(claims.exp * 1000, skew);
    else if (lifetimeSeconds !== undefined) expiresAt = new Date(now + lifetimeSeconds * 1000);
    else throw new ValidationError(NO_EXP_MESSAGE, 'lifetimeSeconds');
    const issuedAt = claims?.iat !== undefined ? onOurClock(claims.iat * 1000, skew) : new Date(now);
    return { token, expiresAt, issuedAt };
  }

  private sensitive(tokens: string[]): string[] {
    const c = this.credentials;
    return [...tokens, ...('apiKey' in c ? [c.apiKey] : [c.password, basicCredential(c.username, c.password)])];
  }

  /** The JSON object of a 2xx answer; throws the mapped error otherwise. */
  private ensureOk(res: HttpResult, op: IcaOp, method: string, url: string, tokens: string[]): Record<string, unknown> {
    if (res.status >= 200 && res.status < 300) {
      const body = asRecord(res.body);
      if (body) return body;
      if (op === 'check') return {};
      throw new TransportError(
        `ICA answered ${method} ${url} (${op}) with HTTP ${res.status} and a body that is not a JSON object: check that the host reaches ICA`,
        'malformed',
      );
    }
    throw failureToError({
      op,
      method,
      url,
      status: res.status,
      body: res.body,
      text: res.text,
      contentType: res.contentType,
      sensitive: this.sensitive(tokens),
      mode: this.mode,
      tenant: this.config.tenant,
    });
  }
}

/** The REST base for a host (providerHost: http(s) only, plain http only with `allowInsecureHttp: true`). */
export function icaBase(config: Pick<IcaConfig, 'host' | 'allowInsecureHttp'>): string {
  const url = providerHost('ica', { host: config.host ?? DEFAULT_ICA_HOST, allowInsecureHttp: config.allowInsecureHttp }, 'the API key or password and the JWTs');
  return `${url.origin}${ICA_BASE_PATH}`;
}
