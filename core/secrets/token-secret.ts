/**
 * The token secret's JSON (docs/CONTRACT.md): the fields every provider shares, parsed with zod so
 * a bad field fails with its name and what was expected, and the helpers that read and write the
 * token fields of a version. A provider's own fields (TigerGraph's ports, ICA's tenant) are checked
 * by the provider (core/providers/); unknown fields are kept as they are through every write.
 */
import * as z from 'zod/mini';
import { toValidationError, ValidationError } from '../errors.js';
import { TOKEN_SECRET_DOCS_URL } from '../names.js';
import { DEFAULT_PROVIDER } from '../providers/edges.js';
import type { HeldToken, IssuedToken } from '../providers/provider.js';
import { parseRotationSchedule } from '../rotation-schedule.js';
import { hostUrlSchema, isoInstant, lifetimeSeconds, nonEmpty, nonNegativeInt } from './fields.js';

export const tokenSecretSchema = z.looseObject({
  provider: z._default(nonEmpty(), DEFAULT_PROVIDER),
  host: hostUrlSchema(),
  credentialSecretId: nonEmpty(),
  lifetimeSeconds: z.optional(lifetimeSeconds()),
  allowInsecureHttp: z._default(z.boolean(), false),
  caCertificate: z.optional(z.string().check(z.includes('-----BEGIN', { message: 'expected a PEM bundle starting with -----BEGIN' }))),
  token: z.optional(nonEmpty()),
  // null: the provider said the token never expires (Trifacta `expiredAt: null`). Absent: unknown.
  expiresAt: z.optional(z.nullable(isoInstant)),
  issuedAt: z.optional(isoInstant),
  // Versions whose tokens were replaced but not yet revoked (written by the rotation, see core/rotation/steps.ts).
  retiredVersionIds: z.optional(z.array(nonEmpty())),
  // Per-secret overrides of the SSM settings (CONTRACT: a field here overrides the same field there).
  refreshBeforeSeconds: z.optional(nonNegativeInt()),
  revokeGraceSeconds: z.optional(nonNegativeInt()),
  routineRevokeMinRemainingSeconds: z.optional(nonNegativeInt()),
  // The connection's rotation window (Secrets Manager's RotationRules form): the sweep's routine work happens inside it.
  rotationSchedule: z.optional(rotationScheduleSchema()),
});

export type TokenSecret = z.infer<typeof tokenSecretSchema>;

/** `{"scheduleExpression", "duration"?}`, checked as Secrets Manager would (core/rotation-schedule.ts). */
function rotationScheduleSchema() {
  return z.strictObject({ scheduleExpression: z.string(), duration: z.optional(z.string()) }).check(
    z.superRefine((value, ctx) => {
      try {
        parseRotationSchedule(value, '');
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        const field = (e.field ?? '').replace(/^\./, '');
        ctx.addIssue({ code: 'custom', path: field ? [field] : [], message: e.message.slice((e.field ?? '').length + 2) });
      }
    }),
  );
}

/** Parses a SecretString as JSON, naming the secret (by id, never by content) on failure. */
export function parseJsonSecret(secretString: string | undefined, what: string): unknown {
  if (secretString === undefined) throw new ValidationError(`${what} has no SecretString (binary secrets are not supported)`);
  try {
    return JSON.parse(secretString);
  } catch {
    throw new ValidationError(`${what} is not valid JSON: expected a JSON object as described in ${TOKEN_SECRET_DOCS_URL}`);
  }
}

/** The common fields of a token secret; the provider's own fields are checked when it is opened. */
export function parseTokenSecret(secretString: string | undefined, what = 'token secret'): TokenSecret {
  const raw = parseJsonSecret(secretString, what);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationError(`${what} is invalid: (root): expected a JSON object`);
  }
  const parsed = tokenSecretSchema.safeParse(raw);
  if (!parsed.success) throw toValidationError(what, parsed.error);
  return parsed.data;
}

/**
 * The next version's JSON: every field of `base` kept as it was (no defaults added), the token
 * fields replaced, and the provider fields of the old token (`tokenFields`) dropped unless the new
 * token has its own.
 */
export function withIssuedToken(
  base: string,
  issued: Pick<IssuedToken, 'token' | 'expiresAt' | 'issuedAt' | 'fields'>,
  options: { tokenFields?: readonly string[]; extra?: Record<string, unknown> } = {},
): string {
  const raw = JSON.parse(base) as Record<string, unknown>;
  for (const field of options.tokenFields ?? []) delete raw[field];
  return JSON.stringify({
    ...raw,
    ...options.extra,
    ...issued.fields,
    token: issued.token,
    expiresAt: issued.expiresAt === null ? null : issued.expiresAt.toISOString(),
    issuedAt: issued.issuedAt.toISOString(),
  });
}

/** The JSON object of a SecretString, or undefined when absent or not an object (never throws). */
export function secretJson(secretString: string | undefined): Record<string, unknown> | undefined {
  if (secretString === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(secretString);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The token a version holds, with the provider fields written beside it, or undefined when the
 * version holds no token (or no JSON). Never throws: used on old and half-written versions.
 */
export function heldToken(secretString: string | undefined, tokenFields: readonly string[] = []): HeldToken | undefined {
  const json = secretJson(secretString);
  const token = json?.token;
  if (typeof token !== 'string' || !token) return undefined;
  const fields: Record<string, unknown> = {};
  for (const name of tokenFields) if (json?.[name] !== undefined) fields[name] = json[name];
  const expiresAt = json?.expiresAt;
  return {
    token,
    fields,
    ...(expiresAt === null ? { expiresAt: null } : typeof expiresAt === 'string' && !Number.isNaN(Date.parse(expiresAt)) ? { expiresAt: new Date(expiresAt) } : {}),
  };
}

/** The `expiresAt` a version records, as written (ISO string or null), or undefined. */
export function recordedExpiry(secretString: string | undefined): string | null | undefined {
  const value = secretJson(secretString)?.expiresAt;
  return value === null || typeof value === 'string' ? value : undefined;
}
