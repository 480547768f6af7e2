/**
 * Typed errors a caller can act on. Every message says what to check and never contains a token,
 * a secret, a password or an API key: callers may log `error.message` as it is.
 */
import type * as z from 'zod/mini';

export type TokenErrorCode =
  | 'AUTH_DISABLED'
  | 'BAD_CREDENTIAL'
  | 'TOKEN_NOT_FOUND'
  | 'REFRESH_UNSUPPORTED'
  | 'REVOKE_LIMIT'
  | 'HTTP_ERROR'
  | 'TRANSPORT_ERROR'
  | 'VALIDATION'
  | 'CONFIG'
  | 'BINDING'
  | 'NOT_OWNED'
  | 'ROTATION_STATE';

export abstract class TokenError extends Error {
  abstract readonly code: TokenErrorCode;
  /** True when retrying the same call later may succeed (transport faults, 5xx). */
  readonly retryable: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input from an event, a secret's JSON or settings: names the field and what was expected. */
export class ValidationError extends TokenError {
  readonly code = 'VALIDATION' as const;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

/**
 * The credential secret still holds the placeholder the deployment created (every value empty):
 * expected right after a first deploy, until the operator fills it in. Not an incident.
 */
export class CredentialNotSetError extends ValidationError {
  constructor(credentialSecretId: string, shapes: string) {
    super(`credentialSecretId: the credential secret ${credentialSecretId} has not been filled in yet; set it to ${shapes}`, 'credentialSecretId');
    this.name = 'CredentialNotSetError';
  }
}

/** The server is reachable but token authentication is not enabled on it (REST-1000 on /requesttoken). */
export class AuthenticationDisabledError extends TokenError {
  readonly code = 'AUTH_DISABLED' as const;
}

/** The credential was refused (a TigerGraph secret, a username and password, an API key). */
export class BadCredentialError extends TokenError {
  readonly code = 'BAD_CREDENTIAL' as const;
}

/** The token is unknown, deleted or expired at the server. */
export class TokenNotFoundError extends TokenError {
  readonly code = 'TOKEN_NOT_FOUND' as const;
}

/** The provider cannot extend a token in place (TigerGraph 4.x): rotate instead. */
export class RefreshUnsupportedError extends TokenError {
  readonly code = 'REFRESH_UNSUPPORTED' as const;
}

/**
 * The server keeps a bounded list of revoked tokens and it is full (TigerGraph 4.x: the per-user
 * block list, GSQL.Token.DropLimit): the token was NOT revoked and still works.
 */
export class RevokeLimitError extends TokenError {
  readonly code = 'REVOKE_LIMIT' as const;
}

/** The server answered with an unexpected HTTP status or an error body. */
export class HttpError extends TokenError {
  readonly code = 'HTTP_ERROR' as const;
  override readonly retryable: boolean;
  constructor(
    message: string,
    readonly status: number,
    readonly restCode?: string,
    readonly serverMessage?: string,
  ) {
    super(message);
    this.retryable = status >= 500;
  }
}

/** No usable HTTP answer: timeout, connection refused or reset, TLS failure, malformed body. */
export class TransportError extends TokenError {
  readonly code = 'TRANSPORT_ERROR' as const;
  override readonly retryable = true;
  constructor(
    message: string,
    readonly reason: 'timeout' | 'refused' | 'reset' | 'tls' | 'dns' | 'malformed' | 'other',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The deployment or secret configuration cannot work as given (e.g. http:// without allowInsecureHttp). */
export class ConfigError extends TokenError {
  readonly code = 'CONFIG' as const;
}

/**
 * A credential would go somewhere its deployment did not bind it to: another host, or a token
 * secret the deployment did not pair it with (core/providers/binding.ts). Nothing was sent.
 */
export class CredentialBindingError extends TokenError {
  readonly code = 'BINDING' as const;
}

/** A secret this deployment does not own (not one of its token secrets): nothing was done to it. */
export class NotOwnedError extends TokenError {
  readonly code = 'NOT_OWNED' as const;
}

/** The secret's versions or staging labels are not in a state the requested step can act on. */
export class RotationStateError extends TokenError {
  readonly code = 'ROTATION_STATE' as const;
}

/**
 * Turns a zod failure into a ValidationError naming each field and what was expected, never the
 * value (a zod issue message can quote input, so messages are rebuilt from path and expectation).
 * `what` says whose input it was, e.g. "on-demand event" or "ica: credential secret".
 */
export function toValidationError(what: string, error: z.core.$ZodError, hints: { union?: string } = {}): ValidationError {
  const issues = describeIssues(error, hints);
  const parts = issues.map(({ field, expected }) => `${field ?? '(root)'}: ${expected}`);
  return new ValidationError(`${what} is invalid: ${parts.join('; ')}`, issues[0]?.field);
}

/** Each issue of a zod failure: the field (dotted path; undefined at the root) and what was expected, never the value. */
export function describeIssues(error: z.core.$ZodError, hints: { union?: string } = {}): Array<{ field: string | undefined; expected: string }> {
  return error.issues.map((issue) => ({ field: issue.path.length ? issue.path.join('.') : undefined, expected: expectation(issue, hints) }));
}

/** What a zod issue expected, in words (zod/mini issues, as the handlers and secrets parse with it). */
function expectation(issue: z.core.$ZodIssue, hints: { union?: string }): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected === 'int' ? 'an integer' : issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' ? 'expected a non-empty string' : issue.origin === 'array' ? `expected at least ${String(issue.minimum)} item(s)` : `expected at least ${String(issue.minimum)}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)}`;
    case 'unrecognized_keys':
      return `unexpected field(s) ${issue.keys.join(', ')}`;
    case 'invalid_union':
      return hints.union ?? 'expected one of the documented shapes';
    default:
      // custom and format issues carry our own messages, which never quote the input.
      return issue.message;
  }
}
