/**
 * Low-level client of the Trifacta / Alteryx Designer Cloud v4 API access token endpoints
 * (docs/protocols/trifacta-token-api.md): one method per wire operation.
 *   create  POST   /v4/apiAccessTokens            Basic auth, sent once (creating is not idempotent)
 *   list    GET    /v4/apiAccessTokens            Basic auth, every page followed (paging.ts)
 *   delete  DELETE /v4/apiAccessTokens/<tokenId>  Basic auth (whether a token may delete itself is UNCONFIRMED)
 *   verify  GET    /v4/apiAccessTokens[/<id>]     Bearer <token>
 * Every failure becomes a typed error from core/errors.ts; nothing here logs.
 */
import { currentClock, type Clock } from '../../clock.js';
import { ConfigError, HttpError, TransportError } from '../../errors.js';
import { asRecord, nonEmptyString } from '../../http/failures.js';
import { basicAuthorization, basicCredential, httpSettings, HttpTransport, type HttpMethod, type HttpResult } from '../../http/transport.js';
import { providerHost } from '../provider.js';
import { describeFailure, failureToError, isDataNotFound, isRouteMissing, serverFailure } from './failures.js';
import { TRIFACTA_API_PATH } from './edge.js';
import { clockSkewMs, onOurClock } from '../server-time.js';
import { readTokenInfo, readTokenPage } from './paging.js';
import type { TrifactaClientOptions, TrifactaConfig, TrifactaCredentials, TrifactaOp, TrifactaTokenInfo } from './types.js';

/** What a create answered. The value is never parsed: its base64-JSON form is only an example. */
export interface CreatedToken {
  tokenValue: string;
  tokenId: string;
  /** null: never expires; undefined: the answer did not say. */
  expiresAt: Date | null | undefined;
  createdAt: Date | undefined;
}

/** A list longer than this many pages is taken as a paging loop, not as a real list. */
const MAX_PAGES = 1000;

interface Send {
  op: TrifactaOp;
  method: HttpMethod;
  url: string;
  json?: unknown;
  retry?: 'safe' | 'never';
  /** Basic (the credential secret) unless a token is given, then `Bearer <token>`. */
  bearer?: string;
}

export class TrifactaClient {
  private readonly http: HttpTransport;
  private readonly origin: string;

  constructor(
    config: TrifactaConfig,
    private readonly credentials: TrifactaCredentials,
    private readonly options: TrifactaClientOptions = {},
  ) {
    this.origin = parseTrifactaHost(config).origin;
    this.http = new HttpTransport(httpSettings('Trifacta', options, config.caCertificate));
  }

  get clock(): Clock {
    return this.options.clock ?? currentClock();
  }

  /** `<origin>/v4/apiAccessTokens`. */
  get tokensUrl(): string {
    return `${this.origin}${TRIFACTA_API_PATH}/apiAccessTokens`;
  }

  tokenUrl(tokenId: string): string {
    return `${this.tokensUrl}/${encodeURIComponent(tokenId)}`;
  }

  /**
   * Mints a token. Sent exactly once: a lost answer (timeout, reset, 5xx, malformed body) rejects
   * with that TransportError or HttpError, and the token may exist: the caller cleans up by
   * description.
   */
  async createToken(lifetimeSeconds: number, description: string): Promise<CreatedToken> {
    const url = this.tokensUrl;
    const res = await this.send({ op: 'create', method: 'POST', url, json: { lifetimeSeconds, description }, retry: 'never' });
    const body = this.ensureOk(res, 'create', 'POST', url, 'basic');
    const info = asRecord(body.tokenInfo) ?? body;
    const tokenValue = nonEmptyString(body.tokenValue);
    const tokenId = readTokenInfo(info)?.tokenId;
    const expiresAt = instant(info.expiredAt);
    const createdAt = instant(info.createdAt);
    if (!tokenValue || !tokenId || expiresAt === 'invalid') {
      throw this.malformed('create', 'POST', url, res.status, 'expected {"tokenValue", "tokenInfo": {"tokenId", "expiredAt", ...}}');
    }
    // expiredAt and createdAt are instants on the server's clock: moved onto ours by its skew
    // (createdAt, else the answer's Date header), so the lifetime is the one the server issued.
    const now = this.clock.now();
    const skew = clockSkewMs(createdAt instanceof Date ? createdAt.getTime() : res.serverDateMs, now);
    return {
      tokenValue,
      tokenId,
      expiresAt: expiresAt instanceof Date ? onOurClock(expiresAt.getTime(), skew) : expiresAt,
      createdAt: createdAt instanceof Date ? onOurClock(createdAt.getTime(), skew) : undefined,
    };
  }

  /** Every token of the credential's user, across all pages, without values. */
  async listTokens(): Promise<TrifactaTokenInfo[]> {
    const first = this.tokensUrl;
    const seen = new Map<string, TrifactaTokenInfo>();
    const visited = new Set<string>();
    let url = first;
    let offset = 0;
    let total: number | undefined;
    let linked = false;
    let probing = false;
    const done = (at: string): TrifactaTokenInfo[] => {
      if (total !== undefined && seen.size < total) {
        throw this.malformed('list', 'GET', at, 200, `the list says it holds ${total} tokens but only ${seen.size} could be read page by page`);
      }
      return [...seen.values()];
    };
    for (let pageNo = 1; ; pageNo++) {
      if (pageNo > MAX_PAGES) throw this.malformed('list', 'GET', url, 200, `the list did not end within ${MAX_PAGES} pages`);
      visited.add(url);
      const res = await this.send({ op: 'list', method: 'GET', url });
      // A server that refuses `offset` does not page that way: what it sent is the whole list.
      if (probing && res.status === 400) return done(url);
      const body = this.ensureOk(res, 'list', 'GET', url, 'basic');
      const page = readTokenPage(body);
      if ('problem' in page) throw this.malformed('list', 'GET', url, res.status, page.problem);
      let fresh = 0;
      for (const item of page.items) {
        if (seen.has(item.tokenId)) continue;
        seen.set(item.tokenId, item);
        fresh++;
      }
      total = page.total ?? total;
      if (page.next !== undefined) {
        linked = true;
        const next = this.followLink(page.next, url);
        if (visited.has(next)) throw this.malformed('list', 'GET', url, res.status, 'its next-page link points back at a page already read');
        url = next;
        probing = false;
        continue;
      }
      // A linked list ends where the links end; otherwise the answer's own total or flag decides.
      if (linked || page.hasMore === false) return done(url);
      if (total !== undefined && seen.size >= total) return done(url);
      // No signal at all: ask for the next offset until a page is empty or repeats (offset ignored).
      if (page.items.length === 0 || fresh === 0) return done(url);
      offset += page.items.length;
      url = `${first}?offset=${offset}`;
      probing = true;
    }
  }

  /**
   * Deletes a token by id with the credential secret. 'not-found' only when the server proves the
   * id unknown: a DataNotFoundException, or any other 404 (its body is UNCONFIRMED) after a list
   * with the same credential shows the id is not there. A "route doesn't exist" 404 throws.
   */
  async deleteToken(tokenId: string): Promise<'deleted' | 'not-found'> {
    const url = this.tokenUrl(tokenId);
    const res = await this.send({ op: 'delete', method: 'DELETE', url });
    if (res.status >= 200 && res.status < 300) return 'deleted';
    if (res.status === 404) {
      const failure = serverFailure(res, this.sensitive([]));
      if (isDataNotFound(404, failure)) return 'not-found';
      if (!isRouteMissing(404, failure)) {
        const listed = (await this.listTokens()).some((t) => t.tokenId === tokenId);
        if (!listed) return 'not-found';
        throw new HttpError(
          `Trifacta answered DELETE ${url} (delete) with ${describeFailure(404, failure)} but still lists token ${tokenId}; ` +
            'check the host (a proxy in front of the workspace?) and retry later',
          404,
          failure.name,
          failure.message || undefined,
        );
      }
    }
    throw failureToError({ op: 'delete', method: 'DELETE', url, status: res.status, body: res.body, text: res.text, contentType: res.contentType, auth: 'basic', sensitive: this.sensitive([]) });
  }

  /**
   * An authenticated GET with `Authorization: Bearer <token>`: true on 200, false when refused
   * (401 or 403: which one is UNCONFIRMED); throws on anything else.
   */
  async checkToken(token: string, tokenId?: string): Promise<boolean> {
    const url = tokenId ? this.tokenUrl(tokenId) : this.tokensUrl;
    const res = await this.send({ op: 'verify', method: 'GET', url, bearer: token });
    if (res.status === 401 || res.status === 403) return false;
    if (res.status >= 200 && res.status < 300) return true;
    const failure = serverFailure(res, this.sensitive([token]));
    if (res.status === 404 && tokenId && !isRouteMissing(404, failure)) {
      throw new HttpError(
        `Trifacta answered GET ${url} (verify) with ${describeFailure(404, failure)}: the token was accepted but its tokenId ` +
          `${tokenId} is unknown, so the tokenId in the token secret does not belong to this token (edited by hand?); a rotation replaces both`,
        404,
        failure.name,
        failure.message || undefined,
      );
    }
    throw failureToError({ op: 'verify', method: 'GET', url, status: res.status, body: res.body, text: res.text, contentType: res.contentType, auth: 'bearer', sensitive: this.sensitive([token]) });
  }

  private send(call: Send): Promise<HttpResult> {
    const authorization = call.bearer !== undefined ? `Bearer ${call.bearer}` : basicAuthorization(this.credentials.username, this.credentials.password);
    return this.http.send({
      op: call.op,
      method: call.method,
      url: call.url,
      headers: { authorization },
      ...(call.json !== undefined ? { json: call.json } : {}),
      ...(call.retry ? { retry: call.retry } : {}),
    });
  }

  /**
   * The next page's URL on our own origin: the credential is never sent elsewhere. A link to our
   * host under another scheme (a TLS-terminating proxy writing http:// links) is read on ours.
   */
  private followLink(link: string, current: string): string {
    const resolved = new URL(link, current);
    const own = new URL(this.origin);
    if (resolved.hostname.toLowerCase() !== own.hostname.toLowerCase()) {
      throw new ConfigError(
        `Trifacta's token list at ${current} points its next page at ${resolved.origin}, another host than ${own.origin}; ` +
          'the credential is never sent there: check the host in the token secret and any proxy rewriting links',
      );
    }
    return `${this.origin}${resolved.pathname}${resolved.search}`;
  }

  /** The password, the Basic value and any token in play: never in a message. */
  private sensitive(extra: readonly string[]): string[] {
    const { username, password } = this.credentials;
    return [...extra.filter(Boolean), password, basicCredential(username, password)];
  }

  /** The JSON object of a 2xx answer ({} for an empty 204); throws the mapped error otherwise. */
  private ensureOk(res: HttpResult, op: TrifactaOp, method: string, url: string, auth: 'basic' | 'bearer'): Record<string, unknown> {
    if (res.status >= 200 && res.status < 300) {
      const body = asRecord(res.body);
      if (body) return body;
      if (res.body === undefined && op === 'delete') return {};
      throw this.malformed(op, method, url, res.status, 'expected a JSON object');
    }
    throw failureToError({ op, method, url, status: res.status, body: res.body, text: res.text, contentType: res.contentType, auth, sensitive: this.sensitive([]) });
  }

  /** No server text in this message, so nothing to sanitize. */
  private malformed(op: TrifactaOp, method: string, url: string, status: number, problem: string): TransportError {
    return new TransportError(
      `Trifacta answered ${method} ${url} (${op}) with HTTP ${status} but not the expected answer (${problem}): ` +
        'check that the host reaches a Trifacta / Designer Cloud workspace and not another service or proxy',
      'malformed',
    );
  }
}

/** Parses and checks `host` (providerHost: http(s) only, plain http only with `allowInsecureHttp: true`). */
export function parseTrifactaHost(config: Pick<TrifactaConfig, 'host' | 'allowInsecureHttp'>): URL {
  return providerHost('trifacta', config, 'the password and the tokens');
}

/** An ISO instant: Date; null stays null (never expires); absent: undefined; anything else: 'invalid'. */
function instant(v: unknown): Date | null | undefined | 'invalid' {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) return 'invalid';
  return new Date(v);
}
