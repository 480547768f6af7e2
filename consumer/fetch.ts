/**
 * tokenFetch: a fetch bound to one token secret. `path` is resolved under the provider's base URL
 * (TokenInfo.baseUrl), `Authorization: Bearer <token>` is set (and the headers the provider's edge
 * names, unless the caller set them: ICA's Accept), and a refused token is re-read once and the request sent
 * once more (withToken). A second refusal throws TokenRefusedError.
 *
 *   const tg = tokenFetch(source);
 *   const res = await tg('/echo');                       // GET {REST++ base}/echo
 *   await tg('/query/g/q', { method: 'POST', body: JSON.stringify(params) });
 *
 * Bodies must be sendable twice: string, URLSearchParams, Blob, FormData, ArrayBuffer or a typed
 * array / Buffer. A stream (ReadableStream, Node Readable, async iterable) is refused up front with
 * a TypeError: after a refusal it could not be sent again. Absolute URLs are accepted only under
 * the base URL, so the token is never sent to another host.
 *
 * Redirects: fetch would follow them with the Authorization header, and only recent undici
 * versions drop it when the origin changes. tokenFetch sends every request with
 * `redirect: 'manual'` and follows a redirect itself only while the target stays under the base
 * URL (same scheme, host and port, and under its path), up to MAX_REDIRECTS, re-sending the token
 * there; a redirect anywhere else throws RedirectRefusedError without following it. A caller's own
 * `redirect: 'manual'` or `'error'` is passed through as it is (neither follows).
 */
import { edgeOf } from './base-url.js';
import { withToken } from './call.js';
import { RedirectRefusedError } from './errors.js';
import { isAuthRefusal } from './refusal.js';
import type { TokenInfo, TokenSource } from './types.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;
export type TokenFetch = (path: string, init?: RequestInit) => Promise<Response>;

export interface TokenFetchOptions {
  /** Default globalThis.fetch (read at each call, so a test may replace it). */
  fetch?: FetchLike;
  /** Wait before the one re-read after a refusal (WithTokenOptions.rereadDelayMs). Default 0. */
  rereadDelayMs?: number;
}

/** Throws a TypeError for a body that could not be sent a second time. */
export function assertReplayableBody(body: unknown): void {
  if (body === undefined || body === null) return;
  if (typeof body === 'string' || body instanceof URLSearchParams || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return;
  if (typeof Blob !== 'undefined' && body instanceof Blob) return;
  if (typeof FormData !== 'undefined' && body instanceof FormData) return;
  const streamLike =
    typeof (body as ReadableStream).getReader === 'function' ||
    typeof (body as { pipe?: unknown }).pipe === 'function' ||
    Symbol.asyncIterator in (body as object);
  throw new TypeError(
    `tokenFetch: ${streamLike ? 'a stream' : 'this'} body cannot be sent again after the token is refused and re-read; ` +
      'pass a string, Buffer, Uint8Array, ArrayBuffer, Blob, URLSearchParams or FormData (or use withToken and build the body per attempt)',
  );
}

/** Most redirects followed for one request (fetch follows 20; a token API needs one or two). */
export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Headers that describe a body, dropped with it when a redirect turns the request into a GET (fetch spec). */
const BODY_HEADERS = ['content-encoding', 'content-language', 'content-location', 'content-type'];

/**
 * Whether `url` is one the token may go to: the same origin as `baseUrl` (scheme, host, port)
 * and its path, or below it. Parsed, so dot segments, default ports and letter case cannot
 * disguise another place.
 */
export function isUnderBase(url: URL, baseUrl: string): boolean {
  const base = new URL(baseUrl);
  if (url.origin !== base.origin || url.username !== '' || url.password !== '') return false;
  const basePath = base.pathname.replace(/\/+$/, '');
  return basePath === '' || url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
}

/** `path` under `baseUrl`; an absolute URL only when it is under `baseUrl` already. */
export function resolveUnder(baseUrl: string, path: string): string {
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//');
  const resolved = absolute ? path : path === '' ? baseUrl : path.startsWith('/') || path.startsWith('?') ? baseUrl + path : `${baseUrl}/${path}`;
  let url: URL | undefined;
  try {
    url = new URL(resolved, baseUrl);
  } catch {
    url = undefined;
  }
  if (!url || !isUnderBase(url, baseUrl)) {
    throw new TypeError(`tokenFetch: ${safeUrl(resolved)} is not under ${baseUrl}; pass a path such as /echo (the token is only sent to the secret's host)`);
  }
  // A scheme-relative URL is completed (fetch takes absolute URLs only); any other is sent as given.
  return resolved.startsWith('//') ? url.href : resolved;
}

/** A URL for a message: origin and path only (a query string may carry anything). */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.origin + u.pathname;
  } catch {
    return 'the URL given';
  }
}

function authorized(init: RequestInit | undefined, info: TokenInfo): RequestInit {
  const headers = new Headers(init?.headers);
  headers.set('authorization', `Bearer ${info.token}`);
  for (const [name, value] of Object.entries(edgeOf(info.provider).headers ?? {})) if (!headers.has(name)) headers.set(name, value);
  return { ...init, headers };
}

/** The request a redirect leads to: 303 (and 301/302 after a POST) become a GET without the body, as fetch does. */
function redirectedInit(init: RequestInit, status: number): RequestInit {
  const method = (init.method ?? 'GET').toUpperCase();
  if (!((status === 303 && method !== 'GET' && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST'))) return init;
  const headers = new Headers(init.headers);
  for (const name of BODY_HEADERS) headers.delete(name);
  return { ...init, method: 'GET', body: null, headers };
}

/** Sends `init` to `url`, following redirects only while they stay under the base URL (see the module comment). */
async function sendKeepingTokenHome(doFetch: FetchLike, url: string, init: RequestInit, info: TokenInfo): Promise<Response> {
  if (init.redirect === 'manual' || init.redirect === 'error') return doFetch(url, init);
  let request: RequestInit = { ...init, redirect: 'manual' };
  let current = url;
  for (let followed = 0; ; followed++) {
    const response = await doFetch(current, request);
    const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get('location') : null;
    // A 3xx without Location is the answer itself (fetch returns it too).
    if (location === null) return response;
    const target = parseLocation(location, current);
    release(response);
    const refuse = (reason: 'elsewhere' | 'too-many') =>
      new RedirectRefusedError({ secretId: info.secretId, baseUrl: info.baseUrl, status: response.status, location: target ? safeUrl(target.href) : 'an unparsable Location', reason });
    if (!target || !isUnderBase(target, info.baseUrl)) throw refuse('elsewhere');
    if (followed >= MAX_REDIRECTS) throw refuse('too-many');
    request = redirectedInit(request, response.status);
    current = target.href;
  }
}

function parseLocation(location: string, from: string): URL | undefined {
  try {
    return new URL(location, from);
  } catch {
    return undefined;
  }
}

/** A redirect answer is not returned: its body is dropped so the connection can be reused. */
function release(response: Response): void {
  if (!response.bodyUsed) response.body?.cancel().catch(() => undefined);
}

export function tokenFetch(source: TokenSource, options: TokenFetchOptions = {}): TokenFetch {
  return async (path, init) => {
    if (typeof path !== 'string') throw new TypeError('tokenFetch: path must be a string such as /echo');
    assertReplayableBody(init?.body);
    const doFetch: FetchLike = options.fetch ?? ((input, i) => globalThis.fetch(input, i));
    return withToken(source, (info) => sendKeepingTokenHome(doFetch, resolveUnder(info.baseUrl, path), authorized(init, info), info), {
      isRefusal: (response, info) => isAuthRefusal(response, info.provider),
      ...(options.rereadDelayMs ? { rereadDelayMs: options.rereadDelayMs } : {}),
    });
  };
}
