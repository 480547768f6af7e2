/**
 * Turns a TigerGraph HTTP failure into a typed error from core/errors.ts. Messages say what to
 * check and never carry a token, secret or password: server messages are sanitized first because
 * REST++ quotes the token it refused ("Access Denied because the input token = '...' is invalid.").
 */
import { AuthenticationDisabledError, BadCredentialError, HttpError, TokenNotFoundError, type TokenError } from '../../errors.js';
import { asRecord, sanitizeServerMessage } from '../../http/failures.js';
import type { TigerGraphOp } from './types.js';

/** Codes meaning "this token is unknown, deleted or expired" (REST-3300 is what clients match). */
export const TOKEN_GONE_CODES: ReadonlySet<string> = new Set(['REST-3300', 'REST-10016', 'REST-10019']);

/** `error` is sometimes the string "true"/"false" in REST++ answers. */
export function isErrorFlag(v: unknown): boolean {
  return v === true || v === 'true';
}

export interface FailureContext {
  op: TigerGraphOp;
  method: string;
  url: string;
  status: number;
  /** Parsed JSON body, or undefined when the body was not JSON. */
  body: unknown;
  /** Raw body text, used (stripped of markup) only when the body was not JSON. */
  text: string;
  /** Values that must never appear in a message: the token in play, the secret, the password. */
  sensitive: readonly string[];
}

function serverMessageOf(ctx: FailureContext): string {
  const rec = asRecord(ctx.body);
  if (rec && typeof rec.message === 'string') return sanitizeServerMessage(rec.message, ctx.sensitive);
  if (!rec && ctx.text) return sanitizeServerMessage(ctx.text.replace(/<[^>]*>/g, ' ').slice(0, 200), ctx.sensitive);
  return '';
}

/** Maps a non-2xx answer, or a 2xx answer with `error: true`, to a typed error. */
export function failureToError(ctx: FailureContext): TokenError {
  const rec = asRecord(ctx.body);
  const restCode = rec && typeof rec.code === 'string' && rec.code ? rec.code : undefined;
  const serverMessage = serverMessageOf(ctx);
  const what = `${ctx.method} ${ctx.url} (${ctx.op})`;
  const detail = `HTTP ${ctx.status}${restCode ? `, ${restCode}` : ''}${serverMessage ? `: "${serverMessage}"` : ''}`;
  const tokenOp = ctx.op === 'refresh' || ctx.op === 'delete';
  const credentialOp = ctx.op === 'request' || tokenOp;

  if (restCode === 'REST-1000' && ctx.status === 404 && /\/requesttoken$/.test(ctx.url)) {
    return new AuthenticationDisabledError(
      `TigerGraph has no /requesttoken endpoint at ${ctx.url} (${detail}): enable REST++ authentication ` +
        '(gadmin config set RESTPP.Factory.EnableAuth true; gadmin config apply -y; gadmin restart restpp -y), ' +
        'and check that restppPort and tigergraphVersion point at the REST++ server of a TigerGraph 3.x',
    );
  }
  if (tokenOp && (restCode !== undefined && TOKEN_GONE_CODES.has(restCode) || looksLikeUnknownToken(serverMessage))) {
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
  const hint =
    ctx.status >= 500
      ? 'the server failed; retry later and check the TigerGraph service health'
      : ctx.status === 404
        ? 'check the host, restppPort/gsqlPort and tigergraphVersion (3.x and 4.x use different endpoints)'
        : 'check the request settings (graph, lifetimeSeconds) and the TigerGraph version';
  return new HttpError(`TigerGraph answered ${what} with ${detail}; ${hint}`, ctx.status, restCode, serverMessage || undefined);
}

function looksLikeUnknownToken(msg: string): boolean {
  return /token/i.test(msg) && /(not exist|doesn'?t exist|does not exist|not found|expired|invalid)/i.test(msg);
}

function looksLikeCredentialRefusal(msg: string): boolean {
  return /(secret|password|credential|authenticat|unauthori[sz]ed|username)/i.test(msg);
}
