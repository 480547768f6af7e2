/**
 * The fourth provider's client and TokenProvider (protocol.md): mint with the API key, revoke by the
 * id stored beside the token (`tokenId`), prove a token with `GET /api/whoami`. No refresh. Every
 * failure is a typed error that quotes neither the key nor a token.
 */
import type { Clock } from '../../core/clock.js';
import { BadCredentialError, HttpError, RefreshUnsupportedError, TransportError } from '../../core/errors.js';
import { HttpTransport, httpSettings, type HttpResult, type HttpTuning } from '../../core/http/transport.js';
import type { HeldToken, IssuedToken, IssueRequest, ProviderCapabilities, RevokeOutcome, TokenProvider } from '../../core/providers/provider.js';
import { FOURTH_API_PATH } from './edge.js';

export interface FourthConfig {
  /** The checked host's origin. */
  origin: string;
  realm: string;
  caCertificate?: string | undefined;
}

export interface FourthCredentials {
  apiKey: string;
}

const CAPABILITIES: ProviderCapabilities = { refresh: 'none', revoke: 'by-id', routineRevoke: 'always', tokensMayCollide: false };

export class FourthProvider implements TokenProvider {
  readonly name = 'fourth';
  private readonly http: HttpTransport;
  private readonly base: string;

  constructor(
    private readonly config: FourthConfig,
    private readonly credentials: FourthCredentials,
    private readonly clock: Clock,
    tuning: HttpTuning,
  ) {
    this.http = new HttpTransport(httpSettings('Fourth', tuning, config.caCertificate));
    this.base = config.origin + FOURTH_API_PATH;
  }

  async version(): Promise<string> {
    return 'v1';
  }

  async capabilities(): Promise<ProviderCapabilities> {
    return CAPABILITIES;
  }

  async issue(request: IssueRequest): Promise<IssuedToken> {
    const url = `${this.base}/tokens?realm=${encodeURIComponent(this.config.realm)}`;
    const label = `${request.purpose.secretName} ${request.purpose.versionId}`;
    // A mint is not idempotent: sent once, a lost answer fails the rotation step, which is retried.
    const res = await this.http.send({ op: 'mint', method: 'POST', url, headers: this.keyHeader(), json: { lifetimeSeconds: request.lifetimeSeconds, label }, retry: 'never' });
    const body = this.ok(res, 'mint', url) as { id?: unknown; token?: unknown; expiresAt?: unknown };
    if (typeof body.token !== 'string' || typeof body.id !== 'string' || typeof body.expiresAt !== 'string' || Number.isNaN(Date.parse(body.expiresAt))) {
      throw new TransportError(`Fourth answered POST ${url} without {"id", "token", "expiresAt"}`, 'malformed');
    }
    return { token: body.token, expiresAt: new Date(body.expiresAt), issuedAt: new Date(this.clock.now()), fields: { tokenId: body.id } };
  }

  refresh(): Promise<IssuedToken> {
    return Promise.reject(new RefreshUnsupportedError('the fourth API cannot refresh a token: rotate to a new one'));
  }

  async revoke(held: HeldToken): Promise<RevokeOutcome> {
    const id = held.fields.tokenId;
    if (typeof id !== 'string' || !id) throw new HttpError('fourth: the token secret has no tokenId beside its token, so it cannot be revoked by id', 400);
    const url = `${this.base}/tokens/${encodeURIComponent(id)}`;
    const res = await this.http.send({ op: 'revoke', method: 'DELETE', url, headers: this.keyHeader() });
    // 404 also answers an id never minted (protocol.md): gone only once the token is proven refused.
    if (res.status === 404) {
      if (await this.verify(held)) throw new HttpError(`Fourth answered DELETE ${url} with 404, yet the token still works: check the tokenId in the token secret`, 404);
      return 'already-gone';
    }
    this.ok(res, 'revoke', url);
    return 'revoked';
  }

  async verify(held: HeldToken): Promise<boolean> {
    const url = `${this.base}/whoami`;
    const res = await this.http.send({ op: 'whoami', method: 'GET', url, headers: { authorization: `Bearer ${held.token}` } });
    if (res.status === 401) return false;
    this.ok(res, 'whoami', url);
    return true;
  }

  private keyHeader(): Record<string, string> {
    return { 'x-api-key': this.credentials.apiKey };
  }

  /** The JSON body of a 2xx answer ({} when empty); a typed error naming the call otherwise, never quoting the body. */
  private ok(res: HttpResult, op: string, url: string): unknown {
    if (res.status >= 200 && res.status < 300) return res.body ?? {};
    if (res.status === 401) throw new BadCredentialError(`Fourth refused the API key on ${op} (${url}): check the credential secret`);
    throw new HttpError(`Fourth answered ${op} (${url}) with HTTP ${res.status}`, res.status);
  }
}
