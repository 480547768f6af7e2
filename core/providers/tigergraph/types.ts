/**
 * Types shared by the TigerGraph client modules. Kept apart so urls/http/version/client do not
 * import each other in circles.
 */
import type { Clock } from '../../clock.js';
import type { HttpTuning } from '../../http/transport.js';

/** A TigerGraph token secret's connection fields (docs/CONTRACT.md), validated by the definition in index.ts. */
export interface TigerGraphConfig {
  host: string;
  tigergraphVersion: '3' | '4' | 'auto';
  restppPort?: number | undefined;
  /**
   * Path of the REST++ base on its port, e.g. "/restpp" for a 3.x cluster that exposes only nginx
   * on 14240. Starts with "/" (validated in index.ts); "" is the root. Default: by deployment (urls.ts).
   */
  restppPath?: string | undefined;
  gsqlPort?: number | undefined;
  graph?: string | undefined;
  allowInsecureHttp?: boolean | undefined;
  caCertificate?: string | undefined;
}

/** `{"secret": "..."}` or `{"username": "...", "password": "..."}`. */
export type TigerGraphCredentials = { secret: string } | { username: string; password: string };

/** The two token APIs: 3.x (REST++ `/requesttoken`) and 4.x (GSQL `/gsql/v1/tokens`, JWT). */
export type ApiVersion = '3' | '4';

/** Logical operation of one HTTP call, for logs and metrics. */
export type TigerGraphOp = 'request' | 'refresh' | 'delete' | 'check' | 'echo' | 'version';

export interface TigerGraphClientOptions extends HttpTuning {
  /** Used for issuedAt and expiry fallbacks. Default: `currentClock()` at call time. */
  clock?: Clock;
  /** Source of the 4.x lifetime offset (mints.ts), in [0, 1). Default Math.random; tests pin it. */
  random?: () => number;
}
