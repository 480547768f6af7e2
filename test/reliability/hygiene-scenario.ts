/**
 * Run by hygiene.test.ts in a fresh Node process with POWERTOOLS_LOG_LEVEL=DEBUG (the handlers'
 * loggers read it when they are created, at import): rotation, sweeps and on-demand actions,
 * healthy and failing, for every provider (TigerGraph 3.x and 4.x, Trifacta, ICA in both modes),
 * against fakes that quote tokens and secrets back in their error bodies. Everything the handlers
 * log goes to stdout/stderr; each handler result and each error (name and message) is printed
 * there too. At the end the process writes every token a server handed out (including 4.x tokens
 * the client set aside as duplicates) and every credential in play to the file named by
 * HYGIENE_OUT, for the parent to search the captured output for. Rotations run in the background
 * after RotateSecret answers, as on AWS: the scenario waits for them (helpers.ts rotateSecret,
 * sweepSettled). Not a test file itself (no .test.ts).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { CreateSecretCommand, RotateSecretCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { IcaClient } from '../../core/providers/ica/client.js';
import { TigerGraphClient } from '../../core/providers/tigergraph/client.js';
import { TrifactaClient } from '../../core/providers/trifacta/client.js';
import type { IssuedToken } from '../../core/providers/provider.js';
import type { RotationEvent } from '../../local/aws/index.js';
import { ROTATION_LAMBDA_ARN } from '../../local/stack.js';
import { AWS_MAX_ATTEMPTS, DAY, credentialValues, fastSdkThrottleBackoff, invoke, knownTokens, putSettings, realInvoker, rotateSecret, startStack, sweepSettled, tokenOf, withStage } from './helpers.js';

/** How on-demand `delete` names a token: its SHA-256 in hex. */
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

const out = process.env.HYGIENE_OUT;
if (!out) throw new Error('HYGIENE_OUT is not set');

// Every token a client receives from a server, including ones revoked moments later and 4.x
// tokens the client sets aside because it handed the same bytes out already.
const handedOut = new Set<string>();
/** Mint answers TigerGraph gave (3.x requestToken, each 4.x mint), duplicates included. */
let tigergraphAnswers = 0;
function record<T>(target: object, method: string, token: (result: T) => string | undefined, onAnswer?: () => void): void {
  const proto = target as Record<string, (...args: unknown[]) => Promise<T>>;
  const original = proto[method];
  if (typeof original !== 'function') throw new Error(`no method ${method} to record`);
  proto[method] = async function (this: unknown, ...args: unknown[]) {
    const result = await original.apply(this, args);
    const value = token(result);
    if (value) handedOut.add(value);
    onAnswer?.();
    return result;
  };
}
const tigergraphClient = TigerGraphClient.prototype;
record<IssuedToken>(tigergraphClient, 'refreshToken', (r) => r.token);
record<IssuedToken>(tigergraphClient, 'requestToken', (r) => r.token);
record<IssuedToken>(tigergraphClient, 'request3', (r) => r.token, () => tigergraphAnswers++);
record<{ issued: IssuedToken }>(tigergraphClient, 'mint4', (r) => r.issued.token, () => tigergraphAnswers++);
record<{ tokenValue: string }>(TrifactaClient.prototype, 'createToken', (r) => r.tokenValue);
record<IssuedToken>(IcaClient.prototype, 'createToken', (r) => r.token);
record<IssuedToken>(IcaClient.prototype, 'refreshToken', (r) => r.token);

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
// Servers that quote what they refuse, token and secret alike (the worst case for a log line):
// Trifacta quotes tokens, passwords and Authorization headers; ICA's problems quote them by default.
const stack = await startStack({ trifacta: { quirks: { quoteCredentials: true } }, ica: { quirks: { echoSecretsInProblems: true } } });
const wrongSecret = `wrong-secret-${'9f3a'.repeat(6)}`;
const wrongPassword = `wrong-password-${'c0de'.repeat(4)}`;
const wrongApiKey = `wrong-api-key-${'5eed'.repeat(6)}`;
try {
  // Little patience for a refused new token: the refusals below are for good, and each would wait the default 60 s.
  await putSettings(stack, { refreshBeforeSeconds: 3 * DAY, revokeGraceSeconds: 60, concurrency: 3, newTokenPatienceSeconds: 1 });
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
    await step(`delete current without force ${version}`, () => invoke.onDemand({ action: 'delete', secretId: arn, tokenSha256: sha256(current) }));
    // The event carries the token itself: refused, and the token must show up nowhere.
    if (previous) await step(`delete with the raw token ${version}`, () => invoke.onDemand({ action: 'delete', secretId: arn, token: previous }));
    if (previous) await step(`delete given previous ${version}`, () => invoke.onDemand({ action: 'delete', secretId: arn, tokenSha256: sha256(previous) }));
    await step(`delete unknown ${version}`, () => invoke.onDemand({ action: 'delete', secretId: arn, tokenSha256: sha256(`unknown-token-${'ab12'.repeat(7)}`) }));
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
      // That version can never pass testSecret: tested again, then re-driven (as AWS would), its
      // third refusal abandons it (pendingTokenAttempts 3: revoke attempted, AWSPENDING removed).
      await step(`testSecret refused ${version}`, () => invoke.rotation({ SecretId: arn, ClientRequestToken: refused.VersionId, Step: 'testSecret' }));
      await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: refused.VersionId })).catch(() => undefined);
      await stack.aws.rotationsSettled(arn);
    }
    await step(`rotate after refusal ${version}`, () => rotateSecret(stack, arn));

    // Forced delete of the current token (an operator's emergency), then a new token.
    const now = tokenOf(withStage(stack.aws.inspectSecret(arn)!, 'AWSCURRENT')[0])!;
    await step(`delete current with force ${version}`, () => invoke.onDemand({ action: 'delete', secretId: arn, tokenSha256: sha256(now), force: true }));
    await step(`request after forced delete ${version}`, () => invoke.onDemand({ action: 'request', secretId: arn }));
  }

  // Trifacta and ICA (API key and password modes): healthy runs, refused credentials quoted back
  // by the fakes, faults through a rotation and its retry, a failing put (Trifacta revokes the
  // minted token; ICA cannot, and logs when it expires).
  secrets.trifacta = await stack.createTokenSecret('hygiene/trifacta', { provider: 'trifacta', fields: { lifetimeSeconds: 2 * DAY } });
  secrets.icaKey = await stack.createTokenSecret('hygiene/ica-key', { provider: 'ica' });
  secrets.icaPassword = await stack.createTokenSecret('hygiene/ica-password', { provider: 'ica', icaMode: 'password' });
  secrets.badTrifacta = await stack.createTokenSecret('hygiene/bad-trifacta', { provider: 'trifacta', credentials: { username: stack.trifactaUser.username, password: wrongPassword } });
  secrets.badIcaKey = await stack.createTokenSecret('hygiene/bad-ica-key', { provider: 'ica', credentials: { apiKey: wrongApiKey } });
  secrets.badIcaPassword = await stack.createTokenSecret('hygiene/bad-ica-password', { provider: 'ica', credentials: { username: stack.icaUser.username, password: wrongPassword } });
  for (const name of ['trifacta', 'icaKey', 'icaPassword', 'badTrifacta', 'badIcaKey', 'badIcaPassword']) {
    print(`first rotation ${name}`, { result: stack.aws.lastRotationError(secrets[name]!) ?? 'ok' });
  }
  // The failed first rotations wait on AWSPENDING for a retry; abandon them, then request: the
  // rotation fails again and request reports why (RotationFailedError, from the failure tag).
  for (const name of ['badTrifacta', 'badIcaKey', 'badIcaPassword', 'badSecret', 'badPassword']) {
    const arn = secrets[name]!;
    const dangling = withStage(stack.aws.inspectSecret(arn)!, 'AWSPENDING')[0];
    if (dangling) await stack.secretsManager.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: dangling.versionId }));
    await step(`request with a refused credential ${name}`, () => invoke.onDemand({ action: 'request', secretId: arn }));
  }
  await stack.aws.rotationsSettled();
  for (const name of ['trifacta', 'icaKey', 'icaPassword'] as const) {
    const arn = secrets[name]!;
    const fake = name === 'trifacta' ? stack.trifacta : stack.ica;
    await step(`rotate ${name}`, () => rotateSecret(stack, arn));
    await step(`status ${name}`, () => invoke.onDemand({ action: 'status', secretId: arn }));
    await step(`request ${name}`, () => invoke.onDemand({ action: 'request', secretId: arn }));
    await step(`refresh ${name}`, () => invoke.onDemand({ action: 'refresh', secretId: arn }));
    await stack.aws.rotationsSettled(arn);
    const snap = stack.aws.inspectSecret(arn)!;
    const current = tokenOf(withStage(snap, 'AWSCURRENT')[0])!;
    const previous = withStage(snap, 'AWSPREVIOUS')[0];
    await step(`delete current without force ${name}`, () => invoke.onDemand({ action: 'delete', secretId: arn, tokenSha256: sha256(current) }));
    await step(`delete with the raw token ${name}`, () => invoke.onDemand({ action: 'delete', secretId: arn, token: current, force: true }));
    if (previous) await step(`delete previous by version ${name}`, () => invoke.onDemand({ action: 'delete', secretId: arn, versionId: previous.versionId }));
    await step(`delete unknown ${name}`, () => invoke.onDemand({ action: 'delete', secretId: arn, tokenSha256: sha256(`unknown-token-${'ab12'.repeat(7)}`) }));
    await step(`delete previous ${name}`, () => invoke.onDemand({ action: 'delete', secretId: arn }));
    for (const [i, f] of [{ errorRate: 1, errorStatus: 503 as const }, { dropRate: 1 }, { malformedRate: 1 }].entries()) {
      fake.setFaults(f);
      const r = (await step(`rotate under fault ${i} ${name}`, () => rotateSecret(stack, arn))) as { VersionId?: string } | undefined;
      fake.setFaults({});
      print(`lastRotationError ${i} ${name}`, { result: stack.aws.lastRotationError(arn) ?? 'ok' });
      if (r?.VersionId) await step(`retry ${i} ${name}`, () => rotateSecret(stack, arn, r.VersionId));
    }
    stack.aws.setFaults({ failNext: { operation: 'PutSecretValue', errorType: 'InternalServiceError', count: AWS_MAX_ATTEMPTS } });
    const put = (await step(`rotate with failing put ${name}`, () => rotateSecret(stack, arn))) as { VersionId?: string } | undefined;
    stack.aws.setFaults({});
    print(`lastRotationError put ${name}`, { result: stack.aws.lastRotationError(arn) ?? 'ok' });
    if (put?.VersionId) await step(`retry put ${name}`, () => rotateSecret(stack, arn, put.VersionId));
  }

  // An expired 3.x token: refresh fails at TigerGraph (quoting the token), the sweep rotates.
  secrets.short3 = await stack.createTokenSecret('hygiene/short3', { version: 3, fields: { lifetimeSeconds: 120 } });
  stack.clock.advance(3600);
  await step('refresh expired 3', () => invoke.onDemand({ action: 'refresh', secretId: secrets.short3! }));

  // Sweeps over everything, healthy and broken, with throttling on the endpoint.
  stack.aws.setFaults({ throttleRate: 0.2 });
  await step('sweep by tag', () => sweepSettled(stack, { 'detail-type': 'Scheduled Event', source: 'aws.events' }));
  stack.aws.setFaults({});
  stack.tg3.setFaults({ errorRate: 1, errorStatus: 503 });
  stack.tg4.setFaults({ dropRate: 1 });
  stack.trifacta.setFaults({ errorRate: 1, errorStatus: 502 });
  stack.ica.setFaults({ dropRate: 1 });
  stack.clock.advance(2 * DAY);
  await step('sweep with the servers down', () => sweepSettled(stack, { secretIds: Object.values(secrets) }));
  stack.tg3.setFaults({});
  stack.tg4.setFaults({});
  stack.trifacta.setFaults({});
  stack.ica.setFaults({});
  await step('sweep recovered', () => sweepSettled(stack, { secretIds: Object.values(secrets) }));
  await step('fleet status', () => invoke.onDemand({ action: 'status' }));

  // Bad input: the error names the field, never echoes a value.
  const cred = await stack.secretsManager.send(new CreateSecretCommand({ Name: 'hygiene/plain-cred', SecretString: JSON.stringify({ secret: stack.tigergraphSecret }) }));
  await step('on-demand with a token of the wrong type', () => invoke.onDemand({ action: 'delete', secretId: secrets.ok3!, token: 42 }));
  await step('rotation event junk', () => invoke.rotation({ SecretId: secrets.ok3, ClientRequestToken: 'not-a-version-of-this-secret', Step: 'createSecret' }));
  await step('credential secret used as a token secret', () => invoke.onDemand({ action: 'status', secretId: cred.ARN }));
  await stack.secretsManager.send(new RotateSecretCommand({ SecretId: cred.ARN, RotationLambdaARN: ROTATION_LAMBDA_ARN }));
  await stack.aws.rotationsSettled();
  print('lastRotationError credential-as-token', { result: stack.aws.lastRotationError(cred.ARN!) ?? 'ok' });

  // Tags are part of the output too (the rotation failure tag above all): print them all.
  for (const snap of stack.aws.inspectSecrets()) print(`tags ${snap.name}`, { result: snap.tags });

  for (const token of knownTokens(stack)) handedOut.add(token);
  const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');
  writeFileSync(
    out,
    JSON.stringify({
      tokens: [...handedOut],
      minted: stack.tg3.minted + stack.tg4.minted,
      tigergraphAnswers,
      mintedElsewhere: { trifacta: stack.trifacta.minted, ica: stack.ica.minted },
      credentials: [
        ...credentialValues(stack),
        wrongSecret,
        wrongPassword,
        wrongApiKey,
        basic('tigergraph', wrongPassword),
        basic(stack.trifactaUser.username, wrongPassword),
        basic(stack.icaUser.username, wrongPassword),
      ],
    }),
  );
} finally {
  await stack.close();
  restoreBackoff();
}
