/**
 * `npm run invoke -- <rotation|scheduled-refresh|on-demand> <event.json>`: runs one handler in
 * process with an event file and prints its result (exit 0) or its error (exit 1).
 *
 * With AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SECRETS_MANAGER set (for example to `npm run
 * serve:local`), the handler talks to that endpoint. Without them it starts an embedded local
 * stack with the demo secrets (as serve:local does: demo/tigergraph3, demo/tigergraph4,
 * demo/trifacta, demo/ica), and a
 * rotation step event runs after the steps before it, as Secrets Manager would have run them; an
 * on-demand `rollback` runs after one more rotation of its secret, so AWSPREVIOUS holds a token.
 */
import { readFile } from 'node:fs/promises';

const FUNCTIONS = ['rotation', 'scheduled-refresh', 'on-demand'] as const;
type FunctionName = (typeof FUNCTIONS)[number];
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

const [fn, file] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const verbose = process.argv.includes('--verbose');
process.env.POWERTOOLS_LOG_LEVEL ??= verbose ? 'INFO' : 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

class UsageError extends Error {
  override name = 'UsageError';
}

async function readEvent(path: string | undefined): Promise<unknown> {
  if (!path) throw new UsageError('missing <event.json>: usage: npm run invoke -- <rotation|scheduled-refresh|on-demand> <event.json>');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`cannot read event file ${path}: check the path (samples are in events/)`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`event file ${path} is not valid JSON`);
  }
}

async function loadHandler(name: FunctionName): Promise<(event: unknown, context: never) => Promise<unknown>> {
  switch (name) {
    case 'rotation':
      return (await import('../functions/rotation/handler.js')).handler as never;
    case 'scheduled-refresh':
      return (await import('../functions/scheduled-refresh/handler.js')).handler as never;
    case 'on-demand':
      return (await import('../functions/on-demand/handler.js')).handler as never;
  }
}

async function run(): Promise<void> {
  if (!FUNCTIONS.includes(fn as FunctionName)) {
    throw new UsageError(`first argument: expected one of ${FUNCTIONS.join(', ')}, got ${fn === undefined ? 'nothing' : JSON.stringify(fn)}`);
  }
  const name = fn as FunctionName;
  const event = await readEvent(file);
  const { lambdaContext } = await import('./lambda-context.js');
  const external = Boolean(process.env.AWS_ENDPOINT_URL ?? process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER);
  let close: () => Promise<void> = async () => undefined;

  if (external && !process.env.TG_CREDENTIAL_BINDINGS) {
    throw new UsageError(
      'TG_CREDENTIAL_BINDINGS is not set: against another endpoint, set it to what the deploy bound (npm run serve:local prints it as credentialBindings), and TG_TOKEN_ROTATION_LOCAL=true for its http:// fakes',
    );
  }
  if (!external) {
    const { startLocalStack, createDemoSecrets } = await import('./stack.js');
    const stack = await startLocalStack();
    close = () => stack.close();
    const demo = await createDemoSecrets(stack);
    process.stderr.write(`(embedded local stack at ${stack.aws.url} with ${demo.join(', ')}; set AWS_ENDPOINT_URL to use another endpoint)\n`);
    if (name === 'rotation') await prepareRotation(stack, event, lambdaContext);
    if (name === 'on-demand') await prepareRollback(stack, event);
  }
  try {
    const handler = await loadHandler(name);
    const result = await handler(event, lambdaContext(name, 300_000) as never);
    process.stdout.write(`${JSON.stringify(result ?? null, null, 2)}\n`);
  } finally {
    await close();
    // A one-shot process: drop the settings cache and pooled connections.
    (await import('../functions/lib/settings.js')).clearSettingsCache();
    await (await import('../core/reset.js')).resetCaches();
  }
}

/**
 * Embedded mode only: make the event's ClientRequestToken an AWSPENDING version (as RotateSecret
 * does) and run the steps before the requested one, so a single step can be tried on its own.
 */
async function prepareRotation(
  stack: import('./stack.js').LocalStack,
  event: unknown,
  lambdaContext: typeof import('./lambda-context.js').lambdaContext,
): Promise<void> {
  const e = event as { SecretId?: unknown; ClientRequestToken?: unknown; Step?: unknown };
  if (typeof e.SecretId !== 'string' || typeof e.ClientRequestToken !== 'string' || !STEPS.includes(e.Step as never)) return;
  const snapshot = stack.aws.inspectSecret(e.SecretId);
  if (!snapshot || snapshot.versions.some((v) => v.versionId === e.ClientRequestToken)) return;
  const { RotateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
  const { handler } = await import('../functions/rotation/handler.js');
  stack.aws.setRotationInvoker(undefined);
  await stack.secretsManager.send(new RotateSecretCommand({ SecretId: e.SecretId, ClientRequestToken: e.ClientRequestToken }));
  for (const step of STEPS.slice(0, STEPS.indexOf(e.Step as (typeof STEPS)[number]))) {
    await handler({ SecretId: e.SecretId, ClientRequestToken: e.ClientRequestToken, Step: step }, lambdaContext('rotation'));
    process.stderr.write(`(embedded: ran ${step} first)\n`);
  }
}

/** Embedded mode only: a demo secret was rotated once, so AWSPREVIOUS holds no token yet; rotate once more. */
async function prepareRollback(stack: import('./stack.js').LocalStack, event: unknown): Promise<void> {
  const e = event as { action?: unknown; secretId?: unknown };
  if (e.action !== 'rollback' || typeof e.secretId !== 'string' || !stack.aws.inspectSecret(e.secretId)) return;
  const { RotateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
  await stack.secretsManager.send(new RotateSecretCommand({ SecretId: e.secretId }));
  await stack.aws.rotationsSettled(e.secretId);
  process.stderr.write(`(embedded: rotated ${e.secretId} once more first, so AWSPREVIOUS holds a token to go back to)\n`);
}

run().catch((error: unknown) => {
  const e = error as Error;
  process.stderr.write(`${e.name ?? 'Error'}: ${e.message ?? String(error)}\n`);
  process.exitCode = 1;
});
