/**
 * The HTTP scaffold every fake repeats: listen on 127.0.0.1 (port 0: any free port) over HTTP, or
 * HTTPS where a fake offers `tls`; swallow client socket errors; injected latency on timers that
 * close() clears; close() ending every connection; a request body read up to 1 MB; JSON and text
 * answers; the Basic and Bearer parts of an Authorization header; the latency-then-fault step
 * before a request is processed; request counts per operation; the controls every fake has.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** Request bodies are read up to this many bytes (1 MB). */
export const MAX_BODY = 1024 * 1024;

export interface FakeListenOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Serve HTTPS with this PEM key and certificate (only fakes whose options offer it pass one). */
  tls?: { key: string; cert: string };
}

/** What a request handler may ask of the server it runs in. */
export interface FakeHttp {
  /** True once close() was called. */
  readonly closed: boolean;
  /** Waits `ms` (injected latency). close() clears the timer: the wait then never ends. */
  delay(ms: number): Promise<void>;
}

export interface FakeServer extends FakeHttp {
  /** e.g. "http://127.0.0.1:43123" (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Clears pending delays, stops listening and ends every connection; later calls do nothing. */
  close(): Promise<void>;
}

/**
 * Starts a server on `handle`. A handler that throws gets `crashed(res)` instead, unless it has
 * answered already or the connection is gone.
 */
export async function startFakeServer(
  options: FakeListenOptions,
  handle: (req: IncomingMessage, res: ServerResponse, http: FakeHttp) => Promise<void>,
  crashed: (res: ServerResponse) => void,
): Promise<FakeServer> {
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const http: FakeHttp = {
    get closed() {
      return closed;
    },
    delay: (ms) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, ms);
        timers.add(t);
      }),
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, http).catch(() => {
      if (!res.headersSent && !res.destroyed) crashed(res);
    });
  };
  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener)
    : createHttpServer(listener);
  // Client timeouts and dropped connections produce socket errors that are expected here.
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `${options.tls ? 'https' : 'http'}://${hostForUrl}:${address.port}`,
    port: address.port,
    get closed() {
      return closed;
    },
    delay: http.delay,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The request body as text: its first MAX_BODY bytes (the rest is cut); '' on a request error. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
    req.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain'): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Parses a JSON object body, whatever the Content-Type. undefined = empty; null = not a JSON object. */
export function jsonBody(text: string): Record<string, unknown> | undefined | null {
  if (!text.trim()) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** username/password from a Basic Authorization header value; undefined when it is not one. */
export function basicCredentials(authorization: string | undefined): { user: string; password: string } | undefined {
  if (!authorization || !/^basic /i.test(authorization)) return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? undefined : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/** The token of a Bearer Authorization header value (possibly ''); undefined when it is not one. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization || !/^bearer /i.test(authorization)) return undefined;
  return authorization.slice(7).trim();
}

/** One request as a fake's routes see it. */
export interface FakeExchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path without query string or trailing slash. */
  path: string;
  query: URLSearchParams;
  /** Raw request body. */
  text: string;
}

/**
 * The fault step every fake takes before processing a request: wait the injected latency, then
 * decide the request's fault. undefined when nothing is left to answer: the server closed or the
 * client left meanwhile (`gone`, by default: the response is destroyed), or the fault was a drop
 * (the socket is destroyed here).
 */
export async function injectedFault<Op extends string, A extends { kind: string }>(
  faults: { latencyMs(op: Op): number; next(op: Op): A },
  op: Op,
  http: FakeHttp,
  req: IncomingMessage,
  res: ServerResponse,
  gone: () => boolean = () => res.destroyed,
): Promise<Exclude<A, { kind: 'drop' }> | undefined> {
  const latency = faults.latencyMs(op);
  if (latency > 0) await http.delay(latency);
  if (http.closed || gone()) return undefined;
  const action = faults.next(op);
  if (action.kind === 'drop') {
    req.socket.destroy();
    return undefined;
  }
  return action as Exclude<A, { kind: 'drop' }>;
}

/** Requests received per operation, and in all. */
export type OpStats<Op extends string> = Record<Op, number> & { total: number };

/** Counts requests per operation. */
export class RequestStats<Op extends string> {
  private counts: OpStats<Op>;

  constructor(private readonly ops: readonly Op[]) {
    this.counts = this.empty();
  }

  count(op: Op): void {
    this.counts[op]++;
    this.counts.total++;
  }

  /** A copy of the counts. */
  get(): OpStats<Op> {
    return { ...this.counts };
  }

  reset(): void {
    this.counts = this.empty();
  }

  private empty(): OpStats<Op> {
    return Object.fromEntries([...this.ops.map((o) => [o, 0]), ['total', 0]]) as OpStats<Op>;
  }
}

/** The controls every fake has beside its own inspection API. */
export interface FakeControls<Op extends string, Faults, Quirks> {
  /** Requests received per operation (faulted ones included). */
  stats(): OpStats<Op>;
  resetStats(): void;
  /** Replaces the fault plan (counters such as failNext restart). */
  setFaults(faults: Faults): void;
  /** Merges quirks into the current ones. */
  setQuirks(quirks: Quirks): void;
  close(): Promise<void>;
}
