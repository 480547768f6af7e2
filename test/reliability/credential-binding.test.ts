/**
 * A credential goes only to the server it was deployed for (issue 21), tried as an attacker with
 * ordinary rights in the account would, on the local stack with the real handlers: a secret of
 * their own that names a stack credential and their host, handed to the rotation function, to tag
 * discovery, to a `secretIds` sweep, a map batch or on-demand; and a stack token secret repointed
 * at their host. Each time the attacker's server counts what it received (nothing), the refusal
 * is a clear error, and nothing of the stack's is written.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { clearCredentialCache } from '../../core/providers/open.js';
import { ENV, MANAGED_TAG, ROTATION_ERROR_TAG } from '../../core/names.js';
import { ROTATION_LAMBDA_ARN, type LocalStack } from '../../local/stack.js';
import { startAttacker, type Attacker } from '../helpers/attacker.js';
import { localCloudFormation } from '../helpers/cloudformation.js';
import { allVersions, credentialValues, invoke, startStack, sweepSettled } from './helpers.js';

let stack: LocalStack;
let attacker: Attacker;
let counter = 0;
const victims: Record<'tg3' | 'tg4' | 'trifacta' | 'ica', string> = { tg3: '', tg4: '', trifacta: '', ica: '' };
const ACCOUNT_PREFIX = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:';

beforeAll(async () => {
  stack = await startStack();
  attacker = await startAttacker();
  victims.tg3 = await stack.createTokenSecret('bind/tg3', { version: 3 });
  victims.tg4 = await stack.createTokenSecret('bind/tg4', { version: 4 });
  victims.trifacta = await stack.createTokenSecret('bind/trifacta', { provider: 'trifacta' });
  victims.ica = await stack.createTokenSecret('bind/ica', { provider: 'ica' });
});
afterAll(async () => {
  await attacker.close();
  await stack.close();
});
afterEach(() => {
  for (const name of [ENV.MANAGED_SECRET_IDS, ENV.FLEET_DISCOVERY, ENV.OWNED_SECRET_NAME_PREFIX, ENV.SECRET_ARN_PREFIX]) delete process.env[name];
  clearCredentialCache();
});

async function json(arn: string): Promise<Record<string, unknown>> {
  const out = await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
  return JSON.parse(out.SecretString!) as Record<string, unknown>;
}

/** Every value an attacker must never see: the credentials and every token the stack holds. */
async function secretValues(): Promise<string[]> {
  const tokens = await Promise.all(Object.values(victims).map(async (arn) => String((await json(arn)).token)));
  return [...credentialValues(stack), ...tokens];
}

/** Where a provider's calls go, pointed at the attacker's server. */
function attackerHost(victim: keyof typeof victims): Record<string, unknown> {
  switch (victim) {
    case 'tg3':
    case 'tg4':
      return { host: 'http://127.0.0.1', restppPort: attacker.port, gsqlPort: attacker.port, tigergraphVersion: victim === 'tg3' ? '3' : '4' };
    case 'trifacta':
      return { provider: 'trifacta', host: attacker.url };
    case 'ica':
      return { provider: 'ica', host: attacker.url };
  }
}

/** The three ways a secret can name a credential: full ARN, partial ARN (no suffix), name. */
function credentialForms(credentialArn: string): Array<[string, string]> {
  const partial = credentialArn.slice(0, -7);
  return [
    ['full ARN', credentialArn],
    ['partial ARN', partial],
    ['name', partial.slice(ACCOUNT_PREFIX.length)],
  ];
}

async function createAttackerSecret(fields: Record<string, unknown>, options: { tagged?: boolean; name?: string } = {}): Promise<string> {
  const out = await stack.secretsManager.send(
    new CreateSecretCommand({
      Name: options.name ?? `evil/secret-${++counter}`,
      SecretString: JSON.stringify({ allowInsecureHttp: true, ...fields }),
      Tags: options.tagged ? [{ Key: MANAGED_TAG, Value: 'true' }] : [],
    }),
  );
  return out.ARN!;
}

function expectNothingReceived(): void {
  expect(attacker.requests).toEqual([]);
  expect(attacker.connections()).toBe(0);
}

describe("a secret of the attacker's that names a stack credential", () => {
  for (const victim of Object.keys(victims) as Array<keyof typeof victims>) {
    it(`handed to the rotation function gets nothing sent (${victim}; the credential by full ARN, partial ARN or name)`, async () => {
      const credentialArn = String((await json(victims[victim])).credentialSecretId);
      for (const [form, credentialSecretId] of credentialForms(credentialArn)) {
        const arn = await createAttackerSecret({ ...attackerHost(victim), credentialSecretId });
        // Its rotation names the stack's rotation function; the local endpoint invokes it for any secret, as a
        // Lambda permission without SourceArn would on AWS.
        await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: ROTATION_LAMBDA_ARN }));
        await stack.aws.rotationsSettled(arn);
        expect(stack.aws.lastRotationError(arn)?.message, form).toMatch(/is bound to other token secrets of this deployment, not to arn:aws:secretsmanager:.*evil\/secret-/);
        // Nothing minted: no version of the attacker's secret holds a token.
        expect(stack.aws.inspectSecret(arn)!.versions.every((v) => !(v.secretString ?? '').includes('"token"')), form).toBe(true);
      }
      expectNothingReceived();
    });
  }

  it('found by tag discovery is reported failed, nothing is sent, and the stack secrets are swept as usual', async () => {
    const credentialSecretId = String((await json(victims.tg3)).credentialSecretId);
    // A token about to expire, so the sweep would refresh it in place (3.x) with the credential.
    const expiresAt = new Date(stack.clock.now() + 600_000).toISOString();
    const arn = await createAttackerSecret({ ...attackerHost('tg3'), credentialSecretId, token: 'a'.repeat(32), expiresAt }, { tagged: true });
    const before = allVersions(stack);
    const summary = await sweepSettled(stack, { source: 'aws.scheduler' });
    const failure = summary.failed.find((f) => f.secretId === arn);
    expect(failure?.error).toMatch(/credential secret .*bind\/tg3\/credentials.* is bound to other token secrets/);
    for (const victim of Object.values(victims)) expect(summary.failed.map((f) => f.secretId)).not.toContain(victim);
    expect(allVersions(stack)).toEqual(before);
    expectNothingReceived();
    expect(attacker.carrying(await secretValues())).toEqual([]);
  });
});

describe('a stack token secret repointed at another host (a write that got past the fence)', () => {
  it('is refused by rotation, refresh, sweep and on-demand: neither the credential nor the token leaves', async () => {
    const name = `repointed/tg3-${++counter}`;
    const arn = await stack.createTokenSecret(name, { version: 3, fields: { lifetimeSeconds: 2 * 86_400 } });
    const original = await json(arn);
    await stack.secretsManager.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify({ ...original, ...attackerHost('tg3') }) }));
    const repointed = allVersions(stack)[name];
    stack.clock.advance(1.5 * 86_400); // past the refresh point: the sweep would refresh the 3.x token in place

    const bound = /host http:\/\/127\.0\.0\.1:\d+ is not one the credential secret .* is bound to \(http:\/\/127\.0\.0\.1:\d+\)/;
    await expect(invoke.onDemand({ action: 'refresh', secretId: arn })).rejects.toThrow(bound);
    // A rotation fails in its createSecret step, with the same reason (cut to the tag's length).
    const failedRotation = /createSecret CredentialBindingError: token secret repointed\/tg3-\d+: host http:\/\/127\.0\.0\.1:\d+ is not one the credential secret/;
    await expect(invoke.onDemand({ action: 'request', secretId: arn })).rejects.toThrow(failedRotation);
    const summary = await sweepSettled(stack, { secretIds: [arn] });
    expect(summary.failed).toEqual([{ secretId: arn, error: expect.stringMatching(bound) }]);
    // The rotation's own record of the refusal: its full reason, and the tag consumers can read.
    expect(stack.aws.lastRotationError(arn)?.message).toMatch(bound);
    expect(stack.aws.inspectSecret(arn)!.tags[ROTATION_ERROR_TAG]).toMatch(/createSecret CredentialBindingError/);

    expectNothingReceived();
    expect(attacker.carrying([...credentialValues(stack), String(original.token)])).toEqual([]);
    // Nothing was written beyond the bookkeeping (the failed rotation's version, a settle label): AWSCURRENT is the
    // repointed version with its value, the token unchanged and still live.
    const currentOf = (versions: typeof repointed) => versions!.filter(([, stages]) => stages.includes('AWSCURRENT')).map(([id, , value]) => [id, value]);
    expect(currentOf(allVersions(stack)[name])).toEqual(currentOf(repointed));
    expect(stack.tg3.isLive(String(original.token))).toBe(true);
  });
});

describe('ownership: the functions act only on the secrets their deployment names', () => {
  it('with the ids of the deployment, refuses any other secret on every path, writes nothing to it and sends nothing', async () => {
    process.env[ENV.MANAGED_SECRET_IDS] = Object.values(victims).join(',');
    // Its own credential this time: ownership alone stops it.
    const { ARN: credential } = await stack.secretsManager.send(new CreateSecretCommand({ Name: `evil/cred-${++counter}`, SecretString: JSON.stringify({ secret: 'attacker-secret-value' }) }));
    const arn = await createAttackerSecret({ ...attackerHost('tg3'), credentialSecretId: credential });
    const before = allVersions(stack)[stack.aws.inspectSecret(arn)!.name];
    const notOwned = /is not one of this deployment's token secrets/;

    await expect(invoke.rotation({ SecretId: arn, ClientRequestToken: 'a'.repeat(32), Step: 'createSecret' })).rejects.toThrow(notOwned);
    for (const action of ['request', 'refresh', 'status']) await expect(invoke.onDemand({ action, secretId: arn })).rejects.toThrow(notOwned);
    const listed = await sweepSettled(stack, { secretIds: [arn, victims.tg3] });
    expect(listed.failed).toEqual([{ secretId: arn, error: expect.stringMatching(notOwned) }]);
    const batch = await sweepSettled(stack, { Items: [{ secretId: arn }] });
    expect(batch.failed).toEqual([{ secretId: arn, error: expect.stringMatching(notOwned) }]);

    expect(allVersions(stack)[stack.aws.inspectSecret(arn)!.name]).toEqual(before);
    expect(stack.aws.inspectSecret(arn)!.tags).toEqual({});
    expectNothingReceived();
  });

  it("the settings custom resource, even for an event its stack's CloudFormation confirms, acts on no other secret", async () => {
    process.env[ENV.MANAGED_SECRET_IDS] = Object.values(victims).join(',');
    const cfn = localCloudFormation(stack.aws);
    const credentialSecretId = String((await json(victims.tg3)).credentialSecretId);
    const arn = await createAttackerSecret({ ...attackerHost('tg3'), credentialSecretId, token: 'a'.repeat(32) });
    const before = allVersions(stack)[stack.aws.inspectSecret(arn)!.name];
    const settings = JSON.stringify({ ...attackerHost('tg3'), allowInsecureHttp: true, credentialSecretId });
    const created = await cfn.send('Create', 'Foreign', { SecretId: arn, Settings: settings });
    expect(created.answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/is not one of this deployment's token secrets/) });
    // A resource that names it (as if created before the secret left the deployment): its Delete revokes nothing.
    cfn.resource('Named', { physicalId: arn });
    const deleted = await cfn.send('Delete', 'Named', { SecretId: arn, Settings: settings });
    expect(deleted.answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/is not one of this deployment's token secrets/) });
    expect(allVersions(stack)[stack.aws.inspectSecret(arn)!.name]).toEqual(before);
    expectNothingReceived();
  });

  it('with tag discovery, refuses a tagged secret outside the name prefix, and sweeps the ones inside it', async () => {
    process.env[ENV.FLEET_DISCOVERY] = 'tag';
    process.env[ENV.OWNED_SECRET_NAME_PREFIX] = 'bind/';
    process.env[ENV.SECRET_ARN_PREFIX] = ACCOUNT_PREFIX;
    const { ARN: credential } = await stack.secretsManager.send(new CreateSecretCommand({ Name: `evil/cred-${++counter}`, SecretString: JSON.stringify({ secret: 'attacker-secret-value' }) }));
    const arn = await createAttackerSecret({ ...attackerHost('tg3'), credentialSecretId: credential }, { tagged: true });
    const summary = await sweepSettled(stack, { source: 'aws.scheduler' });
    const outside = /is outside this deployment's secrets \(arn:aws:secretsmanager:us-east-1:000000000000:secret:bind\/\*\)/;
    expect(summary.failed.filter((f) => f.secretId === arn)).toEqual([{ secretId: arn, error: expect.stringMatching(outside) }]);
    expect(summary.failed.map((f) => f.secretId).filter((id) => id.includes(':secret:bind/'))).toEqual([]);
    await expect(invoke.rotation({ SecretId: arn, ClientRequestToken: 'b'.repeat(32), Step: 'createSecret' })).rejects.toThrow(outside);
    expectNothingReceived();
  });
});
