/**
 * A token source for one token secret: reads a staging label (AWSCURRENT unless versionStage says
 * otherwise) with GetSecretValue and caches it until shortly before the token expires
 * (refreshBeforeMs) and never longer than maxAgeMs.
 *   - Concurrent callers share one read in flight.
 *   - A failed read is not cached: the next get() reads again, unless it can ride it out (below).
 *   - Secrets Manager trouble (throttling, 5xx, network, the read timeout): when the read that
 *     should replace an aged cached value fails and that token is still valid (more than
 *     expiryMarginMs before its expiresAt, or without one), get() serves it, and the read is retried
 *     in the background with exponential back-off and jitter (a get() past the back-off starts it
 *     and does not wait for it). Past the margin, the failure is an error (SecretReadError with
 *     cachedExpiresAt), never a token about to expire. A token the provider refused is never served.
 *   - Every GetSecretValue has a timeout (readTimeoutMs), whatever the client does.
 *   - refresh(stale) after a refusal: N callers refused with the same token cause one read.
 *   - Back-off: once a re-read after a refusal has found the refused version still AWSCURRENT,
 *     refusals of that version do not read again for refusalBackoffMs (plus jitter): a caller
 *     looping on a refused token costs at most one GetSecretValue per period, not one per call.
 *     A newer version (from any read) is never held back, and the first refusal always re-reads.
 *   - A refused version still current after the re-read: AWSPENDING's token, if a rotation holds
 *     another one (pending.ts: APIs that end older tokens when they issue a new one).
 * It never logs, and its errors never hold a token (consumer/errors.ts).
 */
import { GetSecretValueCommand, SecretsManagerClient, type GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import { ENV } from '../core/names.js';
import { ConsumerError, SecretReadError } from './errors.js';
import { DEFAULT_PENDING_WAIT_MS, pendingToken } from './pending.js';
import { tokenInfoFromSecret } from './secret.js';
import type { SecretsClient, TokenInfo, TokenSource, TokenSourceOptions, TokenSourceStats } from './types.js';

export const DEFAULT_MAX_AGE_MS = 5 * 60_000;
export const DEFAULT_REFRESH_BEFORE_MS = 60_000;
/**
 * Shortest time a read is used when its token is already inside the refresh window (the rotation
 * is late, or failing): one read per second at most, instead of one per call.
 */
export const MIN_REUSE_MS = 1_000;
/** Default TokenSourceOptions.refusalBackoffMs: how long a version confirmed current after a refusal is not re-read on another refusal. */
export const DEFAULT_REFUSAL_BACKOFF_MS = 5_000;
/**
 * Each back-off lasts refusalBackoffMs times 1 to 1 + this, at random, so that processes refused
 * together (one revoked token, a fleet of containers) do not re-read in step. Only upwards: the
 * option stays a floor between two re-reads.
 */
export const REFUSAL_BACKOFF_JITTER = 0.2;
/**
 * Default TokenSourceOptions.readTimeoutMs: one GetSecretValue (the SDK's own retries included)
 * gets this long. Secrets Manager answers in tens of milliseconds; a read still open after 5 s is
 * a network that drops packets, and the caller is better served by the cached token or an error.
 */
export const DEFAULT_READ_TIMEOUT_MS = 5_000;
/** Default TokenSourceOptions.expiryMarginMs: a cached token is served after a failed read only while it has more than this left. */
export const DEFAULT_EXPIRY_MARGIN_MS = 30_000;
/**
 * Background re-reads while Secrets Manager fails: the n-th waits READ_RETRY_BASE_MS * 2^(n-1),
 * at most READ_RETRY_MAX_MS, times 0.5 to 1 at random ("equal jitter"), so a fleet of containers
 * whose reads failed together spreads its retries, and a 30-minute outage costs a few dozen reads.
 */
export const READ_RETRY_BASE_MS = 1_000;
export const READ_RETRY_MAX_MS = 60_000;

/** The delay before background re-read `attempt` (1, 2, ...): see READ_RETRY_BASE_MS. */
export function readRetryDelay(attempt: number, random: () => number = Math.random): number {
  const nominal = Math.min(READ_RETRY_MAX_MS, READ_RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return nominal * (0.5 + random() * 0.5);
}

let sharedClient: SecretsManagerClient | undefined;

/** One default client per process, created on the first read that needs it. */
function defaultClient(): SecretsManagerClient {
  return (sharedClient ??= new SecretsManagerClient({}));
}

interface Cached {
  info: TokenInfo;
  seq: number;
  validUntil: number;
}

interface Read {
  promise: Promise<TokenInfo>;
  seq: number;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw new RangeError(`${name}: expected a number >= 0 (milliseconds)`);
  return value;
}

function stageOf(value: string | undefined): string {
  if (value === undefined) return 'AWSCURRENT';
  if (typeof value !== 'string' || !value) throw new TypeError('versionStage: expected a staging label such as AWSCURRENT or AWSPREVIOUS');
  return value;
}

export function createTokenSource(options: TokenSourceOptions): TokenSource {
  return new CachingTokenSource(options);
}

/**
 * The source createTokenSource hands out. Its methods are bound (arrow properties), so
 * `const { get } = source` works as it did when they were closures, and its state is private
 * (#fields), so logging a source shows neither its client nor its cached value.
 */
class CachingTokenSource implements TokenSource {
  readonly secretId: string;
  readonly versionStage: string;
  readonly #maxAgeMs: number;
  readonly #refreshBeforeMs: number;
  readonly #refusalBackoffMs: number;
  readonly #pendingWaitMs: number;
  readonly #readTimeoutMs: number;
  readonly #expiryMarginMs: number;
  readonly #now: () => number;
  readonly #allowInsecureHttp: boolean;
  readonly #client: () => SecretsClient;
  #cached: Cached | undefined;
  #inFlight: Read | undefined;
  #started = 0;
  /** Which read produced a TokenInfo this source handed out. */
  readonly #readOf = new WeakMap<TokenInfo, number>();
  readonly #counters: TokenSourceStats = { reads: 0, failedReads: 0, refreshes: 0, rereadsSkipped: 0, pendingReads: 0, pendingUsed: 0, servedStale: 0 };
  /** The version a re-read after a refusal found still current, and until when its refusals are not re-read. */
  #backoff: { versionId: string; until: number } | undefined;
  /** Reads failing while the cached token is still served: how many in a row, and when the next may start. */
  #outage: { failures: number; retryAt: number } | undefined;

  constructor(options: TokenSourceOptions) {
    const { secretId } = options;
    if (typeof secretId !== 'string' || !secretId) throw new TypeError('secretId: expected the token secret name or ARN');
    this.secretId = secretId;
    this.versionStage = stageOf(options.versionStage);
    this.#maxAgeMs = nonNegative(options.maxAgeMs, DEFAULT_MAX_AGE_MS, 'maxAgeMs');
    this.#refreshBeforeMs = nonNegative(options.refreshBeforeMs, DEFAULT_REFRESH_BEFORE_MS, 'refreshBeforeMs');
    this.#refusalBackoffMs = nonNegative(options.refusalBackoffMs, DEFAULT_REFUSAL_BACKOFF_MS, 'refusalBackoffMs');
    this.#pendingWaitMs = nonNegative(options.pendingWaitMs, DEFAULT_PENDING_WAIT_MS, 'pendingWaitMs');
    this.#readTimeoutMs = nonNegative(options.readTimeoutMs, DEFAULT_READ_TIMEOUT_MS, 'readTimeoutMs');
    this.#expiryMarginMs = nonNegative(options.expiryMarginMs, DEFAULT_EXPIRY_MARGIN_MS, 'expiryMarginMs');
    this.#now = options.now ?? Date.now;
    this.#allowInsecureHttp = options.allowInsecureHttp ?? process.env[ENV.LOCAL_RUN] === 'true';
    this.#client = () => options.client ?? defaultClient();
  }

  readonly get = (): Promise<TokenInfo> => {
    const now = this.#now();
    if (this.#cached && now < this.#cached.validUntil) return Promise.resolve(this.#cached.info);
    const stale = this.#outage ? this.#servable() : undefined;
    if (stale && this.#outage) {
      // Riding out an outage: the caller never waits for a retry, which starts once the back-off has passed.
      if (!this.#inFlight && now >= this.#outage.retryAt) this.#startRead(false).catch(() => undefined);
      this.#counters.servedStale++;
      return Promise.resolve(stale);
    }
    return this.#orStale(this.#inFlight ? this.#inFlight.promise : this.#startRead(false));
  };

  readonly refresh = (stale?: TokenInfo): Promise<TokenInfo> => {
    if (stale !== undefined) {
      const staleSeq = this.#readOf.get(stale);
      if (staleSeq !== undefined) {
        // Someone re-read since `stale` was handed out: use that (or the read on its way).
        if (this.#inFlight && this.#inFlight.seq > staleSeq) return this.#inFlight.promise;
        if (this.#cached && this.#cached.seq > staleSeq) return Promise.resolve(this.#cached.info);
      }
      // Refused again, and a re-read moments ago found this same version current: the caller gets
      // `stale` back, which tells withToken there is nothing new to retry with.
      if (this.#backingOff(stale)) {
        this.#counters.rereadsSkipped++;
        return Promise.resolve(stale);
      }
      // The refused token must not be handed out again while the re-read is on its way, nor served through an outage.
      if (this.#cached?.info === stale) this.#cached = undefined;
    }
    const read = this.#inFlight ? this.#inFlight.promise : this.#startRead(true, stale);
    if (stale !== undefined) {
      read.then(
        (found) => this.#noteReread(stale, found),
        () => undefined,
      );
    }
    return read;
  };

  readonly stats = (): TokenSourceStats => ({ ...this.#counters });

  /** The cached token, if it may stand in for a failed read: not refused, and more than expiryMarginMs from its expiry. */
  #servable(): TokenInfo | undefined {
    const info = this.#cached?.info;
    if (!info) return undefined;
    return info.expiresAt === null || this.#now() < info.expiresAt.getTime() - this.#expiryMarginMs ? info : undefined;
  }

  /** `read`, or the cached token when the read fails for a reason that passes and that token is servable. */
  #orStale(read: Promise<TokenInfo>): Promise<TokenInfo> {
    return read.catch((error: unknown) => {
      const stale = error instanceof SecretReadError && error.retryable ? this.#servable() : undefined;
      if (!stale) throw error;
      this.#counters.servedStale++;
      return stale;
    });
  }

  #backingOff(stale: TokenInfo): boolean {
    if (!this.#backoff || stale.versionId !== this.#backoff.versionId) return false;
    return this.#now() < this.#backoff.until;
  }

  /** After a re-read for a refusal of `stale`: back off if nothing newer was found, else stop backing off. */
  #noteReread(stale: TokenInfo, found: TokenInfo): void {
    this.#backoff =
      this.#refusalBackoffMs > 0 && found.versionId === stale.versionId
        ? { versionId: found.versionId, until: this.#now() + this.#refusalBackoffMs * (1 + Math.random() * REFUSAL_BACKOFF_JITTER) }
        : undefined;
  }

  /** After a failed read: while the cached token is servable, the next read waits out the back-off. */
  #noteFailedRead(error: unknown): void {
    if (!(error instanceof SecretReadError && error.retryable && this.#servable())) return;
    const failures = (this.#outage?.failures ?? 0) + 1;
    this.#outage = { failures, retryAt: this.#now() + readRetryDelay(failures) };
  }

  #validUntil(info: TokenInfo, fetchedAt: number): number {
    const byAge = fetchedAt + this.#maxAgeMs;
    if (!info.expiresAt) return byAge;
    const byExpiry = Math.max(info.expiresAt.getTime() - this.#refreshBeforeMs, fetchedAt + Math.min(MIN_REUSE_MS, this.#maxAgeMs));
    return Math.min(byAge, byExpiry);
  }

  /** After a refusal of `stale`: AWSCURRENT, or AWSPENDING's token when the refused version is still current and a rotation holds another. */
  async #readForRefusal(seq: number, stale: TokenInfo): Promise<TokenInfo> {
    const current = await this.#readCurrent(seq);
    // Only a reader of AWSCURRENT falls back to the rotation's new token; one of another label asked for that label.
    if (current.versionId !== stale.versionId || this.versionStage !== 'AWSCURRENT') return current;
    const pending = await pendingToken(
      // Through #send: the AWSPENDING reads have the same read timeout as every other.
      { client: { send: (command) => this.#send(command) }, secretId: this.secretId, allowInsecureHttp: this.#allowInsecureHttp, waitMs: this.#pendingWaitMs, onRead: () => this.#counters.pendingReads++ },
      stale,
    );
    if (!pending) return current;
    this.#counters.pendingUsed++;
    this.#readOf.set(pending, seq);
    this.#cached = { info: pending, seq, validUntil: this.#validUntil(pending, this.#now()) };
    return pending;
  }

  /** One GetSecretValue, given up after readTimeoutMs even if the client ignores the abort signal. */
  #send(command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput> {
    const ms = this.#readTimeoutMs;
    if (ms === 0 || !Number.isFinite(ms)) return this.#client().send(command);
    const signal = AbortSignal.timeout(ms);
    return new Promise((resolve, reject) => {
      const onTimeout = () => reject(Object.assign(new Error(`no answer within ${ms} ms`), { name: 'TimeoutError' }));
      signal.addEventListener('abort', onTimeout, { once: true });
      this.#client()
        .send(command, { abortSignal: signal })
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onTimeout));
    });
  }

  async #readCurrent(seq: number): Promise<TokenInfo> {
    let out;
    try {
      out = await this.#send(new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: this.versionStage }));
    } catch (e) {
      if (e instanceof ConsumerError) throw e;
      // A token read before but past its margin: say so, it is why the app has none to use.
      const cachedExpiresAt = this.#cached && !this.#servable() ? (this.#cached.info.expiresAt ?? undefined) : undefined;
      throw new SecretReadError(this.secretId, e, { versionStage: this.versionStage, ...(cachedExpiresAt ? { cachedExpiresAt } : {}) });
    }
    const info = tokenInfoFromSecret({ secretId: this.secretId, versionId: out.VersionId ?? '', secretString: out.SecretString, allowInsecureHttp: this.#allowInsecureHttp });
    this.#readOf.set(info, seq);
    // Reads never overlap (one in flight at a time), so the last one to finish is the newest.
    this.#cached = { info, seq, validUntil: this.#validUntil(info, this.#now()) };
    this.#outage = undefined;
    return info;
  }

  #startRead(byRefresh: boolean, refused?: TokenInfo): Promise<TokenInfo> {
    const seq = ++this.#started;
    this.#counters.reads++;
    if (byRefresh) this.#counters.refreshes++;
    const read: Read = { seq, promise: refused ? this.#readForRefusal(seq, refused) : this.#readCurrent(seq) };
    this.#inFlight = read;
    read.promise.then(
      () => {
        if (this.#inFlight === read) this.#inFlight = undefined;
      },
      (error: unknown) => {
        this.#counters.failedReads++;
        this.#noteFailedRead(error);
        if (this.#inFlight === read) this.#inFlight = undefined;
      },
    );
    return read.promise;
  }
}
