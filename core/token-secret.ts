/**
 * The token secret's JSON (see CONTRACT.md) and the credential secret's JSON, parsed with zod so a
 * bad field fails with its name and what was expected. Parsing never echoes values: a zod issue
 * message can quote input, so messages are rebuilt from the path and expectation only.
 *
 * The schemas use `zod/mini` (zod 4's tree-shakable functional API, same issues and messages as
 * classic zod): these modules are bundled into every Lambda, and classic `zod` costs ~450 kB there.
 * Import it as `import * as z from 'zod/mini'`: esbuild tree-shakes a namespace import, but not the
 * `z` object of `import { z } from 'zod/mini'`, which keeps all of zod (~430 kB) in the bundle.
 */
import * as z from 'zod/mini';
import { ValidationError } from './errors.js';

const isoInstant = z.string().check(
  z.refine((s) => !Number.isNaN(Date.parse(s)) && /Z$|[+-]\d\d:\d\d$/.test(s), {
    message: 'expected a UTC ISO-8601 timestamp such as 2026-12-22T10:00:00.000Z',
  }),
);

/**
 * A TigerGraph host: scheme, host and optional port only. `schemes` narrows the accepted schemes
 * (the CDK config accepts https only; the token secret also http, which the client then refuses
 * unless allowInsecureHttp is set). A zod/mini schema; classic zod schemas (infra/config.ts) can
 * embed it, since both are zod 4 core schemas.
 */
export function hostUrlSchema(schemes: ReadonlyArray<'https:' | 'http:'> = ['https:', 'http:']) {
  return z.string().check(z.superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a URL with scheme and host, e.g. https://tg.example.com' });
      return;
    }
    if (!schemes.includes(url.protocol as 'https:' | 'http:')) {
      ctx.addIssue({
        code: 'custom',
        message: schemes.includes('http:')
          ? 'expected an https:// (or, for local runs, http://) URL'
          : 'expected an https:// URL (deployed functions never use plain HTTP)',
      });
    }
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'expected scheme, host and optional port only: no path, query or user info' });
    }
  }));
}

const hostUrl = hostUrlSchema();

const port = z.number().check(z.int(), z.minimum(1), z.maximum(65535));
const nonEmpty = () => z.string().check(z.minLength(1));
const nonNegativeInt = () => z.number().check(z.int(), z.minimum(0));

export const tokenSecretSchema = z.looseObject({
  host: hostUrl,
  // Which token API this secret belongs to; only "tigergraph" today (see core/providers.ts).
  provider: z.optional(nonEmpty()),
  tigergraphVersion: z._default(z.enum(['3', '4', 'auto']), 'auto'),
  restppPort: z.optional(port),
  gsqlPort: z.optional(port),
  graph: z.optional(nonEmpty()),
  lifetimeSeconds: z.optional(z.number().check(z.int(), z.minimum(60), z.maximum(10 * 365 * 86400))),
  credentialSecretId: nonEmpty(),
  allowInsecureHttp: z._default(z.boolean(), false),
  caCertificate: z.optional(z.string().check(z.includes('-----BEGIN', { message: 'expected a PEM bundle starting with -----BEGIN' }))),
  token: z.optional(nonEmpty()),
  expiresAt: z.optional(isoInstant),
  issuedAt: z.optional(isoInstant),
  // Per-secret overrides of the SSM settings (CONTRACT: a field here overrides the same field there).
  refreshBeforeSeconds: z.optional(nonNegativeInt()),
  revokeGraceSeconds: z.optional(nonNegativeInt()),
});

export type TokenSecret = z.infer<typeof tokenSecretSchema>;

export const credentialSecretSchema = z.union([
  z.looseObject({ secret: nonEmpty() }),
  z.looseObject({ username: nonEmpty(), password: nonEmpty() }),
]);

export type Credentials = { secret: string } | { username: string; password: string };

/** Turns a zod failure into a ValidationError naming each field and what was expected (never the value). */
export function toValidationError(what: string, error: z.core.$ZodError): ValidationError {
  const parts = error.issues.map((issue) => {
    const field = issue.path.length ? issue.path.join('.') : '(root)';
    return `${field}: ${describeIssue(issue)}`;
  });
  const first = error.issues[0]?.path.join('.') || undefined;
  return new ValidationError(`${what} is invalid: ${parts.join('; ')}`, first);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' ? 'expected a non-empty string' : `expected at least ${String(issue.minimum)}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)}`;
    case 'unrecognized_keys':
      return `unexpected field(s) ${issue.keys.join(', ')}`;
    case 'invalid_union':
      return 'expected {"secret": "..."} or {"username": "...", "password": "..."}';
    default:
      // custom and format issues carry our own messages, which never quote the input.
      return issue.message;
  }
}

/** Parses a SecretString as JSON, naming the secret (by id, never by content) on failure. */
export function parseJsonSecret(secretString: string | undefined, what: string): unknown {
  if (secretString === undefined) throw new ValidationError(`${what} has no SecretString (binary secrets are not supported)`);
  try {
    return JSON.parse(secretString);
  } catch {
    throw new ValidationError(`${what} is not valid JSON: expected a JSON object as described in the README`);
  }
}

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
 * The next version's JSON: every field of the current secret kept as it was (no defaults added),
 * with the token fields replaced.
 */
export function withToken(
  currentSecretString: string,
  issued: { token: string; expiresAt: Date; issuedAt: Date },
  extra: Record<string, unknown> = {},
): string {
  const raw = JSON.parse(currentSecretString) as Record<string, unknown>;
  return JSON.stringify({
    ...raw,
    ...extra,
    token: issued.token,
    expiresAt: issued.expiresAt.toISOString(),
    issuedAt: issued.issuedAt.toISOString(),
  });
}

/** One string field of a secret's JSON, or undefined when absent or not parseable (never throws). */
export function stringField(secretString: string, name: string): string | undefined {
  try {
    const value = (JSON.parse(secretString) as Record<string, unknown>)[name];
    return typeof value === 'string' && value ? value : undefined;
  } catch {
    return undefined;
  }
}

export function parseCredentials(secretString: string | undefined, what = 'credential secret'): Credentials {
  const raw = parseJsonSecret(secretString, what);
  const parsed = credentialSecretSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError(
      `${what} is invalid: expected {"secret": "<TigerGraph secret>"} or {"username": "...", "password": "..."}`,
      'secret',
    );
  }
  const data = parsed.data as { secret?: string; username?: string; password?: string };
  return typeof data.secret === 'string'
    ? { secret: data.secret }
    : { username: data.username as string, password: data.password as string };
}
