/**
 * Types shared by the Trifacta provider modules, kept apart so client, paging and failures do not
 * import each other in circles.
 */
import type { Clock } from '../../clock.js';
import type { HttpTuning } from '../../http/transport.js';

/** A Trifacta token secret's connection fields: only the common ones (docs/CONTRACT.md). */
export interface TrifactaConfig {
  /** scheme://host[:port] of the workspace, e.g. https://x.cloud.trifacta.com or http://127.0.0.1:3005. */
  host: string;
  allowInsecureHttp?: boolean | undefined;
  caCertificate?: string | undefined;
}

/** `{"username": "...", "password": "..."}`: the user who owns the tokens. */
export interface TrifactaCredentials {
  username: string;
  password: string;
}

/** Logical operation of one HTTP call, for logs, metrics and messages. */
export type TrifactaOp = 'create' | 'list' | 'get' | 'delete' | 'verify';

export interface TrifactaClientOptions extends HttpTuning {
  /** Used for issuedAt and expiry fallbacks. Default: `currentClock()` at call time. */
  clock?: Clock;
}

/** One token as the list and get answers describe it (never with its value). */
export interface TrifactaTokenInfo {
  tokenId: string;
  /** null or absent when the token has none. */
  description: string | null;
  /** ISO-8601 as sent; null: never expires; undefined: not given. */
  expiredAt?: string | null;
  createdAt?: string;
}
