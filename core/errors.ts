/**
 * Typed errors a caller can act on. Every message says what to check and never contains a token,
 * a TigerGraph secret or a password: callers may log `error.message` as it is.
 */
export type TokenErrorCode =
  | 'AUTH_DISABLED'
  | 'BAD_CREDENTIAL'
  | 'TOKEN_NOT_FOUND'
  | 'REFRESH_UNSUPPORTED'
  | 'HTTP_ERROR'
  | 'TRANSPORT_ERROR'
  | 'VALIDATION'
  | 'CONFIG'
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

/** The server is reachable but token authentication is not enabled on it (REST-1000 on /requesttoken). */
export class AuthenticationDisabledError extends TokenError {
  readonly code = 'AUTH_DISABLED' as const;
}

/** The TigerGraph secret or username/password was refused. */
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

/** The secret's versions or staging labels are not in a state the requested step can act on. */
export class RotationStateError extends TokenError {
  readonly code = 'ROTATION_STATE' as const;
}

export function isTokenError(e: unknown): e is TokenError {
  return e instanceof TokenError;
}
