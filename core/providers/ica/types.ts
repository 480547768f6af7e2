/**
 * Types shared by the ICA client modules (kept apart so client, failures and provider do not
 * import each other in circles).
 */
import type { Clock } from '../../clock.js';
import type { HttpTuning } from '../../http/transport.js';

/** Where ICA answers when a caller gives no host (token secrets always name one: `host` is required there). */
export const DEFAULT_ICA_HOST = 'https://ica.illumina.com';

/** An ICA token secret's connection fields (docs/CONTRACT.md), validated by the definition in index.ts. */
export interface IcaConfig {
  /** scheme://host[:port]; default DEFAULT_ICA_HOST. */
  host?: string | undefined;
  /** The tenant to mint in, for a user that belongs to several (sent with Basic auth only). */
  tenant?: string | undefined;
  allowInsecureHttp?: boolean | undefined;
  caCertificate?: string | undefined;
}

/** `{"apiKey": "..."}` or `{"username": "<email>", "password": "..."}`. */
export type IcaCredentials = { apiKey: string } | { username: string; password: string };

/** How JWTs are minted: an API key (no refresh possible) or Basic email/password (refreshable). */
export type IcaMode = 'api-key' | 'password';

/** Logical operation of one HTTP call, for logs and metrics. */
export type IcaOp = 'create' | 'refresh' | 'check';

export interface IcaClientOptions extends HttpTuning {
  /** Used for issuedAt, the lifetimeSeconds fallback and the expired-JWT check. Default: `currentClock()` at call time. */
  clock?: Clock;
}

export function modeOf(credentials: IcaCredentials): IcaMode {
  return 'apiKey' in credentials ? 'api-key' : 'password';
}
