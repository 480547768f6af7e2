/**
 * Turns a Trifacta HTTP failure into a typed error from core/errors.ts. The error body is
 * `{"exception": {"name", "message", "details"}}` on the Alteryx One gateway and UNCONFIRMED
 * elsewhere, so other JSON bodies are read too, and plain-text ones for "Route doesn't exist".
 * Messages name the method, the URL and what to check, and never carry a token value, a password
 * or a Basic header: a JSON error's text is sanitized with the values in play, and a body that is
 * not a JSON object is never quoted (core/http/failures.ts).
 */
import { AuthenticationDisabledError, BadCredentialError, HttpError, type TokenError } from '../../errors.js';
import { asRecord, describeBody, hasText, nonEmptyString, sanitizeServerMessage, serverIdentifier, type FailedCall } from '../../http/failures.js';
import type { TrifactaOp } from './types.js';

/** A refused Trifacta call. */
export interface FailureContext extends FailedCall<TrifactaOp> {
  /** How the call authenticated: a refusal means "bad username/password" only for Basic. */
  auth: 'basic' | 'bearer';
}

/** What the server said, as far as a message may say it. */
export interface ServerFailure {
  /** The envelope's exception name, when it is a plain identifier. */
  name: string | undefined;
  /** A JSON error's message, sanitized; '' when the server said nothing quotable. */
  message: string;
  /** `text/plain, 27 bytes` for a body that is not a JSON object (never quoted); else undefined. */
  page: string | undefined;
  /** The server said its route does not exist (feature disabled, or not a Trifacta /v4 API). */
  routeMissing: boolean;
}

/** The parts of an answer `serverFailure` reads (an HttpResult has them). */
export type ErrorAnswer = Pick<FailureContext, 'body' | 'text' | 'contentType'>;

/** How far into a body "Route doesn't exist" is looked for: it is the whole of such an answer. */
const ROUTE_WINDOW = 2_000;
const ROUTE_MISSING = /route (doesn'?t|does not) exist|route not found/i;

export function serverFailure(answer: ErrorAnswer, sensitive: readonly string[]): ServerFailure {
  const rec = asRecord(answer.body);
  const exception = asRecord(rec?.exception) ?? rec;
  if (exception) {
    const name = serverIdentifier(exception.name, sensitive);
    const raw = nonEmptyString(exception.message) ?? nonEmptyString(exception.details) ?? nonEmptyString(exception.error) ?? '';
    return {
      name,
      message: raw ? sanitizeServerMessage(raw, sensitive) : '',
      page: undefined,
      routeMissing: name === 'RouteNotFoundException' || saysRouteMissing(raw),
    };
  }
  // Not a JSON object: a plain-text or HTML error page. Older releases say "Route doesn't exist" in
  // plain text, so it is read for that, but never quoted.
  return { name: undefined, message: '', page: hasText(answer.text) ? describeBody(answer, sensitive) : undefined, routeMissing: saysRouteMissing(answer.text) };
}

function saysRouteMissing(text: string): boolean {
  return ROUTE_MISSING.test(text.length > ROUTE_WINDOW ? text.slice(0, ROUTE_WINDOW) : text);
}

/** A 404 that says the route does not exist (feature disabled, or not a Trifacta /v4 API). */
export function isRouteMissing(status: number, failure: ServerFailure): boolean {
  return status === 404 && failure.routeMissing;
}

/** A 404 that names the token id as unknown (the documented DataNotFoundException). */
export function isDataNotFound(status: number, failure: ServerFailure): boolean {
  return status === 404 && failure.name === 'DataNotFoundException';
}

export function describeFailure(status: number, failure: ServerFailure): string {
  return `HTTP ${status}${failure.page ? `, ${failure.page}` : ''}${failure.name ? `, ${failure.name}` : ''}${failure.message ? `: "${failure.message}"` : ''}`;
}

/** Maps a non-2xx answer to a typed error. */
export function failureToError(ctx: FailureContext): TokenError {
  const failure = serverFailure(ctx, ctx.sensitive);
  const what = `${ctx.method} ${ctx.url} (${ctx.op})`;
  const detail = describeFailure(ctx.status, failure);
  const origin = new URL(ctx.url).origin;

  if (isRouteMissing(ctx.status, failure)) {
    return new AuthenticationDisabledError(
      `Trifacta answered ${what} with ${detail}: API access tokens are disabled for this workspace or not allowed to this user ` +
        `(a workspace admin enables them), or ${origin} is not a Trifacta / Designer Cloud workspace: check the host`,
    );
  }
  // Documented: AccessControlException. Whatever the body (plain text is possible), a 403 on create
  // reads as "not allowed": the provider lists with the same credential first, so a wrong password
  // has already failed there.
  if (ctx.op === 'create' && ctx.status === 403) {
    return new AuthenticationDisabledError(
      `Trifacta refused ${what} with ${detail}: API access tokens are not allowed to this user or are disabled for the workspace; ` +
        'ask a workspace admin to allow API access tokens for the user named in the credential secret',
    );
  }
  if (ctx.auth === 'basic' && (ctx.status === 401 || ctx.status === 403)) {
    return new BadCredentialError(
      `Trifacta refused the credential for ${what} (${detail}): check username/password in the credential secret ` +
        `and that this user can sign in to the workspace at ${origin}` +
        (ctx.status === 403 ? ' (a 403 can also mean the user may not manage API access tokens)' : ''),
    );
  }
  const hint =
    ctx.status >= 500
      ? 'the server failed; retry later and check the Trifacta / Designer Cloud service health'
      : ctx.status === 400
        ? 'the server refused the request body; check lifetimeSeconds in the token secret (a positive number of seconds)'
        : ctx.status === 404
          ? 'check that the host is the workspace URL (scheme://host[:port], no path) serving the /v4 API'
          : ctx.status === 401 || ctx.status === 403
            ? 'the token was refused; a rotation replaces it'
            : 'check the host and the Trifacta / Designer Cloud version';
  return new HttpError(`Trifacta answered ${what} with ${detail}; ${hint}`, ctx.status, failure.name, failure.message || undefined);
}
