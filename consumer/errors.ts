/**
 * The consumer library's typed errors. Every message says what to check and never contains a
 * token (nor a response body, which a server may use to quote the token back): an app may log
 * `error.message` as it is.
 */
import { ROTATION_ERROR_TAG, TOKEN_SECRET_DOCS_URL } from '../core/names.js';
import { edgeOf } from './base-url.js';
import type { ProviderName } from './types.js';

export type ConsumerErrorCode = 'TOKEN_NOT_READY' | 'SECRET_READ' | 'SECRET_INVALID' | 'TOKEN_REFUSED' | 'REDIRECT_REFUSED';

export abstract class ConsumerError extends Error {
  abstract readonly code: ConsumerErrorCode;
  /** True when the same call may succeed later without anyone changing anything. */
  readonly retryable: boolean = false;
  constructor(
    message: string,
    readonly secretId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

const WHY_ROTATION_FAILED = `the secret's \`${ROTATION_ERROR_TAG}\` tag and the rotation function's logs say why a rotation failed`;

/** The token secret holds no token yet: its first rotation has not run, or has not succeeded. */
export class TokenNotReadyError extends ConsumerError {
  readonly code = 'TOKEN_NOT_READY' as const;
  override readonly retryable = true;
  constructor(secretId: string, credentialSecretId?: string) {
    super(
      `token secret ${secretId} holds no token yet: its first rotation has not run or has not succeeded. ` +
        `Check that the credential secret${credentialSecretId ? ` ${credentialSecretId}` : ''} (credentialSecretId) is filled in, ` +
        `and that rotation is enabled on the token secret; ${WHY_ROTATION_FAILED}`,
      secretId,
    );
  }
}

/** What a SecretReadError knows beyond the AWS error. */
export interface SecretReadContext {
  /** The staging label read (TokenSourceOptions.versionStage). Default AWSCURRENT. */
  versionStage?: string;
  /**
   * The expiry of the token the source had read before, when it is too close to (or past) it to be
   * served instead (TokenSourceOptions.expiryMarginMs): the app has no valid token until a read succeeds.
   */
  cachedExpiresAt?: Date;
}

/**
 * GetSecretValue failed (access, missing secret, network, throttling, the source's read timeout)
 * and no token the source read before could stand in: there was none, it has expired or is about
 * to (`cachedExpiresAt`), or the error is not one that passes (access, a missing secret).
 */
export class SecretReadError extends ConsumerError {
  readonly code = 'SECRET_READ' as const;
  override readonly retryable: boolean;
  /** The AWS error name, e.g. AccessDeniedException; TimeoutError for the source's own read timeout. */
  readonly awsErrorName: string | undefined;
  /** Set when a token read before existed but was too close to its expiry to be served (see SecretReadContext). */
  readonly cachedExpiresAt: Date | undefined;
  constructor(secretId: string, cause: unknown, context: SecretReadContext = {}) {
    const name = typeof (cause as { name?: unknown })?.name === 'string' ? (cause as { name: string }).name : undefined;
    const expired = context.cachedExpiresAt
      ? `; the token read before expires at ${context.cachedExpiresAt.toISOString()}, too close to serve it (expiryMarginMs), so there is no valid token until a read succeeds`
      : '';
    super(`reading token secret ${secretId} (${context.versionStage ?? 'AWSCURRENT'}) failed: ${name ?? 'error'}${hintFor(name)}${expired}`, secretId, {
      cause: safeCause(cause),
    });
    this.awsErrorName = name;
    this.retryable = !name || !PERMANENT.has(name);
    this.cachedExpiresAt = context.cachedExpiresAt;
  }
}

/**
 * The AWS error's name, message and $metadata (request id, HTTP status) only: an SDK
 * deserialization error carries the raw answer in `$response`, and a GetSecretValue answer's body
 * is the secret itself, so the original error is not kept where a logger would print it.
 */
function safeCause(cause: unknown): Error | undefined {
  if (!(cause instanceof Error)) return undefined;
  const copy = new Error(cause.message);
  copy.name = cause.name;
  const metadata = (cause as { $metadata?: unknown }).$metadata;
  if (metadata !== undefined) Object.assign(copy, { $metadata: metadata });
  return copy;
}

const PERMANENT = new Set(['AccessDeniedException', 'ResourceNotFoundException', 'InvalidParameterException', 'InvalidRequestException', 'DecryptionFailure']);

function hintFor(name: string | undefined): string {
  switch (name) {
    case 'AccessDeniedException':
      return ': check that the app role allows secretsmanager:GetSecretValue on this secret (and kms:Decrypt on its KMS key)';
    case 'ResourceNotFoundException':
      return ': check the secret name or ARN and the Region the client uses';
    case 'DecryptionFailure':
      return ': check that the app role may use the KMS key the secret is encrypted with (kms:Decrypt)';
    case 'InvalidRequestException':
      return ': the secret may be scheduled for deletion';
    case 'TimeoutError':
      return ': no answer within the read timeout (readTimeoutMs); check network access to Secrets Manager (a Lambda in a VPC needs a VPC endpoint or a NAT gateway)';
    default:
      return ': check network access to Secrets Manager and the app credentials';
  }
}

/** AWSCURRENT is not a token secret this library can use (not JSON, bad host, unknown provider...). */
export class SecretFormatError extends ConsumerError {
  readonly code = 'SECRET_INVALID' as const;
  constructor(
    secretId: string,
    message: string,
    /** The field at fault, when one is. */
    readonly field?: string,
  ) {
    super(`token secret ${secretId} is invalid: ${message} (the token secret's fields: ${TOKEN_SECRET_DOCS_URL})`, secretId);
  }
}

export interface TokenRefusedDetails {
  secretId: string;
  /** The staging label re-read (TokenSource.versionStage). Default AWSCURRENT. */
  versionStage?: string;
  provider: ProviderName;
  /** The version the second (refused) attempt used. */
  versionId: string;
  /** Whether the re-read returned the version that was refused the first time. */
  sameVersion: boolean;
  /**
   * True when there was no re-read and no second attempt: a re-read moments before (after an
   * earlier refusal) had found this version still current, and the source backs off.
   */
  backedOff?: boolean;
  /** HTTP status of the second refusal, when known. */
  status?: number;
  baseUrl: string;
  graph?: string;
}

/**
 * The provider refused the token, AWSCURRENT was re-read, and the retry was refused too (or, during
 * the source's refusal back-off, the version a recent re-read confirmed was refused again). Not
 * retried further: another attempt now would only repeat the same calls.
 */
export class TokenRefusedError extends ConsumerError {
  readonly code = 'TOKEN_REFUSED' as const;
  readonly provider: ProviderName;
  readonly versionId: string;
  readonly sameVersion: boolean;
  readonly backedOff: boolean;
  readonly status: number | undefined;
  constructor(details: TokenRefusedDetails) {
    const status = details.status !== undefined ? `, HTTP ${details.status}` : '';
    super(
      (details.backedOff
        ? `${details.provider} refused the token of secret ${details.secretId} (version ${details.versionId}${status}), which a re-read of ${details.versionStage ?? 'AWSCURRENT'} ` +
          'after an earlier refusal moments ago found still current: not re-read again until the back-off ends (refusalBackoffMs). '
        : `${details.provider} refused the token of secret ${details.secretId} twice, the second time right after re-reading ${details.versionStage ?? 'AWSCURRENT'} ` +
          `(version ${details.versionId}${details.sameVersion ? ', unchanged: no rotation has replaced the refused token yet' : ', a newer version'}${status}). `) +
        `Check ${edgeOf(details.provider).refusedHint(details)}. Is the rotation failing? ${WHY_ROTATION_FAILED}.`,
      details.secretId,
    );
    this.provider = details.provider;
    this.versionId = details.versionId;
    this.sameVersion = details.sameVersion;
    this.backedOff = details.backedOff === true;
    this.status = details.status;
  }
}

export interface RedirectRefusedDetails {
  secretId: string;
  /** The base URL every authenticated request must stay under. */
  baseUrl: string;
  /** The redirect answer's HTTP status (301, 302, 303, 307 or 308). */
  status: number;
  /** Where it pointed: origin and path only (a query string may carry anything). */
  location: string;
  /** 'elsewhere': the target is not under baseUrl; 'too-many': the redirects under it did not end. */
  reason: 'elsewhere' | 'too-many';
}

/**
 * tokenFetch did not follow a redirect, so the token was not sent on: the target is not under the
 * base URL (another host, port, scheme or path), or the redirects under it went on too long.
 */
export class RedirectRefusedError extends ConsumerError {
  readonly code = 'REDIRECT_REFUSED' as const;
  readonly baseUrl: string;
  /** HTTP status of the redirect not followed (named so that no refusal check reads it as the call's status). */
  readonly redirectStatus: number;
  readonly location: string;
  readonly reason: RedirectRefusedDetails['reason'];
  constructor(details: RedirectRefusedDetails) {
    super(
      details.reason === 'elsewhere'
        ? `tokenFetch: HTTP ${details.status} redirected a call on secret ${details.secretId} to ${details.location}, which is not under ${details.baseUrl}; ` +
            'not followed, so the token was not sent there. Check that the secret\'s host (and ports or paths) name the server that answers, ' +
            'or call that URL yourself without the token if it needs none'
        : `tokenFetch: a call on secret ${details.secretId} was still redirected (HTTP ${details.status}, to ${details.location}) after the most redirects it follows; ` +
            'not followed further. Check the server\'s redirect rules under ' +
            details.baseUrl,
      details.secretId,
    );
    this.baseUrl = details.baseUrl;
    this.redirectStatus = details.status;
    this.location = details.location;
    this.reason = details.reason;
  }
}
