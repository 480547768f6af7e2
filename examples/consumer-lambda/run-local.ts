/**
 * Runs the example consumer Lambda against the local stack (local/stack.ts): a fake TigerGraph
 * 4.x, the local Secrets Manager endpoint and the product's real handlers. It creates a token
 * secret (first token through RotateSecret and the rotation handler), invokes the consumer, then
 * rotates the token and revokes the old one underneath it (on-demand request + delete) and invokes
 * it again: the consumer re-reads AWSCURRENT once and carries on. Prints no token.
 *
 *   npx tsx examples/consumer-lambda/run-local.ts
 */
import type { ContextWithTokenSource } from 'tg-token-rotation-consumer/middy';
import type { EchoResult } from './handler.js';

// Set before the handlers load (they create their loggers at import); the handler reads
// TOKEN_SECRET_ID at import, so every module here is imported once its environment is ready.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
const { startLocalStack } = await import('../../local/stack.js');
const { lambdaContext } = await import('../../local/lambda-context.js');
const { handler: onDemand } = await import('../../functions/on-demand/handler.js');

const stack = await startLocalStack();
try {
  const secretId = await stack.createTokenSecret('examples/consumer-lambda/tigergraph', { version: 4 });
  process.env.TOKEN_SECRET_ID = secretId;
  const { handler } = await import('./handler.js');
  const invoke = () => handler({}, lambdaContext('consumer-lambda') as ContextWithTokenSource) as Promise<EchoResult>;

  console.log('consumer call:', JSON.stringify(await invoke()));
  await onDemand({ action: 'request', secretId }, lambdaContext('on-demand') as Parameters<typeof onDemand>[1]);
  await stack.aws.rotationsSettled(secretId);
  console.log('rotated (on-demand request); the consumer still uses its cached token:', JSON.stringify(await invoke()));
  console.log('old token revoked (on-demand delete):', JSON.stringify(await onDemand({ action: 'delete', secretId }, lambdaContext('on-demand') as Parameters<typeof onDemand>[1])));
  console.log('consumer call (refused once, re-read, retried):', JSON.stringify(await invoke()));
} finally {
  await stack.close();
}
