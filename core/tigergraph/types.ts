/**
 * Types shared by the TigerGraph client modules. Kept apart so urls/http/version/client do not
 * import each other in circles.
 */
import type { Clock } from '../clock.js';
import type { TransportError } from '../errors.js';
import type { TokenSecret } from '../token-secret.js';

/** The part of a token secret the client needs to reach TigerGraph (see CONTRACT.md). */
export type TigerGraphConnection = Pick<
  TokenSecret,
  'host' | 'tigergraphVersion' | 'restppPort' | 'gsqlPort' | 'graph' | 'allowInsecureHttp' | 'caCertificate'
>;

/** The two token APIs: 3.x (REST++ `/requesttoken`) and 4.x (GSQL `/gsql/v1/tokens`, JWT). */
export type ApiVersion = '3' | '4';

/** Logical operation of one HTTP call, for logs and metrics. */
export type TigerGraphOp = 'request' | 'refresh' | 'delete' | 'check' | 'echo' | 'version';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What `onRequest` receives after every attempt. Deliberately no headers and no bodies. */
export interface TigerGraphRequestInfo {
  op: TigerGraphOp;
  method: HttpMethod;
  /** Base URL and path only; the client never puts a token or secret in a URL. */
  url: string;
  /** HTTP status, or undefined when no answer arrived (see `error`). */
  status: number | undefined;
  /** Transport failure reason when there was no HTTP answer. */
  error?: TransportError['reason'];
  /** 1-based attempt number. */
  attempt: number;
  durationMs: number;
}

export interface TigerGraphClientOptions {
  /** Per-attempt timeout covering connect, headers and body. Default 10 000 ms. */
  timeoutMs?: number;
  /** Total attempts per call, first included. Default 3. */
  maxAttempts?: number;
  /** First backoff delay; doubles per retry with full jitter. Default 200 ms. */
  baseDelayMs?: number;
  /** Cap on one backoff delay. Default 5 000 ms. */
  maxDelayMs?: number;
  /** Used for issuedAt and expiry fallbacks. Default: `currentClock()` at call time. */
  clock?: Clock;
  /** Called after every HTTP attempt, for logging and metrics. Must not throw. */
  onRequest?(info: TigerGraphRequestInfo): void;
}
