/**
 * tokenFetch: a fetch bound to one token secret. `path` is resolved under the provider's base URL
 * (TokenInfo.baseUrl), `Authorization: Bearer <token>` is set (and for ICA the Accept header the
 * API wants, unless the caller set one), and a refused token is re-read once and the request sent
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
 */
import { ICA_ACCEPT } from '../core/providers/ica/types.js';
import { withToken } from './call.js';
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

/** `path` under `baseUrl`; an absolute URL only when it is under `baseUrl` already. */
export function resolveUnder(baseUrl: string, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//')) {
    if (path === baseUrl || path.startsWith(`${baseUrl}/`) || path.startsWith(`${baseUrl}?`)) return path;
    throw new TypeError(`tokenFetch: ${safeUrl(path)} is not under ${baseUrl}; pass a path such as /echo (the token is only sent to the secret's host)`);
  }
  if (path === '') return baseUrl;
  return path.startsWith('/') || path.startsWith('?') ? baseUrl + path : `${baseUrl}/${path}`;
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
  if (info.provider === 'ica' && !headers.has('accept')) headers.set('accept', ICA_ACCEPT);
  return { ...init, headers };
}

export function tokenFetch(source: TokenSource, options: TokenFetchOptions = {}): TokenFetch {
  return async (path, init) => {
    if (typeof path !== 'string') throw new TypeError('tokenFetch: path must be a string such as /echo');
    assertReplayableBody(init?.body);
    const doFetch: FetchLike = options.fetch ?? ((input, i) => globalThis.fetch(input, i));
    return withToken(source, (info) => doFetch(resolveUnder(info.baseUrl, path), authorized(init, info)), {
      isRefusal: (response, info) => isAuthRefusal(response, info.provider),
      ...(options.rereadDelayMs ? { rereadDelayMs: options.rereadDelayMs } : {}),
    });
  };
}
