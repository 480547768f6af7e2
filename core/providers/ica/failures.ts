/**
 * Turns an ICA HTTP failure into a typed error from core/errors.ts. ICA answers failures as RFC 7807
 * Problems (`application/problem+json`: type, title, status, detail?, instance?, id?, parameters,
 * timestamp); their title and detail are quoted only after sanitizing, because a server may echo
 * the API key or JWT it refused, and any other body (a proxy's page) is never quoted
 * (core/http/failures.ts). Messages name the call and say what to check.
 */
import { BadCredentialError, HttpError, RefreshUnsupportedError, ValidationError, type TokenError } from '../../errors.js';
import { asRecord, describeBody, hasText, holdsSensitive, sanitizeServerMessage, type FailedCall } from '../../http/failures.js';
import type { IcaMode, IcaOp } from './types.js';

/** The Problem fields the client reads; every one optional because a proxy's answer may be anything. */
export interface IcaProblem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  id?: string;
  parameters?: Record<string, unknown>;
  timestamp?: string;
}

/** The Problem in a body, or undefined when the body is not one (no title, type or detail). */
export function parseProblem(body: unknown): IcaProblem | undefined {
  const rec = asRecord(body);
  if (!rec) return undefined;
  if (typeof rec.title !== 'string' && typeof rec.type !== 'string' && typeof rec.detail !== 'string') return undefined;
  const p: IcaProblem = {};
  for (const key of ['type', 'title', 'detail', 'instance', 'id', 'timestamp'] as const) {
    if (typeof rec[key] === 'string') p[key] = rec[key];
  }
  if (typeof rec.status === 'number') p.status = rec.status;
  const parameters = asRecord(rec.parameters);
  if (parameters) p.parameters = parameters;
  return p;
}

/** A refused ICA call, with how it authenticated. */
export interface IcaFailure extends FailedCall<IcaOp> {
  mode: IcaMode;
  tenant: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `HTTP 401: "title: detail" (problem id …)`: the server's words, sanitized; or
 * `HTTP 502, text/html, 48213 bytes` for a body that is not a JSON object.
 */
function describe(ctx: IcaFailure): { detail: string; serverMessage: string | undefined } {
  const problem = parseProblem(ctx.body);
  const words = problem ? [problem.title, problem.detail].filter((w) => w !== undefined && w.length > 0).join(': ') : '';
  const serverMessage = words ? sanitizeServerMessage(words, ctx.sensitive) : undefined;
  // The Problem id is what Illumina support asks for. The sanitizer would redact a UUID (a long
  // run of [A-Za-z0-9-]), so it is quoted only when it is exactly a UUID and holds no secret.
  const id = problem?.id !== undefined && UUID.test(problem.id) && !holdsSensitive(problem.id, ctx.sensitive) ? problem.id : undefined;
  const page = !asRecord(ctx.body) && hasText(ctx.text) ? `, ${describeBody(ctx, ctx.sensitive)}` : '';
  const detail = `HTTP ${ctx.status}${page}${serverMessage ? `: "${serverMessage}"` : ''}${id ? ` (problem id ${id})` : ''}`;
  return { detail, serverMessage };
}

/** Maps a non-2xx answer to a typed error. (verify's 401 is a plain `false` and never gets here.) */
export function failureToError(ctx: IcaFailure): TokenError {
  const { detail, serverMessage } = describe(ctx);
  const what = `${ctx.method} ${ctx.url} (${ctx.op})`;
  const refusal = ctx.status === 401 || ctx.status === 403;

  if (ctx.op === 'create' && refusal) {
    const tenantHint = ctx.mode === 'password' && ctx.tenant === undefined ? '; a user in several tenants must also set "tenant" in the token secret' : '';
    return new BadCredentialError(
      `ICA refused the credential for ${what} (${detail}): check apiKey, or username/password, in the credential secret; ` +
        `Basic auth does not work for SSO accounts (use an API key); API keys are revoked in the ICA portal${tenantHint}`,
    );
  }
  if (ctx.op === 'create' && ctx.status === 400 && ctx.mode === 'password') {
    // ICA needs ?tenant= for a user in several tenants (the status is UNCONFIRMED; 400 is the documented reading).
    const check =
      ctx.tenant === undefined
        ? 'a user that belongs to several tenants must set "tenant" to the tenant to mint in'
        : `check that "${ctx.tenant}" is a tenant this user belongs to`;
    return new ValidationError(`ica: token secret: tenant: ICA refused ${what} (${detail}): ${check}`, 'tenant');
  }
  if (ctx.op === 'refresh' && (refusal || ctx.status === 400)) {
    // Whether an expired or an API-key JWT is refused with 401 or 400 is UNCONFIRMED, and a JWT
    // minted with an API key before the credential secret changed is refused although valid:
    // every such refusal means "this JWT cannot be refreshed", so the core mints a new one.
    return new RefreshUnsupportedError(
      `ICA refused to refresh the JWT at ${what} (${detail}): it has expired, was minted with an API key, or is no longer accepted; mint a new JWT instead`,
    );
  }
  const hint =
    ctx.status >= 500
      ? 'the server failed; retry later and check the ICA service status'
      : ctx.status === 404 || ctx.status === 405
        ? `check the host: scheme://host[:port] of an ICA region such as https://ica.illumina.com, without a path (the client adds /ica/rest)`
        : 'check the host, the credential secret and the token secret\'s tenant';
  return new HttpError(`ICA answered ${what} with ${detail}; ${hint}`, ctx.status, undefined, serverMessage);
}
