/**
 * A token source for one token secret: reads AWSCURRENT with GetSecretValue and caches it until
 * shortly before the token expires (refreshBeforeMs) and never longer than maxAgeMs.
 *   - Concurrent callers share one read in flight.
 *   - A failed read is not cached: the next get() reads again.
 *   - refresh(stale) after a refusal: N callers refused with the same token cause one read.
 * It never logs, and its errors never hold a token (consumer/errors.ts).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ENV } from '../core/names.js';
import { ConsumerError, SecretReadError } from './errors.js';
import { tokenInfoFromSecret } from './secret.js';
import type { SecretsClient, TokenInfo, TokenSource, TokenSourceOptions, TokenSourceStats } from './types.js';

export const DEFAULT_MAX_AGE_MS = 5 * 60_000;
export const DEFAULT_REFRESH_BEFORE_MS = 60_000;
/**
 * Shortest time a read is used when its token is already inside the refresh window (the rotation
 * is late, or failing): one read per second at most, instead of one per call.
 */
export const MIN_REUSE_MS = 1_000;

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
  const { secretId } = options;
  if (typeof secretId !== 'string' || !secretId) throw new TypeError('secretId: expected the token secret name or ARN');
  const maxAgeMs = nonNegative(options.maxAgeMs, DEFAULT_MAX_AGE_MS, 'maxAgeMs');
  const refreshBeforeMs = nonNegative(options.refreshBeforeMs, DEFAULT_REFRESH_BEFORE_MS, 'refreshBeforeMs');
  const now = options.now ?? Date.now;
  const allowInsecureHttp = options.allowInsecureHttp ?? process.env[ENV.LOCAL_RUN] === 'true';
  const client = (): SecretsClient => options.client ?? defaultClient();

  let cached: Cached | undefined;
  let inFlight: Read | undefined;
  let started = 0;
  /** Which read produced a TokenInfo this source handed out. */
  const readOf = new WeakMap<TokenInfo, number>();
  const stats: TokenSourceStats = { reads: 0, failedReads: 0, refreshes: 0 };

  function validUntil(info: TokenInfo, fetchedAt: number): number {
    const byAge = fetchedAt + maxAgeMs;
    if (!info.expiresAt) return byAge;
    const byExpiry = Math.max(info.expiresAt.getTime() - refreshBeforeMs, fetchedAt + Math.min(MIN_REUSE_MS, maxAgeMs));
    return Math.min(byAge, byExpiry);
  }

  async function readCurrent(seq: number): Promise<TokenInfo> {
    let out;
    try {
      out = await client().send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
    } catch (e) {
      throw e instanceof ConsumerError ? e : new SecretReadError(secretId, e);
    }
    const info = tokenInfoFromSecret({ secretId, versionId: out.VersionId ?? '', secretString: out.SecretString, allowInsecureHttp });
    readOf.set(info, seq);
    // Reads never overlap (one in flight at a time), so the last one to finish is the newest.
    cached = { info, seq, validUntil: validUntil(info, now()) };
    return info;
  }

  function startRead(byRefresh: boolean): Promise<TokenInfo> {
    const seq = ++started;
    stats.reads++;
    if (byRefresh) stats.refreshes++;
    const read: Read = { seq, promise: readCurrent(seq) };
    inFlight = read;
    read.promise.then(
      () => {
        if (inFlight === read) inFlight = undefined;
      },
      () => {
        stats.failedReads++;
        if (inFlight === read) inFlight = undefined;
      },
    );
    return read.promise;
  }

  return {
    secretId,
    get() {
      if (cached && now() < cached.validUntil) return Promise.resolve(cached.info);
      return inFlight ? inFlight.promise : startRead(false);
    },
    refresh(stale) {
      if (stale !== undefined) {
        const staleSeq = readOf.get(stale);
        if (staleSeq !== undefined) {
          // Someone re-read since `stale` was handed out: use that (or the read on its way).
          if (inFlight && inFlight.seq > staleSeq) return inFlight.promise;
          if (cached && cached.seq > staleSeq) return Promise.resolve(cached.info);
        }
        // The refused token must not be handed out again while the re-read is on its way.
        if (cached?.info === stale) cached = undefined;
      }
      return inFlight ? inFlight.promise : startRead(true);
    },
    stats: () => ({ ...stats }),
  };
}
