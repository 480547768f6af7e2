/**
 * Turns a TigerGraph HTTP failure into a typed error from core/errors.ts. Messages say what to
 * check and never carry a token, secret or password: a JSON answer's message is sanitized first
 * because REST++ quotes the token it refused ("Access Denied because the input token = '...' is
 * invalid."), and a body that is not a JSON object is never quoted (core/http/failures.ts).
 *
 * A refresh or delete refusal is ambiguous: 3.x answers REST-10016 both for an unknown token and
 * (per the docs' silence) for a refused secret. `failureToError` gives its first reading; the
 * client proves it with a call using the token (client.ts) and then builds the final error with
 * `tokenGoneConfirmed` or `credentialRefusedTokenWorks`.
 */
import {
  AuthenticationDisabledError,
  BadCredentialError,
  HttpError,
  RevokeLimitError,
  TokenNotFoundError,
  type TokenError,
} from '../../errors.js';
import { asRecord, describeBody, hasText, sanitizeServerMessage, serverIdentifier, type FailedCall } from '../../http/failures.js';
import type { TigerGraphOp } from './types.js';

/** Codes meaning "this token is unknown, deleted or expired" (REST-3300 is what clients match). */
export const TOKEN_GONE_CODES: ReadonlySet<string> = new Set(['REST-3300', 'REST-10016', 'REST-10019']);

/** `error` is sometimes the string "true"/"false" in REST++ answers. */
export function isErrorFlag(v: unknown): boolean {
  return v === true || v === 'true';
}

/** A refused TigerGraph call. */
export type FailureContext = FailedCall<TigerGraphOp>;

export interface FailureFacts {
  restCode: string | undefined;
  /** Sanitized; '' when the server said nothing usable. */
  serverMessage: string;
  /** e.g. `PUT https://h:9000/requesttoken (refresh)`. */
  what: string;
  /**
   * e.g. `HTTP 401, REST-10016: "Access Denied because the input token = '[redacted]' is invalid."`,
   * or `HTTP 404, text/html, 153 bytes` for a body that is not a JSON object.
   */
  detail: string;
}

export function failureFacts(ctx: FailureContext): FailureFacts {
  const rec = asRecord(ctx.body);
  const restCode = serverIdentifier(rec?.code, ctx.sensitive);
  const serverMessage = rec && typeof rec.message === 'string' ? sanitizeServerMessage(rec.message, ctx.sensitive) : '';
  const what = `${ctx.method} ${ctx.url} (${ctx.op})`;
  const page = !rec && hasText(ctx.text) ? `, ${describeBody(ctx, ctx.sensitive)}` : '';
  const detail = `HTTP ${ctx.status}${page}${restCode ? `, ${restCode}` : ''}${serverMessage ? `: "${serverMessage}"` : ''}`;
  return { restCode, serverMessage, what, detail };
}

const isGsqlUrl = (url: string) => new URL(url).pathname.startsWith('/gsql/');

const NGINX_HINT =
  'if REST++ is only reachable through nginx on port 14240 (a self-managed 3.x exposing only that port), ' +
  'set restppPort 14240 and restppPath "/restpp" in the token secret; otherwise check the host, restppPort and tigergraphVersion';

/** Maps a non-2xx answer, or a 2xx answer with `error: true`, to a typed error. */
export function failureToError(ctx: FailureContext): TokenError {
  const { restCode, serverMessage, what, detail } = failureFacts(ctx);
  const tokenOp = ctx.op === 'refresh' || ctx.op === 'delete';
  const credentialOp = ctx.op === 'request' || tokenOp;
  const restpp = !isGsqlUrl(ctx.url);

  if (restCode === 'REST-1000' && ctx.status === 404) {
    // REST++ names the path it did not find. A path other than the endpoint asked for means REST++
    // is at another base (e.g. /restpp sent to the REST++ process itself), not that auth is off.
    const endpoint = `/${new URL(ctx.url).pathname.split('/').pop() ?? ''}`;
    const named = /url = (\/[^\s,]*)/.exec(serverMessage)?.[1];
    if (named !== undefined && named !== endpoint) {
      return new HttpError(
        `TigerGraph REST++ answered ${what} with ${detail}: REST++ is there but not under this path; ` +
          'it serves its endpoints at the root of its own port (9000) and under /restpp only through nginx (14240, Cloud 443): check restppPath and restppPort',
        ctx.status,
        restCode,
        serverMessage || undefined,
      );
    }
    if (endpoint === '/requesttoken') {
      return new AuthenticationDisabledError(
        `TigerGraph has no /requesttoken endpoint at ${ctx.url} (${detail}): enable REST++ authentication ` +
          '(gadmin config set RESTPP.Factory.EnableAuth true; gadmin config apply -y; gadmin restart restpp -y), ' +
          'and check that restppPort and tigergraphVersion point at the REST++ server of a TigerGraph 3.x',
      );
    }
  }
  if (tokenOp && ((restCode !== undefined && TOKEN_GONE_CODES.has(restCode)) || looksLikeUnknownToken(serverMessage))) {
    return new TokenNotFoundError(
      `TigerGraph does not know the token for ${what} (${detail}): it was deleted, has expired or was issued by another server`,
    );
  }
  if (credentialOp && (ctx.status === 401 || ctx.status === 403 || looksLikeCredentialRefusal(serverMessage))) {
    return new BadCredentialError(
      `TigerGraph refused the credential for ${what} (${detail}): check the TigerGraph secret ` +
        '(or username/password) in the credential secret, that it belongs to the configured graph, and the host',
    );
  }
  if (restpp && ctx.status === 404 && restCode === undefined) {
    return new HttpError(`No TigerGraph REST++ answered ${what} (${detail}): ${NGINX_HINT}`, 404, undefined, serverMessage || undefined);
  }
  const hint =
    ctx.status >= 500
      ? 'the server failed; retry later and check the TigerGraph service health'
      : ctx.status === 404
        ? 'check the host, restppPort/gsqlPort and tigergraphVersion (3.x and 4.x use different endpoints)'
        : 'check the request settings (graph, lifetimeSeconds) and the TigerGraph version';
  return new HttpError(`TigerGraph answered ${what} with ${detail}; ${hint}`, ctx.status, restCode, serverMessage || undefined);
}

/** The refusal of a refresh/delete was proven by REST++ refusing the token too. */
export function tokenGoneConfirmed(ctx: FailureContext): TokenNotFoundError {
  const { what, detail } = failureFacts(ctx);
  return new TokenNotFoundError(
    `TigerGraph does not accept the token any more: ${what} answered ${detail}, and REST++ GET /echo refuses the token too. ` +
      'It was deleted, has expired or was issued by another server',
  );
}

/** The refusal of a refresh/delete was not about the token: REST++ still accepts it. */
export function credentialRefusedTokenWorks(ctx: FailureContext): BadCredentialError {
  const { what, detail } = failureFacts(ctx);
  return new BadCredentialError(
    `TigerGraph refused ${what} (${detail}), yet the token still works (REST++ GET /echo accepts it): the credential was refused, ` +
      'not the token. Check the TigerGraph secret (or username/password) in the credential secret, that it belongs to the ' +
      "token's graph and user, and the host",
  );
}

/**
 * A 4.x block-list DELETE refused because the user's list is full. The body is UNCONFIRMED, so
 * this is a heuristic: an error answer that is not a login refusal (401) or a missing endpoint
 * (404) and whose message speaks of a limit. The client sends one token per call, so the
 * per-call bound cannot be what was hit.
 */
export function isBlockListFull(ctx: FailureContext): boolean {
  if (ctx.op !== 'delete' || !isGsqlUrl(ctx.url) || ctx.status === 401 || ctx.status === 404) return false;
  return /(limit|full|exceed|maximum|capacity|too many)/i.test(failureFacts(ctx).serverMessage);
}

export function blockListFullError(ctx: FailureContext): RevokeLimitError {
  const { what, detail } = failureFacts(ctx);
  return new RevokeLimitError(
    `TigerGraph 4.x did not block-list the token: ${what} answered ${detail}. The per-user token block list ` +
      '(GSQL.Token.DropLimit: 20 entries by default, 50 at most) is full, so the token still works. ' +
      'Clear it with DELETE /gsql/v1/tokens?clear=true, as the same user, once the tokens on it have expired ' +
      '(clearing brings back any that have not), or raise the limit: gadmin config set GSQL.Token.DropLimit 50; ' +
      'gadmin config apply -y; gadmin restart gsql -y. Routine revokes fill the list: keep them for incidents and long-lived tokens',
  );
}

function looksLikeUnknownToken(msg: string): boolean {
  return /token/i.test(msg) && /(not exist|doesn'?t exist|does not exist|not found|expired|invalid)/i.test(msg);
}

function looksLikeCredentialRefusal(msg: string): boolean {
  return /(secret|password|credential|authenticat|unauthori[sz]ed|username)/i.test(msg);
}
