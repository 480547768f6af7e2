/**
 * A token source for one token secret: reads AWSCURRENT with GetSecretValue and caches it until
 * shortly before the token expires (refreshBeforeMs) and never longer than maxAgeMs.
 *   - Concurrent callers share one read in flight.
 *   - A failed read is not cached: the next get() reads again.
 *   - refresh(stale) after a refusal: N callers refused with the same token cause one read.
 *   - Back-off: once a re-read after a refusal has found the refused version still AWSCURRENT,
 *     refusals of that version do not read again for refusalBackoffMs (plus jitter): a caller
 *     looping on a refused token costs at most one GetSecretValue per period, not one per call.
 *     A newer version (from any read) is never held back, and the first refusal always re-reads.
 *   - A refused version still current after the re-read: AWSPENDING's token, if a rotation holds
 *     another one (pending.ts: APIs that end older tokens when they issue a new one).
 * It never logs, and its errors never hold a token (consumer/errors.ts).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
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
  readonly #maxAgeMs: number;
  readonly #refreshBeforeMs: number;
  readonly #refusalBackoffMs: number;
  readonly #pendingWaitMs: number;
  readonly #now: () => number;
  readonly #allowInsecureHttp: boolean;
  readonly #client: () => SecretsClient;
  #cached: Cached | undefined;
  #inFlight: Read | undefined;
  #started = 0;
  /** Which read produced a TokenInfo this source handed out. */
  readonly #readOf = new WeakMap<TokenInfo, number>();
  readonly #counters: TokenSourceStats = { reads: 0, failedReads: 0, refreshes: 0, rereadsSkipped: 0, pendingReads: 0, pendingUsed: 0 };
  /** The version a re-read after a refusal found still current, and until when its refusals are not re-read. */
  #backoff: { versionId: string; until: number } | undefined;

  constructor(options: TokenSourceOptions) {
    const { secretId } = options;
    if (typeof secretId !== 'string' || !secretId) throw new TypeError('secretId: expected the token secret name or ARN');
    this.secretId = secretId;
    this.#maxAgeMs = nonNegative(options.maxAgeMs, DEFAULT_MAX_AGE_MS, 'maxAgeMs');
    this.#refreshBeforeMs = nonNegative(options.refreshBeforeMs, DEFAULT_REFRESH_BEFORE_MS, 'refreshBeforeMs');
    this.#refusalBackoffMs = nonNegative(options.refusalBackoffMs, DEFAULT_REFUSAL_BACKOFF_MS, 'refusalBackoffMs');
    this.#pendingWaitMs = nonNegative(options.pendingWaitMs, DEFAULT_PENDING_WAIT_MS, 'pendingWaitMs');
    this.#now = options.now ?? Date.now;
    this.#allowInsecureHttp = options.allowInsecureHttp ?? process.env[ENV.LOCAL_RUN] === 'true';
    this.#client = () => options.client ?? defaultClient();
  }

  readonly get = (): Promise<TokenInfo> => {
    if (this.#cached && this.#now() < this.#cached.validUntil) return Promise.resolve(this.#cached.info);
    return this.#inFlight ? this.#inFlight.promise : this.#startRead(false);
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
      // The refused token must not be handed out again while the re-read is on its way.
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

  #validUntil(info: TokenInfo, fetchedAt: number): number {
    const byAge = fetchedAt + this.#maxAgeMs;
    if (!info.expiresAt) return byAge;
    const byExpiry = Math.max(info.expiresAt.getTime() - this.#refreshBeforeMs, fetchedAt + Math.min(MIN_REUSE_MS, this.#maxAgeMs));
    return Math.min(byAge, byExpiry);
  }

  /** After a refusal of `stale`: AWSCURRENT, or AWSPENDING's token when the refused version is still current and a rotation holds another. */
  async #readForRefusal(seq: number, stale: TokenInfo): Promise<TokenInfo> {
    const current = await this.#readCurrent(seq);
    if (current.versionId !== stale.versionId) return current;
    const pending = await pendingToken(
      { client: this.#client(), secretId: this.secretId, allowInsecureHttp: this.#allowInsecureHttp, waitMs: this.#pendingWaitMs, onRead: () => this.#counters.pendingReads++ },
      stale,
    );
    if (!pending) return current;
    this.#counters.pendingUsed++;
    this.#readOf.set(pending, seq);
    this.#cached = { info: pending, seq, validUntil: this.#validUntil(pending, this.#now()) };
    return pending;
  }

  async #readCurrent(seq: number): Promise<TokenInfo> {
    let out;
    try {
      out = await this.#client().send(new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: 'AWSCURRENT' }));
    } catch (e) {
      throw e instanceof ConsumerError ? e : new SecretReadError(this.secretId, e);
    }
    const info = tokenInfoFromSecret({ secretId: this.secretId, versionId: out.VersionId ?? '', secretString: out.SecretString, allowInsecureHttp: this.#allowInsecureHttp });
    this.#readOf.set(info, seq);
    // Reads never overlap (one in flight at a time), so the last one to finish is the newest.
    this.#cached = { info, seq, validUntil: this.#validUntil(info, this.#now()) };
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
      () => {
        this.#counters.failedReads++;
        if (this.#inFlight === read) this.#inFlight = undefined;
      },
    );
    return read.promise;
  }
}
