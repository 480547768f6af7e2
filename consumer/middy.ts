/**
 * middy middleware for consumer Lambdas: one token source per container (created with the
 * middleware, at init), put on `context.tokenSource` for every invocation. A separate entry from
 * consumer/index.ts, so apps that do not use middy never load it; it imports middy's types only.
 *
 *   export const handler = middy(run).use(tokenSourceMiddleware({ secretId: process.env.TOKEN_SECRET_ID! }));
 *   async function run(event: unknown, context: ContextWithTokenSource) {
 *     const res = await tokenFetch(context.tokenSource)('/echo');
 *   }
 */
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { createTokenSource } from './source.js';
import type { TokenSource, TokenSourceOptions } from './types.js';

export type ContextWithTokenSource = Context & { tokenSource: TokenSource };

export type TokenSourceMiddlewareOptions = TokenSourceOptions;

export function tokenSourceMiddleware(
  options: TokenSourceMiddlewareOptions,
): MiddlewareObj<unknown, unknown, Error, ContextWithTokenSource> & { tokenSource: TokenSource } {
  // Created once, with the middleware: it does no I/O until the first get().
  const tokenSource = createTokenSource(options);
  return {
    name: 'tokenSource',
    tokenSource,
    before: (request) => {
      request.context.tokenSource = tokenSource;
    },
  };
}

export type { TokenSource, TokenSourceOptions, TokenInfo } from './types.js';
