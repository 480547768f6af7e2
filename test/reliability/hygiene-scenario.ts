/**
 * Run by hygiene.test.ts in a fresh Node process with POWERTOOLS_LOG_LEVEL=DEBUG (the handlers'
 * loggers read it when they are created, at import): rotation, sweeps and on-demand actions,
 * healthy and failing, against fakes that quote tokens and secrets back in their error bodies.
 * Everything the handlers log goes to stdout/stderr; each handler result and each error (name
 * and message) is printed there too. At the end the process writes every token TigerGraph handed
 * out and every credential in play to the file named by HYGIENE_OUT, for the parent to search
 * the captured output for. Not a test file itself (no .test.ts).
 */
import { writeFileSync } from 'node:fs';
import { CreateSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { TigerGraphClient } from '../../core/providers/tigergraph/client.js';
import type { IssuedToken } from '../../core/providers/provider.js';
import type { RotationEvent } from '../../local/aws/index.js';
import { ROTATION_LAMBDA_ARN } from '../../local/stack.js';
import { AWS_MAX_ATTEMPTS, DAY, fastSdkThrottleBackoff, invoke, knownTokens, putSettings, realInvoker, rotateSecret, startStack, tokenOf, withStage } from './helpers.js';

const out = process.env.HYGIENE_OUT;
if (!out) throw new Error('HYGIENE_OUT is not set');

// Every token the client receives from TigerGraph, including ones revoked moments later.
const handedOut = new Set<string>();
const proto = TigerGraphClient.prototype as unknown as Record<string, (...args: unknown[]) => Promise<IssuedToken>>;
for (const method of ['requestToken', 'refreshToken'] as const) {
  const original = proto[method]!;
  proto[method] = async function (this: unknown, ...args: unknown[]) {
    const issued = await original.apply(this, args);
    handedOut.add(issued.token);
    return issued;
  };
}

function print(scenario: string, outcome: { result?: unknown; error?: unknown }): void {
  if ('error' in outcome && outcome.error !== undefined) {
    const e = outcome.error as Error;
    console.log(JSON.stringify({ scenario, error: { name: e?.name, message: e?.message } }));
  } else {
    console.log(JSON.stringify({ scenario, result: outcome.result ?? null }));
  }
}

async function step(scenario: string, call: () => Promise<unknown>): Promise<unknown> {
  try {
    const result = await call();
    print(scenario, { result });
    return result;
  } catch (error) {
    print(scenario, { error });
    return undefined;
  }
}

const restoreBackoff = fastSdkThrottleBackoff();
const stack = await startStack();
const wrongSecret = `wrong-secret-${'9f3a'.repeat(6)}`;
const wrongPassword = `wrong-password-${'c0de'.repeat(4)}`;
try {
  await putSettings(stack, { refreshBeforeSeconds: 3 * DAY, revokeGraceSeconds: 60, concurrency: 3 });
  // Servers that quote what they refuse, token and secret alike (the worst case for a log line).
  for (const tg of [stack.tg3, stack.tg4]) {
    tg.setQuirks({
      wrongSecret: { message: "Authentication failed: secret '{secret}' is not valid." },
      unknownToken: { message: "Token '{token}' does not exist." },
      expiredToken: { message: 'Token {token} has expired.' },
    });
  }

  const secrets: Record<string, string> = {};
  for (const version of [3, 4] as const) {
    secrets[`ok${version}`] = await stack.createTokenSecret(`hygiene/ok${version}`, { version, fields: { lifetimeSeconds: 2 * DAY } });
  }
  // 4.x with a TigerGraph secret instead of a user (GSQL Basic auth as __GSQL__secret).
  secrets.ok4secret = await stack.createTokenSecret('hygiene/ok4-secret', { version: 4, credentials: { secret: stack.tigergraphSecret } });
  secrets.badSecret = await stack.createTokenSecret('hygiene/bad-secret', { version: 3, credentials: { secret: wrongSecret } });
  secrets.badPassword = await stack.createTokenSecret('hygiene/bad-password', { version: 4, credentials: { username: 'tigergraph', password: wrongPassword } });
  for (const [name, arn] of Object.entries(secrets)) print(`first rotation ${name}`, { result: stack.aws.lastRotationError(arn) ?? 'ok' });

  for (const version of [3, 4] as const) {
    const arn = secrets[`ok${version}`]!;
    const tg = version === 3 ? stack.tg3 : stack.tg4;
    await step(`rotate ${version}`, () => rotateSecret(stack, arn));
    await step(`status ${version}`, () => invoke.onDemand({ action: 'status', secretId: arn }));
    await step(`request ${version}`, () => invoke.onDemand({ action: 'request', secretId: arn, lifetimeSeconds: 2 * DAY }));
    await step(`refresh ${version}`, () => invoke.onDemand({ action: 'refresh', secretId: arn }));
    const snap = stack.aws.inspectSecret(arn)!;
    const current = tokenOf(withStage(snap, 'AWSCURRENT')[0])!;
    const previous = tokenOf(withStage(snap, 'AWSPREVIOUS')[0]);
    await step(`delete current without force ${version}`, () => invoke.onDemand({ action: 'delete', secretId: arn, token: current }));
    if (previous) await step(`delete given previous ${version}`, () => invoke.onDemand({ action: 'delete', secretId: arn, token: previous }));
    await step(`delete unknown ${version}`, () => invoke.onDemand({ action: 'delete', secretId: arn, token: `unknown-token-${'ab12'.repeat(7)}` }));
    await step(`delete previous ${version}`, () => invoke.onDemand({ action: 'delete', secretId: arn }));

    // Failures at TigerGraph, one kind at a time, each through a whole rotation and its retry.
    const faults = [
      { errorRate: 1, errorStatus: 500 as const, ops: ['request' as const] },
      { dropRate: 1 },
      { latencyMs: 400, ops: ['echo' as const] },
      { malformedRate: 1, ops: ['request' as const] },
    ];
    for (const [i, f] of faults.entries()) {
      tg.setFaults(f);
      const r = (await step(`rotate under fault ${i} ${version}`, () => rotateSecret(stack, arn))) as { VersionId?: string } | undefined;
      tg.setFaults({});
      print(`lastRotationError ${i} ${version}`, { result: stack.aws.lastRotationError(arn) ?? 'ok' });
      if (r?.VersionId) await step(`retry ${i} ${version}`, () => rotateSecret(stack, arn, r.VersionId));
    }

    // Minted, not stored (PutSecretValue fails), revoked: the warning path.
    stack.aws.setFaults({ failNext: { operation: 'PutSecretValue', errorType: 'InternalServiceError', count: AWS_MAX_ATTEMPTS } });
    const put = (await step(`rotate with failing put ${version}`, () => rotateSecret(stack, arn))) as { VersionId?: string } | undefined;
    stack.aws.setFaults({});
    print(`lastRotationError put ${version}`, { result: stack.aws.lastRotationError(arn) ?? 'ok' });
    if (put?.VersionId) await step(`retry put ${version}`, () => rotateSecret(stack, arn, put.VersionId));

    // The pending token refused at testSecret (revoked behind our back): REST++ quotes it.
    stack.aws.setRotationInvoker(async (event: RotationEvent) => {
      await realInvoker(event);
      if (event.Step !== 'createSecret') return;
      const pending = tokenOf(withStage(stack.aws.inspectSecret(arn)!, 'AWSPENDING')[0]);
      const conn = { host: tg.url, tigergraphVersion: String(version) as '3' | '4', allowInsecureHttp: true };
      const creds = version === 3 ? { secret: stack.tigergraphSecret } : stack.tigergraphUser;
      if (pending) await new TigerGraphClient(conn, creds, { maxAttempts: 1 }).deleteToken(pending);
    });
    const refused = (await step(`rotate with refused token ${version}`, () => rotateSecret(stack, arn))) as { VersionId?: string } | undefined;
    stack.aws.setRotationInvoker(realInvoker);
    print(`lastRotationError refused ${version}`, { result: stack.aws.lastRotationError(arn) ?? 'ok' });
    if (refused?.VersionId) {
      // That version can never pass testSecret; its steps are retried once (as AWS would) and it is then abandoned.
      await step(`testSecret refused ${version}`, () => invoke.rotation({ SecretId: arn, ClientRequestToken: refused.VersionId, Step: 'testSecret' }));
      await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: refused.VersionId })).catch(() => undefined);
      const { UpdateSecretVersionStageCommand } = await import('@aws-sdk/client-secrets-manager');
      await stack.secretsManager.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: refused.VersionId }));
    }
    await step(`rotate after refusal ${version}`, () => rotateSecret(stack, arn));

    // Forced delete of the current token (an operator's emergency), then a new token.
    const now = tokenOf(withStage(stack.aws.inspectSecret(arn)!, 'AWSCURRENT')[0])!;
    await step(`delete current with force ${version}`, () => invoke.onDemand({ action: 'delete', secretId: arn, token: now, force: true }));
    await step(`request after forced delete ${version}`, () => invoke.onDemand({ action: 'request', secretId: arn }));
  }

  // An expired 3.x token: refresh fails at TigerGraph (quoting the token), the sweep rotates.
  secrets.short3 = await stack.createTokenSecret('hygiene/short3', { version: 3, fields: { lifetimeSeconds: 120 } });
  stack.clock.advance(3600);
  await step('refresh expired 3', () => invoke.onDemand({ action: 'refresh', secretId: secrets.short3! }));

  // Sweeps over everything, healthy and broken, with throttling on the endpoint.
  stack.aws.setFaults({ throttleRate: 0.2 });
  await step('sweep by tag', () => invoke.scheduled({ 'detail-type': 'Scheduled Event', source: 'aws.events' }));
  stack.aws.setFaults({});
  stack.tg3.setFaults({ errorRate: 1, errorStatus: 503 });
  stack.tg4.setFaults({ dropRate: 1 });
  stack.clock.advance(2 * DAY);
  await step('sweep with TigerGraph down', () => invoke.scheduled({ secretIds: Object.values(secrets) }));
  stack.tg3.setFaults({});
  stack.tg4.setFaults({});
  await step('sweep recovered', () => invoke.scheduled({ secretIds: Object.values(secrets) }));

  // Bad input: the error names the field, never echoes a value.
  const cred = await stack.secretsManager.send(new CreateSecretCommand({ Name: 'hygiene/plain-cred', SecretString: JSON.stringify({ secret: stack.tigergraphSecret }) }));
  await step('on-demand with a token of the wrong type', () => invoke.onDemand({ action: 'delete', secretId: secrets.ok3!, token: 42 }));
  await step('rotation event junk', () => invoke.rotation({ SecretId: secrets.ok3, ClientRequestToken: 'not-a-version-of-this-secret', Step: 'createSecret' }));
  await step('credential secret used as a token secret', () => invoke.onDemand({ action: 'status', secretId: cred.ARN }));
  await stack.secretsManager.send(new RotateSecretCommand({ SecretId: cred.ARN, RotationLambdaARN: ROTATION_LAMBDA_ARN }));
  print('lastRotationError credential-as-token', { result: stack.aws.lastRotationError(cred.ARN!) ?? 'ok' });

  for (const token of knownTokens(stack)) handedOut.add(token);
  const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');
  writeFileSync(
    out,
    JSON.stringify({
      tokens: [...handedOut],
      minted: stack.tg3.minted + stack.tg4.minted,
      credentials: [
        stack.tigergraphSecret,
        stack.tigergraphUser.password,
        wrongSecret,
        wrongPassword,
        basic(stack.tigergraphUser.username, stack.tigergraphUser.password),
        basic('__GSQL__secret', stack.tigergraphSecret),
        basic('tigergraph', wrongPassword),
      ],
    }),
  );
} finally {
  await stack.close();
  restoreBackoff();
}
