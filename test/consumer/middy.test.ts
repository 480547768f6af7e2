/** tokenSourceMiddleware: one source per container, on context.tokenSource for every invocation. */
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { tokenFetch, type TokenSource } from '../../consumer/index.js';
import { tokenSourceMiddleware, type ContextWithTokenSource } from '../../consumer/middy.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { FakeSecrets, TOKEN } from './helpers.js';

describe('tokenSourceMiddleware', () => {
  it('puts the same source on every invocation context and reads the secret once while cached', async () => {
    const client = new FakeSecrets();
    const seen: TokenSource[] = [];
    const handler = middy(async (_event: unknown, context: ContextWithTokenSource) => {
      seen.push(context.tokenSource);
      const info = await context.tokenSource.get();
      return { versionId: info.versionId, hasToken: info.token === TOKEN };
    }).use(tokenSourceMiddleware({ secretId: 'app/token', client }));
    const first = await handler({}, lambdaContext('consumer') as ContextWithTokenSource);
    const second = await handler({}, lambdaContext('consumer') as ContextWithTokenSource);
    expect(first).toEqual({ versionId: 'v1', hasToken: true });
    expect(second).toEqual(first);
    expect(seen[0]).toBe(seen[1]);
    expect(client.calls).toBe(1);
  });

  it('exposes its source, e.g. to build a tokenFetch once per container', () => {
    const middleware = tokenSourceMiddleware({ secretId: 'app/token', client: new FakeSecrets() });
    expect(middleware.tokenSource.secretId).toBe('app/token');
    expect(typeof tokenFetch(middleware.tokenSource)).toBe('function');
  });
});
