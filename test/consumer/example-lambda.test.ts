/**
 * examples/consumer-lambda against the local stack: the middy handler (tokenSourceMiddleware +
 * tokenFetch) calls REST++ GET /echo on the fake TigerGraph, keeps working while the product
 * rotates and revokes the token underneath it, and never returns the token.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContextWithTokenSource } from '../../consumer/middy.js';
import type { EchoResult } from '../../examples/consumer-lambda/handler.js';
import { handler as onDemand } from '../../functions/on-demand/handler.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';

let stack: LocalStack;
let secretId: string;
let handler: (event: unknown, context: ContextWithTokenSource) => Promise<EchoResult>;
const previous = process.env.TOKEN_SECRET_ID;

beforeAll(async () => {
  stack = await startLocalStack();
  secretId = await stack.createTokenSecret('examples/consumer-lambda/tg4', { version: 4 });
  // The handler reads TOKEN_SECRET_ID at import (init), as a Lambda reads its configuration.
  process.env.TOKEN_SECRET_ID = secretId;
  ({ handler } = (await import('../../examples/consumer-lambda/handler.js')) as unknown as { handler: typeof handler });
});
afterAll(async () => {
  if (previous === undefined) delete process.env.TOKEN_SECRET_ID;
  else process.env.TOKEN_SECRET_ID = previous;
  await stack?.close();
});

const invoke = () => handler({}, lambdaContext('consumer-lambda') as ContextWithTokenSource);
// The settings middleware adds `settings` to the context; the handler's type asks for it up front.
const onDemandContext = () => lambdaContext('on-demand') as Parameters<typeof onDemand>[1];
async function current() {
  const out = await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
  return { versionId: out.VersionId as string, token: (JSON.parse(out.SecretString as string) as { token: string }).token };
}

describe('examples/consumer-lambda', () => {
  it('calls TigerGraph REST++ /echo with the current token, and never returns the token', async () => {
    const { versionId, token } = await current();
    const echoes = stack.tg4.stats().echo;
    const result = await invoke();
    expect(result).toEqual({ ok: true, status: 200, message: 'Hello GSQL', versionId });
    expect(stack.tg4.stats().echo).toBe(echoes + 1);
    expect(JSON.stringify(result)).not.toContain(token);
  });

  it('keeps working while the token is rotated and the old one revoked underneath it: one refused call, one re-read', async () => {
    const before = await current();
    await invoke();
    await onDemand({ action: 'request', secretId }, onDemandContext());
    await stack.aws.rotationsSettled(secretId);
    const after = await current();
    expect(after.token).not.toBe(before.token);
    // Still cached: the old token works until it is revoked.
    expect((await invoke()).versionId).toBe(before.versionId);

    expect(await onDemand({ action: 'delete', secretId }, onDemandContext())).toMatchObject({ deleted: true });
    expect(stack.tg4.isLive(before.token)).toBe(false);
    const echoes = stack.tg4.stats().echo;
    const result = await invoke();
    expect(result).toEqual({ ok: true, status: 200, message: 'Hello GSQL', versionId: after.versionId });
    // The refused call and its retry.
    expect(stack.tg4.stats().echo).toBe(echoes + 2);
    expect((await invoke()).versionId).toBe(after.versionId);
    expect(stack.tg4.stats().echo).toBe(echoes + 3);
  });
});
