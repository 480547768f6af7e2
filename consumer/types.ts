/**
 * Types at the consumer library's boundaries: what a token source hands out (TokenInfo), what it
 * is built from (TokenSourceOptions) and the one Secrets Manager call it needs (SecretsClient).
 * Types only: importing this module adds nothing to a bundle.
 */
import type { GetSecretValueCommand, GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import type { ProviderName } from '../core/providers/edges.js';

/** The token APIs a token secret can belong to (docs/CONTRACT.md `provider`; absent = "tigergraph"). */
export type { ProviderName };

/**
 * The token AWSCURRENT holds, ready to call the provider with.
 *
 * `token` is a non-enumerable property: `JSON.stringify(info)`, `console.log(info)` and
 * `{ ...info }` leave it out, so logging a TokenInfo never logs the token. Read `info.token`
 * explicitly where the request is built.
 */
export interface TokenInfo {
  /** The token value. Never log it. (Non-enumerable, see above.) */
  readonly token: string;
  readonly provider: ProviderName;
  /** The secret's `host`, normalized to its origin, e.g. `https://tg.example.com`. */
  readonly host: string;
  /**
   * Where authenticated calls go, without a trailing slash: TigerGraph the REST++ base
   * (`https://h:9000` on 3.x, `https://h:14240/restpp` on 4.x, `https://h/restpp` on Cloud),
   * Trifacta `${host}/v4`, ICA `${host}/ica/rest`.
   */
  readonly baseUrl: string;
  /** When the token expires; null when it never expires or the secret does not say. */
  readonly expiresAt: Date | null;
  /** When the token was issued, if the secret says. */
  readonly issuedAt: Date | null;
  /** The Secrets Manager version the token was read from (AWSCURRENT at the time). */
  readonly versionId: string;
  /** The secret id the source was created with (name or ARN, as given). */
  readonly secretId: string;
  /** TigerGraph: the graph the token is scoped to, when the secret names one. */
  readonly graph?: string;
}

/** The one call a token source makes. A SecretsManagerClient (AWS SDK v3) is one. */
export interface SecretsClient {
  send(command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput>;
}

export interface TokenSourceOptions {
  /** The token secret's name or ARN. */
  secretId: string;
  /** Default: one `new SecretsManagerClient({})` per process, created on the first read. */
  client?: SecretsClient;
  /**
   * Longest time a read value is used before AWSCURRENT is read again, whatever its expiry.
   * Default 300 000 (5 minutes). 0 disables the cache (every get() reads; concurrent ones share a
   * read). Infinity: only the expiry bounds it.
   */
  maxAgeMs?: number;
  /** Read again this long before the token's expiresAt. Default 60 000 (1 minute). */
  refreshBeforeMs?: number;
  /**
   * After a refusal, AWSCURRENT is re-read at once; when that read finds the refused version still
   * current (no rotation has replaced it), further refusals of that version are not re-read for
   * this long (times 1 to 1.2, at random): refresh(stale) then returns `stale` itself. So a caller
   * looping on a refused token makes at most one GetSecretValue per period, and a rotation is
   * picked up within one period. A newer version, from any read, is never held back. Default
   * 5 000; 0 re-reads on every refusal.
   */
  refusalBackoffMs?: number;
  /**
   * When a re-read after a refusal finds the refused version still AWSCURRENT, AWSPENDING is read
   * too, and its token used if it is another one: for APIs that end older tokens when they issue a
   * new one, AWSPENDING holds the live token until the rotation finishes. AWSPENDING is read again
   * (after 100, 200, 400 ms...) within this long while it has no value yet (the moment between the
   * mint and its write). Default 500 (at most 4 reads); 0 reads it once.
   */
  pendingWaitMs?: number;
  /** Milliseconds since the epoch. Default Date.now (tests pass a fake clock). */
  now?: () => number;
  /**
   * Honour a secret's `"allowInsecureHttp": true` (a plain http:// host; local test servers only).
   * Default: only when TG_TOKEN_ROTATION_LOCAL is "true", as for the rotation functions.
   */
  allowInsecureHttp?: boolean;
}

/** Counters of one source, for metrics and tests. Never a token. */
export interface TokenSourceStats {
  /** GetSecretValue calls of AWSCURRENT started. */
  reads: number;
  /** Reads that failed (not cached). */
  failedReads: number;
  /** Reads started by refresh() (after a refusal, or by the app), a subset of `reads`. */
  refreshes: number;
  /** refresh(stale) calls answered without a read because of the refusal back-off (refusalBackoffMs). */
  rereadsSkipped: number;
  /** GetSecretValue calls of AWSPENDING (after a refusal found the refused version still current). */
  pendingReads: number;
  /** Refusals answered with AWSPENDING's token (the refused version still current, a rotation holding another). */
  pendingUsed: number;
}

export interface TokenSource {
  readonly secretId: string;
  /** The cached token while it is fresh (see TokenSourceOptions), else a read of AWSCURRENT. */
  get(): Promise<TokenInfo>;
  /**
   * Reads AWSCURRENT again now (a read already in flight is shared). With `stale`, the token that
   * was just refused: when another caller has already re-read since `stale` was handed out, that
   * newer value is returned without a new read, so N callers refused at once cause one read; and
   * during the refusal back-off (TokenSourceOptions.refusalBackoffMs) `stale` itself is returned,
   * unread, which withToken takes as "nothing new to retry with".
   */
  refresh(stale?: TokenInfo): Promise<TokenInfo>;
  stats(): TokenSourceStats;
}
