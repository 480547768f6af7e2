/**
 * Origins: where a credential or a token may be sent. An origin here is a scheme, a host, an
 * explicit port and an optional path prefix (`https://tg.example.com:14240/restpp`), written in
 * one normal form so that two spellings of the same place compare equal (`https://H:443/` and
 * `https://h` are the same origin). The deployment binds each credential to the origins of its
 * connections (core/providers/binding.ts); the transport refuses any URL outside them.
 *
 * A path prefix matches whole segments: `/restpp` covers `/restpp/echo`, not `/restppx`.
 *
 * Pure and without imports: the consumer library uses checkedHost too.
 */

/** The normal form of an origin: `scheme://host:port` plus a path prefix without a trailing slash. */
export type Origin = string;

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'https:': 443, 'http:': 80 };

/** The parts of an origin, from a URL or an origin string; throws for anything but http(s). */
function partsOf(value: string): { scheme: string; host: string; port: number; path: string } {
  const url = new URL(value);
  const defaultPort = DEFAULT_PORTS[url.protocol];
  if (defaultPort === undefined) throw new TypeError(`expected an http:// or https:// URL, got ${url.protocol}//`);
  // URL lower-cases the host, drops the default port and resolves dot segments.
  const path = url.pathname.replace(/\/+$/, '');
  return { scheme: url.protocol, host: url.hostname, port: url.port ? Number(url.port) : defaultPort, path };
}

/** `url`'s origin with its port always written, and its path as a prefix (no query or fragment). */
export function originOf(url: string): Origin {
  const { scheme, host, port, path } = partsOf(url);
  return `${scheme}//${host}:${port}${path}`;
}

/** The TCP port of an origin or URL (its scheme's default where none is written); throws for anything but http(s). */
export function originPort(origin: Origin): number {
  return partsOf(origin).port;
}

/** Whether `url` lies within `origin`: same scheme, host and port, and a path under its prefix. */
export function originCovers(origin: Origin, url: string): boolean {
  let bound: ReturnType<typeof partsOf>;
  let target: ReturnType<typeof partsOf>;
  try {
    bound = partsOf(origin);
    target = partsOf(url);
  } catch {
    return false;
  }
  if (bound.scheme !== target.scheme || bound.host !== target.host || bound.port !== target.port) return false;
  return bound.path === '' || target.path === bound.path || target.path.startsWith(`${bound.path}/`);
}

/** Whether any of `origins` covers `url`. */
export function withinOrigins(origins: readonly Origin[], url: string): boolean {
  return origins.some((origin) => originCovers(origin, url));
}

/** How a host is checked before anything is sent to it (checkedHost). */
export interface HostRules {
  /** Plain http:// is refused unless this is true (an explicitly local run, and a secret that asks for it). */
  allowInsecureHttp: boolean;
  /** What plain http would send in clear, for the message. Default "the credential and the tokens". */
  exposes?: string;
  /** What follows "use https://" in the message: how plain http could be allowed, or why it cannot. */
  insecureHint?: string;
  /** Refuse a path, query or user info: a token secret's host is scheme, host and port only. */
  originOnly?: boolean;
}

/** Why a host is refused: the message says what was expected and quotes no more than the host's origin. */
export class HostError extends Error {
  override readonly name = 'HostError';
}

const DEFAULT_INSECURE_HINT = ', or set "allowInsecureHttp": true for a local test server only';

/**
 * The one check of a host every edge makes (providers, token secret, deployment, consumer): a URL,
 * http(s) only, plain http only where allowed. Throws a HostError; callers name the field.
 */
export function checkedHost(host: string, rules: HostRules): URL {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new HostError('expected a URL with scheme and host, e.g. https://api.example.com');
  }
  if (DEFAULT_PORTS[url.protocol] === undefined) throw new HostError(`expected https:// (got ${url.protocol}//)`);
  if (url.protocol === 'http:' && !rules.allowInsecureHttp) {
    throw new HostError(
      `${url.origin} uses plain http://, which would send ${rules.exposes ?? 'the credential and the tokens'} unencrypted: ` +
        `use https://${rules.insecureHint ?? DEFAULT_INSECURE_HINT}`,
    );
  }
  if (rules.originOnly && ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password)) {
    throw new HostError('expected scheme, host and optional port only: no path, query or user info');
  }
  return url;
}
