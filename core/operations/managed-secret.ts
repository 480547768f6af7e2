/**
 * A managed token secret as the operations see it: a plain value holding the AWSCURRENT version
 * (id, labels, creation date, JSON) and its parsed common fields, plus pure helpers for its
 * token's expiry and refresh point. Loaded by one read, or built from a batched read.
 */
import type { Clock } from '../clock.js';
import type { OperationalSettings } from '../settings.js';
import { AWSCURRENT, type SecretVersionValue, type SecretStore } from '../secrets/store.js';
import { parseTokenSecret, type TokenSecret } from '../secrets/token-secret.js';

export interface CurrentVersion {
  versionId: string;
  secretString: string;
  stages: string[];
  createdDate?: Date;
}

export interface ManagedSecret {
  /** The id operations address the secret by (an ARN in sweeps; as given on demand). */
  secretId: string;
  /** Its ARN (equal to secretId in sweeps). */
  arn: string;
  current: CurrentVersion;
  secret: TokenSecret;
}

/** Parses a version read elsewhere (e.g. a batched read); throws a ValidationError for a bad secret. */
export function managedFrom(secretId: string, value: SecretVersionValue): ManagedSecret {
  const secret = parseTokenSecret(value.secretString, `token secret ${secretId}`);
  return {
    secretId,
    arn: value.arn ?? secretId,
    secret,
    current: {
      versionId: value.versionId,
      secretString: value.secretString as string,
      stages: value.stages,
      ...(value.createdDate ? { createdDate: value.createdDate } : {}),
    },
  };
}

export async function loadManaged(secretId: string, store: SecretStore): Promise<ManagedSecret> {
  return managedFrom(secretId, await store.get(secretId, { stage: AWSCURRENT }));
}

/** Whole seconds from now until an ISO-8601 instant (negative once it has passed). */
export function secondsUntil(isoInstant: string, clock: Clock): number {
  return Math.floor((Date.parse(isoInstant) - clock.now()) / 1000);
}

/**
 * Seconds until the current token expires: a number; null when it never expires; undefined when
 * there is no token or its expiry is unknown (a token pasted by hand): the sweep renews those.
 */
export function secondsLeft(secret: TokenSecret, clock: Clock): number | null | undefined {
  if (!secret.token) return undefined;
  if (secret.expiresAt === null) return null;
  if (secret.expiresAt === undefined) return undefined;
  return secondsUntil(secret.expiresAt, clock);
}

/** The token's own lifetime in seconds (expiry minus the last issue or refresh), when known. */
export function tokenLifetimeSeconds(secret: TokenSecret): number | undefined {
  if (!secret.expiresAt) return undefined;
  const refreshedAt = (secret as Record<string, unknown>).refreshedAt;
  const from = typeof refreshedAt === 'string' ? refreshedAt : secret.issuedAt;
  if (!from) return undefined;
  const seconds = Math.floor((Date.parse(secret.expiresAt) - Date.parse(from)) / 1000);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/**
 * How many seconds before expiry the token is refreshed: `refreshBeforeSeconds`, but never more
 * than half the token's own lifetime (a three-day default cannot be right for a twelve-hour ICA
 * JWT), plus a small stable jitter per secret (up to 10 %, at most an hour) so a fleet created in
 * one day does not come due in one minute.
 */
export function refreshPointSeconds(secret: TokenSecret, settings: Pick<OperationalSettings, 'refreshBeforeSeconds'>, secretId: string): number {
  const before = refreshWindowSeconds(tokenLifetimeSeconds(secret), settings.refreshBeforeSeconds);
  return before + Math.floor(stableFraction(secretId) * Math.min(before * 0.1, 3_600));
}

/**
 * The refresh window without its jitter (which only widens it): the last `refreshBeforeSeconds` of
 * a token's life, at most half of it. Every sweep inside it renews the token, or tries to; the
 * construct requires room for at least three (infra/sweep-window.ts).
 */
export function refreshWindowSeconds(lifetimeSeconds: number | undefined, refreshBeforeSeconds: number): number {
  return lifetimeSeconds === undefined ? refreshBeforeSeconds : Math.min(refreshBeforeSeconds, Math.floor(lifetimeSeconds / 2));
}

/** Whether the current token is due for refresh or rotation now. */
export function isRefreshDue(managed: ManagedSecret, settings: Pick<OperationalSettings, 'refreshBeforeSeconds'>, clock: Clock): boolean {
  const left = secondsLeft(managed.secret, clock);
  if (left === null) return false; // never expires: only an explicit request rotates it
  if (left === undefined) return true; // no token, or an unknown expiry
  return left <= refreshPointSeconds(managed.secret, settings, managed.secretId);
}

/** A number in [0, 1) that depends only on `key` (FNV-1a). */
export function stableFraction(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 2 ** 32;
}
