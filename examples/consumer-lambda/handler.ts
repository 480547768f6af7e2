/**
 * Example consumer Lambda: an app that calls TigerGraph with the token the product keeps rotated.
 * The middy middleware gives every invocation the container's token source; tokenFetch adds the
 * REST++ base and the Bearer token, and re-reads AWSCURRENT once if the token is refused.
 *
 *   TOKEN_SECRET_ID=<token secret name or ARN>   (the function's role needs GetSecretValue on it)
 *
 * Invoke with any event; it answers `{ "ok": true, "status": 200, "message": "Hello GSQL", "versionId": "..." }`
 * from REST++ `GET /echo`. It never returns or logs the token. Run it locally against the local
 * stack: `npx tsx examples/consumer-lambda/run-local.ts`.
 */
import middy from '@middy/core';
import { tokenFetch } from 'tg-token-rotation-consumer';
import { tokenSourceMiddleware, type ContextWithTokenSource } from 'tg-token-rotation-consumer/middy';

export const TOKEN_SECRET_ENV = 'TOKEN_SECRET_ID';

export interface EchoResult {
  ok: boolean;
  status: number;
  /** REST++'s answer message ("Hello GSQL"), or its error message. */
  message: string | undefined;
  /** The token secret version the call used: which token, without the token. */
  versionId: string;
}

const secretId = process.env[TOKEN_SECRET_ENV];
if (!secretId) throw new Error(`${TOKEN_SECRET_ENV} is not set: set it to the token secret's name or ARN`);

async function echo(_event: unknown, context: ContextWithTokenSource): Promise<EchoResult> {
  const tg = tokenFetch(context.tokenSource);
  const response = await tg('/echo');
  const body = (await response.json().catch(() => undefined)) as { message?: unknown } | undefined;
  const { versionId } = await context.tokenSource.get();
  return {
    ok: response.ok,
    status: response.status,
    // A refusal's message may quote the token (REST-10016 does): only a success's message is returned.
    message: response.ok && typeof body?.message === 'string' ? body.message : undefined,
    versionId,
  };
}

// One token source per container: created here, at init, and shared by every invocation.
export const handler = middy(echo).use(tokenSourceMiddleware({ secretId }));
