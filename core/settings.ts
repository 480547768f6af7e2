/**
 * Operational settings: the SSM parameter `/tg-token-rotation/config` (JSON), defaults where it or
 * a field is absent, and per-secret overrides from the token secret. Invalid settings fail at load
 * with the field named, never midway through a sweep.
 */
import * as z from 'zod/mini';
import { ValidationError } from './errors.js';
import { toValidationError, type TokenSecret } from './token-secret.js';

export const DEFAULT_SETTINGS_PARAMETER = '/tg-token-rotation/config';

/** Tag (value "true") that marks a token secret for the scheduled refresh (CONTRACT.md). */
export const MANAGED_TAG = 'tg-token-rotation:managed';

export const settingsSchema = z.strictObject({
  refreshBeforeSeconds: z._default(z.number().check(z.int(), z.minimum(0)), 259_200),
  revokeGraceSeconds: z._default(z.number().check(z.int(), z.minimum(0)), 3_600),
  concurrency: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(1_000)), 10),
});

export type Settings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = settingsSchema.parse({});

/** Parses the parameter's value (already JSON-decoded, or a raw string); undefined means "not set": defaults. */
export function parseSettings(value: unknown, source = DEFAULT_SETTINGS_PARAMETER): Settings {
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
export function settingsFor(secret: TokenSecret, settings: Settings): Settings {
  return {
    ...settings,
    ...(secret.refreshBeforeSeconds !== undefined ? { refreshBeforeSeconds: secret.refreshBeforeSeconds } : {}),
    ...(secret.revokeGraceSeconds !== undefined ? { revokeGraceSeconds: secret.revokeGraceSeconds } : {}),
  };
}
