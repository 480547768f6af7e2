/**
 * The custom resource's core (core/operations/connection-settings.ts) against the local endpoint,
 * with one in-memory "server" per host so a test can tell where a token was revoked: create,
 * every kind of update (lifetime only, host change, a field removed), a rollback, a concurrent
 * rotation, a failed rotation, and delete.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../core/deps.js';
import { createSettings, deleteSettings, updateSettings, checkSettings } from '../../core/operations/connection-settings.js';
import type { ProviderOpener } from '../../core/providers/open.js';
import type { TokenSecret } from '../../core/secrets/token-secret.js';
import { runRotationStep } from '../../core/rotation/steps.js';
import { ValidationError } from '../../core/errors.js';
import { MemoryProvider, memoryDefinition } from '../helpers/memory-provider.js';
import { DAY, useLocalAws } from '../helpers/local-aws.js';

const fx = useLocalAws();

/** One in-memory token server per host. */
function servers() {
  const byHost = new Map<string, MemoryProvider>();
  const server = (host: string) => {
    let p = byHost.get(host);
    if (!p) {
      p = new MemoryProvider({ now: () => fx.clock.now(), lifetimeSeconds: 30 * DAY });
      byHost.set(host, p);
    }
    return p;
  };
  const opener: ProviderOpener = { definition: () => memoryDefinition, open: async (secret: TokenSecret) => server(secret.host) };
  return { server, opener };
}

function setup(opener: ProviderOpener): Deps {
  const deps = fx.deps(opener);
  fx.aws.setRotationInvoker(async (event) => {
    await runRotationStep({ secretId: event.SecretId, clientRequestToken: event.ClientRequestToken, step: event.Step }, deps);
  });
  return deps;
}

afterEach(() => fx.aws.setRotationInvoker(undefined));

const OPTIONS = { wait: { timeoutMs: 5_000, pollMs: 20 } };
const A = { host: 'https://a.example.com', credentialSecretId: 'cred', lifetimeSeconds: 30 * DAY };

/** A token secret as the construct creates it: no value yet, rotation configured. */
async function emptySecret(): Promise<string> {
  const { CreateSecretCommand, RotateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
  const out = await fx.client.send(new CreateSecretCommand({ Name: `cs/token-${Math.random().toString(36).slice(2)}` }));
  await fx.client.send(new RotateSecretCommand({ SecretId: out.ARN, RotationLambdaARN: 'arn:aws:lambda:us-east-1:000000000000:function:rotation', RotateImmediately: false }));
  await fx.aws.rotationsSettled(out.ARN);
  return out.ARN as string;
}

/** Created and rotated once, as after a first deploy. */
async function deployed(deps: Deps, settings = A): Promise<string> {
  const arn = await emptySecret();
  await createSettings(arn, settings, deps, OPTIONS);
  const { rotateNow } = await import('../../core/operations/rotate-now.js');
  await rotateNow(arn, deps, OPTIONS.wait);
  // rotateNow answers once the new version is AWSCURRENT; finishSecret removes AWSPENDING just
  // after, and a RotateSecret in between is refused as "previous rotation isn't complete".
  await fx.aws.rotationsSettled(arn);
  return arn;
}

describe('settings: input', () => {
  it('refuses token fields and bad common fields, naming them', () => {
    expect(() => checkSettings({ ...A, token: 'x' })).toThrow(/Settings.token/);
    expect(() => checkSettings({ ...A, host: 'ftp://x' })).toThrow(ValidationError);
    expect(() => checkSettings([A])).toThrow(/Settings: expected a JSON object/);
  });
});

describe('settings: create', () => {
  it('writes the initial JSON as AWSCURRENT of a secret created without a value', async () => {
    const { opener } = servers();
    const deps = setup(opener);
    const arn = await emptySecret();
    const result = await createSettings(arn, A, deps, OPTIONS);
    expect(result.rotation).toBe('none');
    expect(fx.valueAt(arn, 'AWSCURRENT')).toEqual(A);
  });

  it('a retried create keeps the token that the first one’s rotation minted', async () => {
    const { opener } = servers();
    const deps = setup(opener);
    const arn = await deployed(deps);
    const token = fx.valueAt(arn, 'AWSCURRENT')!.token;
    await createSettings(arn, A, deps, OPTIONS);
    expect(fx.valueAt(arn, 'AWSCURRENT')!.token).toBe(token);
  });
});

describe('settings: update', () => {
  it('a lifetime-only change keeps the token and rotates nothing', async () => {
    const { opener, server } = servers();
    const deps = setup(opener);
    const arn = await deployed(deps);
    const before = fx.valueAt(arn, 'AWSCURRENT')!;
    const minted = server(A.host).calls.issue;
    const result = await updateSettings(arn, { ...A, lifetimeSeconds: 7 * DAY }, A, deps, OPTIONS);
    expect(result.rotation).toBe('none');
    const after = fx.valueAt(arn, 'AWSCURRENT')!;
    expect(after).toEqual({ ...before, lifetimeSeconds: 7 * DAY });
    expect(server(A.host).calls.issue).toBe(minted);
  });

  it('a host change rotates at once and revokes the old token at the old server (only there)', async () => {
    const { opener, server } = servers();
    const deps = setup(opener);
    const arn = await deployed(deps);
    const oldToken = String(fx.valueAt(arn, 'AWSCURRENT')!.token);
    const B = { ...A, host: 'https://b.example.com' };
    const result = await updateSettings(arn, B, A, deps, OPTIONS);
    expect(result).toMatchObject({ rotation: 'finished', revoked: 1, revokeFailures: 0 });
    const current = fx.valueAt(arn, 'AWSCURRENT')!;
    expect(current.host).toBe(B.host);
    expect(server(B.host).isLive(String(current.token))).toBe(true);
    expect(server(A.host).isLive(oldToken)).toBe(false);
    expect(server(B.host).calls.revoke).toBe(0);
  });

  it('a rollback (the same update in reverse) replaces and revokes the token minted by the failed update', async () => {
    const { opener, server } = servers();
    const deps = setup(opener);
    const arn = await deployed(deps);
    const B = { ...A, host: 'https://b.example.com' };
    await updateSettings(arn, B, A, deps, OPTIONS);
    const bToken = String(fx.valueAt(arn, 'AWSCURRENT')!.token);
    const result = await updateSettings(arn, A, B, deps, OPTIONS);
    expect(result.rotation).toBe('finished');
    expect(server(B.host).isLive(bToken)).toBe(false);
    expect(server(A.host).isLive(String(fx.valueAt(arn, 'AWSCURRENT')!.token))).toBe(true);
    expect(server(A.host).live.size).toBe(1); // nothing else left alive at A
  });

  it('removes a field the new settings dropped, and keeps fields the deployment never set', async () => {
    const { opener } = servers();
    const deps = setup(opener);
    const arn = await deployed(deps, { ...A, graph: 'G' } as typeof A);
    const { PutSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    await fx.client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify({ ...fx.valueAt(arn, 'AWSCURRENT'), team: 'kept' }) }));
    await updateSettings(arn, A, { ...A, graph: 'G' }, deps, OPTIONS);
    const current = fx.valueAt(arn, 'AWSCURRENT')!;
    expect(current).not.toHaveProperty('graph');
    expect(current.team).toBe('kept');
  });

  it('waits for a rotation in flight instead of writing under it (finishSecret would undo the write)', async () => {
    const { opener } = servers();
    const deps = setup(opener);
    const arn = await deployed(deps);
    fx.aws.setRotationInvoker(undefined);
    const { RotateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
    const { VersionId } = await fx.client.send(new RotateSecretCommand({ SecretId: arn })); // leaves AWSPENDING
    setTimeout(() => {
      void (async () => {
        for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
          await runRotationStep({ secretId: arn, clientRequestToken: VersionId!, step }, deps);
        }
      })();
    }, 300);
    const result = await updateSettings(arn, { ...A, lifetimeSeconds: DAY }, A, deps, OPTIONS);
    expect(result.rotation).toBe('none');
    const current = fx.valueAt(arn, 'AWSCURRENT')!;
    expect(current.lifetimeSeconds).toBe(DAY);
    // The rotation's token survived the settings write: it is the current token.
    const versions = fx.aws.inspectSecret(arn)!.versions;
    expect(current.token).toBe(JSON.parse(versions.find((v) => v.versionId === VersionId)!.secretString!).token);
  });

  it('a failed rotation is reported, not thrown, and revokes nothing', async () => {
    const { opener, server } = servers();
    const deps = setup(opener);
    const arn = await deployed(deps);
    const oldToken = String(fx.valueAt(arn, 'AWSCURRENT')!.token);
    server('https://down.example.com').failIssue = new Error('connection refused');
    const result = await updateSettings(arn, { ...A, host: 'https://down.example.com' }, A, deps, OPTIONS);
    expect(result.rotation).toBe('failed');
    expect(result.messages.join(' ')).toMatch(/connection refused/);
    expect(server(A.host).isLive(oldToken)).toBe(true);
  });
});

describe('settings: delete', () => {
  it('revokes every live token the secret tracks', async () => {
    const { opener, server } = servers();
    const deps = setup(opener);
    const arn = await deployed(deps);
    const { rotateNow } = await import('../../core/operations/rotate-now.js');
    await rotateNow(arn, deps, OPTIONS.wait); // now a current and a previous token
    expect(server(A.host).live.size).toBe(2);
    const result = await deleteSettings(arn, deps);
    expect(result).toMatchObject({ revoked: 2, revokeFailures: 0 });
    expect(server(A.host).live.size).toBe(0);
  });

  it('of a secret that never got a value does nothing', async () => {
    const { opener } = servers();
    const deps = setup(opener);
    expect(await deleteSettings(await emptySecret(), deps)).toMatchObject({ revoked: 0, revokeFailures: 0 });
  });
});
