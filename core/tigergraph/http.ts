/**
 * One HTTP exchange with TigerGraph over undici: per-attempt timeout, bounded retries with full
 * jitter on transport faults and 5xx (never on 4xx: a refused credential will not improve), TLS
 * verification always on, and one keep-alive Agent per (origin, CA bundle).
 *
 * Retrying a token request after a reset or a 5xx can mint a second token at the server; the
 * orphan is never handed out and expires on its own, which is cheaper than failing a rotation.
 */
import { createHash } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import type { TransportError } from '../errors.js';
import { malformedError, transportError } from './failures.js';
import type { HttpMethod, TigerGraphOp, TigerGraphRequestInfo } from './types.js';

export interface HttpSettings {
  timeoutMs: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  caCertificate?: string | undefined;
  onRequest?: ((info: TigerGraphRequestInfo) => void) | undefined;
}

export interface HttpCall {
  op: TigerGraphOp;
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  /** Sent as a JSON body when defined. */
  json?: unknown;
}

export interface HttpResult {
  status: number;
  /** Raw body text. */
  text: string;
  /** Parsed JSON (whatever the Content-Type says: REST++ often omits it), or undefined. */
  body: unknown;
  /** True when the body was non-empty and not valid JSON. */
  malformed: boolean;
}

/** Agents live for the process (a warm Lambda reuses its connections across invocations). */
const agents = new Map<string, Agent>();

function agentFor(url: string, ca: string | undefined): Agent {
  const origin = new URL(url).origin;
  const caKey = ca ? createHash('sha256').update(ca).digest('hex') : '';
  const key = `${origin}|${caKey}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({
      keepAliveTimeout: 10_000,
      // A private CA is added to, not swapped for, the public roots, so a TLS-terminating proxy
      // with a public certificate keeps working. rejectUnauthorized stays true: no opt-out exists.
      connect: ca ? { ca: [...rootCertificates, ca], rejectUnauthorized: true } : { rejectUnauthorized: true },
    });
    agents.set(key, agent);
  }
  return agent;
}

/** Closes all pooled connections (tests, or a process about to exit). */
export async function closeAllAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.allSettled(all.map((a) => a.close()));
}

export function parseBody(text: string): { body: unknown; malformed: boolean } {
  if (!text.trim()) return { body: undefined, malformed: false };
  try {
    return { body: JSON.parse(text) as unknown, malformed: false };
  } catch {
    return { body: undefined, malformed: true };
  }
}

export class HttpTransport {
  constructor(private readonly settings: HttpSettings) {}

  /** Sends `call`, retrying transport faults and 5xx. Resolves with the last HTTP answer; rejects with TransportError. */
  async send(call: HttpCall): Promise<HttpResult> {
    const max = Math.max(1, Math.floor(this.settings.maxAttempts));
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
      if (result.malformed && result.status < 300) throw malformedError({ ...call, status: result.status });
      return result;
    }
  }

  private async once(call: HttpCall): Promise<HttpResult> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.settings.timeoutMs);
    try {
      const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
      let body: string | undefined;
      if (call.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(call.json);
      }
      const res = await request(call.url, {
        method: call.method,
        headers,
        body,
        signal: controller.signal,
        dispatcher: agentFor(call.url, this.settings.caCertificate),
      });
      const text = await res.body.text();
      return { status: res.statusCode, text, ...parseBody(text) };
    } catch (err) {
      throw transportError(err, { ...call, timedOut, timeoutMs: this.settings.timeoutMs });
    } finally {
      clearTimeout(timer);
    }
  }

  private async backoff(attempt: number): Promise<void> {
    const cap = Math.min(this.settings.maxDelayMs, this.settings.baseDelayMs * 2 ** (attempt - 1));
    // Full jitter: spreads retries of many concurrent rotations instead of synchronising them.
    await sleep(Math.random() * cap);
  }

  private report(call: HttpCall, attempt: number, started: number, status: number | undefined, error?: TransportError['reason']): void {
    if (!this.settings.onRequest) return;
    const info: TigerGraphRequestInfo = {
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
