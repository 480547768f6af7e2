/**
 * Operational settings: the SSM parameter (core/names.ts, JSON), defaults where it or a field is
 * absent, and per-secret overrides from the token secret. Invalid settings fail at load with the
 * field named, never midway through a sweep. The CDK config and construct take their defaults and
 * bounds from here.
 */
import * as z from 'zod/mini';
import { toValidationError, ValidationError } from './errors.js';
import { DEFAULT_SETTINGS_PARAMETER } from './names.js';
import type { TokenSecret } from './secrets/token-secret.js';

/** Bounds of `concurrency`: secrets a sweep works on at once. */
export const CONCURRENCY_BOUNDS = { min: 1, max: 100 } as const;

/** Most `newTokenPatienceSeconds` allowed: a Lambda invocation lasts at most 900 s. */
export const NEW_TOKEN_PATIENCE_MAX_SECONDS = 600;

/** Bounds of `pendingTokenAttempts`. */
export const PENDING_TOKEN_ATTEMPTS_BOUNDS = { min: 1, max: 20 } as const;

/**
 * Secrets Manager's account-wide quotas the sweep paces itself under: writes (PutSecretValue,
 * UpdateSecret and UpdateSecretVersionStage together) and RotateSecret, each 50 per second.
 */
export const SECRETS_MANAGER_WRITE_QUOTA = 50;
export const SECRETS_MANAGER_ROTATE_QUOTA = 50;

const nonNegativeInt = () => z.number().check(z.int(), z.minimum(0));
const perSecond = (quota: number) => z.number().check(z.minimum(0.1), z.maximum(quota));

export const settingsSchema = z.strictObject({
  /** Refresh or rotate a token this long before it expires (at most half its lifetime). */
  refreshBeforeSeconds: z._default(nonNegativeInt(), 259_200),
  /** Revoke a replaced token this long after the rotation that replaced it. */
  revokeGraceSeconds: z._default(nonNegativeInt(), 3_600),
  /**
   * Where routine revokes are costly (TigerGraph 4.x block-lists), revoke a replaced token only if
   * it would live longer than this; shorter ones expire on their own (tracked until then). 60 days:
   * longer than TigerGraph's default lifetime (core/providers/tigergraph/client.ts
   * DEFAULT_LIFETIME_SECONDS, 30 days), so at the defaults nothing is block-listed routinely. A 4.x user's block list holds 20 tokens (GSQL.Token.DropLimit); scheduled rotations
   * of 30-day tokens on a few connections sharing a user would fill it within weeks, and a full list
   * either refuses or drops its oldest entry, bringing a revoked token back (UNCONFIRMED which).
   * On-demand `delete` (an incident) revokes whatever this says.
   */
  routineRevokeMinRemainingSeconds: z._default(nonNegativeInt(), 5_184_000),
  concurrency: z._default(z.number().check(z.int(), z.minimum(CONCURRENCY_BOUNDS.min), z.maximum(CONCURRENCY_BOUNDS.max)), 10),
  /** The sweep's share of the write quota (PutSecretValue + UpdateSecretVersionStage), per second. */
  writesPerSecond: z._default(perSecond(SECRETS_MANAGER_WRITE_QUOTA), 40),
  /** The sweep's share of the RotateSecret quota, per second. */
  rotationsPerSecond: z._default(perSecond(SECRETS_MANAGER_ROTATE_QUOTA), 40),
  /**
   * How often the scheduled sweep runs (the construct writes its scheduleRate here). A pause or a
   * rotation window holds a token's renewal back only while two more sweeps would still come
   * before it expires (core/operations/routine.ts).
   */
  sweepIntervalSeconds: z._default(z.number().check(z.int(), z.minimum(60)), 3_600),
  /**
   * Attempts at one AWSPENDING version whose token the server refuses before the rotation gives
   * it up (core/rotation/pending-attempts.ts): its token is revoked where the API can, AWSPENDING
   * removed, and the next rotation mints afresh. A token refused for good (revoked by an admin,
   * minted under a credential rotated since) would otherwise be re-tested forever.
   */
  pendingTokenAttempts: z._default(z.number().check(z.int(), z.minimum(PENDING_TOKEN_ATTEMPTS_BOUNDS.min), z.maximum(PENDING_TOKEN_ATTEMPTS_BOUNDS.max)), 3),
  /**
   * How long testSecret keeps trying a freshly minted token the server refuses, with back-off,
   * before it counts as refused (core/rotation/patience.ts): issuer and API can disagree on the
   * clock, or a token can take seconds to propagate. Never past the invocation's remaining time
   * less a margin. 0: one try.
   */
  newTokenPatienceSeconds: z._default(z.number().check(z.int(), z.minimum(0), z.maximum(NEW_TOKEN_PATIENCE_MAX_SECONDS)), 60),
});

export type OperationalSettings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: OperationalSettings = settingsSchema.parse({});

/** Parses the parameter's value (already JSON-decoded, or a raw string); undefined means "not set": defaults. */
export function parseSettings(value: unknown, source = DEFAULT_SETTINGS_PARAMETER): OperationalSettings {
  if (value === undefined || value === null || value === '') return DEFAULT_SETTINGS;
  let raw = value;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw new ValidationError(`settings ${source} is not valid JSON: expected {"refreshBeforeSeconds": n, "revokeGraceSeconds": n, "concurrency": n}`);
    }
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) throw toValidationError(`settings ${source}`, parsed.error);
  return parsed.data;
}

/** A field in the token secret overrides the same field of the settings, for that secret only. */
export function settingsFor(secret: TokenSecret, settings: OperationalSettings): OperationalSettings {
  return {
    ...settings,
    ...(secret.refreshBeforeSeconds !== undefined ? { refreshBeforeSeconds: secret.refreshBeforeSeconds } : {}),
    ...(secret.revokeGraceSeconds !== undefined ? { revokeGraceSeconds: secret.revokeGraceSeconds } : {}),
    ...(secret.routineRevokeMinRemainingSeconds !== undefined ? { routineRevokeMinRemainingSeconds: secret.routineRevokeMinRemainingSeconds } : {}),
  };
}
