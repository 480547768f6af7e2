/**
 * One HTTP exchange with a token API over Node's built-in `node:http`/`node:https`, shared by every
 * provider: per-attempt timeout (connect, headers and body), bounded retries with full jitter on
 * transport faults and 5xx (never on 4xx: a refused credential will not improve), TLS verification
 * always on, response bodies capped, and one keep-alive Agent per (origin, CA bundle).
 *
 * A call says whether it may be repeated (`retry: 'never'` for a create that is not idempotent,
 * such as Trifacta's): such a call is sent once, and a lost answer surfaces as a TransportError
 * for the provider to clean up after. Node's built-in client is used rather than fetch/undici so
 * the Lambda bundle carries no HTTP library (bench/RESULTS.md, bundle size).
 */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { CredentialBindingError, type TransportError } from '../errors.js';
import { malformedError, transportError } from './failures.js';
import { originOf, withinOrigins, type Origin } from './origins.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What `onRequest` receives after every attempt. Deliberately no headers and no bodies. */
export interface HttpRequestInfo {
  /** The provider's name for the operation, e.g. "request", "refresh", "delete". */
  op: string;
  method: HttpMethod;
  /** Base URL and path only; no client puts a token or secret in a URL. */
  url: string;
  /** HTTP status, or undefined when no answer arrived (see `error`). */
  status: number | undefined;
  /** Transport failure reason when there was no HTTP answer. */
  error?: TransportError['reason'];
  /** 1-based attempt number. */
  attempt: number;
  durationMs: number;
}

/** Timeouts and retries of one provider's calls; every field has a default in `httpSettings`. */
export interface HttpTuning {
  /** Per-attempt timeout covering connect, headers and body. Default 10 000 ms. */
  timeoutMs?: number;
  /** Total attempts per call, first included. Default 3. */
  maxAttempts?: number;
  /** First backoff delay; doubles per retry with full jitter. Default 200 ms. */
  baseDelayMs?: number;
  /** Cap on one backoff delay. Default 5 000 ms. */
  maxDelayMs?: number;
  /** Called after every HTTP attempt, for logging and metrics. Must not throw. */
  onRequest?(info: HttpRequestInfo): void;
  /**
   * The only origins a call may go to (core/http/origins.ts), set from the credential's binding
   * (core/providers/open.ts): a URL outside them is refused before any connection is made.
   * Undefined: no restriction (clients built outside the functions, e.g. in tests).
   */
  allowedOrigins?: readonly Origin[];
}

export interface HttpSettings {
  /** The service's name in error messages, e.g. "TigerGraph". */
  service: string;
  timeoutMs: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  caCertificate?: string | undefined;
  onRequest?: ((info: HttpRequestInfo) => void) | undefined;
  allowedOrigins?: readonly Origin[] | undefined;
}

/** `HttpTuning` with its defaults filled in, for a service. */
export function httpSettings(service: string, tuning: HttpTuning = {}, caCertificate?: string): HttpSettings {
  return {
    service,
    timeoutMs: tuning.timeoutMs ?? 10_000,
    maxAttempts: tuning.maxAttempts ?? 3,
    baseDelayMs: tuning.baseDelayMs ?? 200,
    maxDelayMs: tuning.maxDelayMs ?? 5_000,
    caCertificate,
    onRequest: tuning.onRequest,
    allowedOrigins: tuning.allowedOrigins,
  };
}

export interface HttpCall {
  op: string;
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  /** Sent as a JSON body when defined. */
  json?: unknown;
  /**
   * 'safe' (default): transport faults and 5xx are retried. 'never': sent once, for a request
   * the server may have acted on without answering (a create that is not idempotent).
   */
  retry?: 'safe' | 'never';
}

export interface HttpResult {
  status: number;
  /**
   * The Content-Type header as sent, or undefined when there was none. Error messages name the
   * type of a body they do not quote (core/http/failures.ts describeBody).
   */
  contentType: string | undefined;
  /** Raw body text (at most MAX_BODY_BYTES of it). */
  text: string;
  /** Parsed JSON (whatever the Content-Type says: REST++ often omits it), or undefined. */
  body: unknown;
  /** True when the body was non-empty and not valid JSON, or longer than MAX_BODY_BYTES. */
  malformed: boolean;
  /** The answer's `Date` header (the server's clock, whole seconds), when it had a valid one. */
  serverDateMs?: number;
}

/**
 * Token API answers are a few hundred bytes (a Trifacta token list a few kB); anything past this is
 * not one of them (a proxy's error page, another service). The rest is not read: the connection is
 * dropped and the answer counts as malformed.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Idle keep-alive sockets are closed after this long (or sooner if the server's Keep-Alive says so). */
const KEEP_ALIVE_IDLE_MS = 10_000;

/** Agents live for the process (a warm Lambda reuses its connections across invocations). */
const agents = new Map<string, HttpAgent>();

/**
 * TLS options of every https request, on the agent and on the request itself. rejectUnauthorized
 * is set explicitly because Node's default for it follows NODE_TLS_REJECT_UNAUTHORIZED: no opt-out
 * exists. A private CA is added to, not swapped for, the public roots, so a TLS-terminating proxy
 * with a public certificate keeps working.
 */
function tlsOptions(ca: string | undefined): { rejectUnauthorized: true; ca?: string[] } {
  return ca ? { rejectUnauthorized: true, ca: [...rootCertificates, ca] } : { rejectUnauthorized: true };
}

function agentFor(url: URL, ca: string | undefined): HttpAgent {
  const caKey = ca ? createHash('sha256').update(ca).digest('hex') : '';
  const key = `${url.origin}|${caKey}`;
  let agent = agents.get(key);
  if (!agent) {
    agent =
      url.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, timeout: KEEP_ALIVE_IDLE_MS, ...tlsOptions(ca) })
        : new HttpAgent({ keepAlive: true, timeout: KEEP_ALIVE_IDLE_MS });
    agents.set(key, agent);
  }
  return agent;
}

/** Closes all pooled connections (tests, or a process about to exit). */
export async function closeAllAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  for (const agent of all) agent.destroy();
}

/**
 * Token APIs answer errors in a few hundred bytes. A longer error answer (a proxy's page, a hostile
 * server) is not parsed as JSON: V8's JSON.parse takes over 100 ms on 1 MiB of nested '[' (bench
 * section "errors"), and such a body would only be described, never quoted, anyway.
 */
export const MAX_ERROR_JSON_BYTES = 64 * 1024;

/** The body of an answer with HTTP `status` as the providers see it: parsed JSON, unless an error answer is too long to be one. */
export function readAnswer(status: number, text: string): { body: unknown; malformed: boolean } {
  if (status >= 300 && text.length > MAX_ERROR_JSON_BYTES) return { body: undefined, malformed: true };
  return parseBody(text);
}

export function parseBody(text: string): { body: unknown; malformed: boolean } {
  if (!text.trim()) return { body: undefined, malformed: false };
  try {
    return { body: JSON.parse(text) as unknown, malformed: false };
  } catch {
    return { body: undefined, malformed: true };
  }
}

/** A request ready to send: its URL, the options for node:http(s), and the JSON body. */
interface PreparedRequest {
  url: URL;
  https: boolean;
  options: RequestOptions;
  payload: Buffer | undefined;
}

/** The request of `call`; throws for a URL Node cannot parse or a body JSON cannot write. */
function prepare(call: HttpCall, caCertificate: string | undefined): PreparedRequest {
  const url = new URL(call.url);
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  let payload: Buffer | undefined;
  if (call.json !== undefined) {
    payload = Buffer.from(JSON.stringify(call.json), 'utf8');
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const https = url.protocol === 'https:';
  return { url, https, payload, options: { method: call.method, headers, agent: agentFor(url, caCertificate), ...(https ? tlsOptions(caCertificate) : {}) } };
}

/** Where an attempt's answer goes: settled once, by the first of its answer, a fault or the timer. */
interface AnswerSink {
  succeed(result: HttpResult): void;
  fail(err: unknown): void;
  /** Drops the request's socket (an answer not read to the end cannot be reused). */
  abort(): void;
  settled(): boolean;
}

/** Collects an answer's body, at most MAX_BODY_BYTES of it (a longer one is malformed and not read on). */
function collectAnswer(res: IncomingMessage, sink: AnswerSink): void {
  const chunks: Buffer[] = [];
  // The server's clock (issue 22: token times are read on it, core/providers/server-time.ts).
  const serverDate = Date.parse(res.headers.date ?? '');
  const dated = Number.isFinite(serverDate) ? { serverDateMs: serverDate } : {};
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    if (sink.settled()) return;
    if (size + chunk.length > MAX_BODY_BYTES) {
      chunks.push(chunk.subarray(0, MAX_BODY_BYTES - size));
      const text = Buffer.concat(chunks).toString('utf8');
      // Not read to the end: the socket cannot be reused.
      sink.succeed({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], text, body: undefined, malformed: true, ...dated });
      res.destroy();
      sink.abort();
      return;
    }
    size += chunk.length;
    chunks.push(chunk);
  });
  res.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    sink.succeed({ status, contentType: res.headers['content-type'], text, ...readAnswer(status, text), ...dated });
  });
  res.on('error', sink.fail);
  res.on('close', () => {
    if (!res.complete) sink.fail(Object.assign(new Error('connection closed before the whole answer arrived'), { code: 'ECONNRESET' }));
  });
}

export class HttpTransport {
  constructor(private readonly settings: HttpSettings) {}

  /** Sends `call`, retrying transport faults and 5xx. Resolves with the last HTTP answer; rejects with TransportError. */
  async send(call: HttpCall): Promise<HttpResult> {
    const allowed = this.settings.allowedOrigins;
    if (allowed && !withinOrigins(allowed, call.url)) {
      throw new CredentialBindingError(
        `${this.settings.service} ${call.op}: ${originOf(call.url)} is not an origin this credential is bound to (${allowed.join(', ')}); nothing was sent`,
      );
    }
    const max = call.retry === 'never' ? 1 : Math.max(1, Math.floor(this.settings.maxAttempts));
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      let result: HttpResult;
      try {
        result = await this.once(call);
      } catch (err) {
        const te = err as TransportError;
        this.report(call, attempt, started, undefined, te.reason);
        if (attempt < max && isRetryableTransport(te)) {
          await this.backoff(attempt);
          continue;
        }
        throw te;
      }
      this.report(call, attempt, started, result.status);
      if (result.status >= 500 && attempt < max) {
        await this.backoff(attempt);
        continue;
      }
      if (result.malformed && result.status < 300) throw malformedError({ ...call, service: this.settings.service, status: result.status });
      return result;
    }
  }

  /** One attempt: resolves with the whole answer or rejects with a TransportError, within timeoutMs. */
  private once(call: HttpCall): Promise<HttpResult> {
    const timeoutMs = this.settings.timeoutMs;
    return new Promise<HttpResult>((resolve, reject) => {
      let timedOut = false;
      let settled = false;
      let req: ClientRequest | undefined;
      let timer: NodeJS.Timeout | undefined;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req?.destroy();
        reject(transportError(err, { ...call, service: this.settings.service, timedOut, timeoutMs }));
      };
      const succeed = (result: HttpResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };

      let prepared: PreparedRequest;
      try {
        prepared = prepare(call, this.settings.caCertificate);
      } catch (err) {
        reject(transportError(err, { ...call, service: this.settings.service, timedOut, timeoutMs }));
        return;
      }

      // One timer for the whole attempt: connect, TLS handshake, headers and body.
      timer = setTimeout(() => {
        timedOut = true;
        fail(new Error(`timed out after ${timeoutMs} ms`));
      }, timeoutMs);

      const sink: AnswerSink = { succeed, fail, abort: () => req?.destroy(), settled: () => settled };
      try {
        req = (prepared.https ? httpsRequest : httpRequest)(prepared.url, prepared.options, (res) => collectAnswer(res, sink));
      } catch (err) {
        // Synchronous refusals (e.g. a header value Node will not send).
        fail(err);
        return;
      }
      req.on('error', fail);
      req.end(prepared.payload);
    });
  }

  private async backoff(attempt: number): Promise<void> {
    const cap = Math.min(this.settings.maxDelayMs, this.settings.baseDelayMs * 2 ** (attempt - 1));
    // Full jitter: spreads retries of many concurrent rotations instead of synchronising them.
    await sleep(Math.random() * cap);
  }

  private report(call: HttpCall, attempt: number, started: number, status: number | undefined, error?: TransportError['reason']): void {
    if (!this.settings.onRequest) return;
    const info: HttpRequestInfo = {
      op: call.op,
      method: call.method,
      url: call.url,
      status,
      attempt,
      durationMs: Math.round(performance.now() - started),
    };
    if (error) info.error = error;
    try {
      this.settings.onRequest(info);
    } catch {
      // A logging hook must never break a rotation.
    }
  }
}

/** TLS and DNS failures are configuration problems: retrying only delays the error. */
function isRetryableTransport(e: TransportError): boolean {
  return e.reason === 'refused' || e.reason === 'reset' || e.reason === 'timeout' || e.reason === 'other';
}

/** An `Authorization: Basic` header value. */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${basicCredential(user, password)}`;
}

/** The base64 part of a Basic header, which error messages must never show either. */
export function basicCredential(user: string, password: string): string {
  return Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
}
