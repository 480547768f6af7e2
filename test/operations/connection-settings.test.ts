/**
 * The custom resource's core (core/operations/connection-settings.ts) against the local endpoint,
 * with one in-memory "server" per host so a test can tell where a token was minted and revoked:
 * create, every kind of update (lifetime only, host change, a field removed), a rollback, a
 * concurrent rotation, failed host changes (AWSCURRENT keeps host and token together throughout),
 * and delete (the current token, and any another secret holds, survive).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../core/deps.js';
import { createSettings, deleteSettings, updateSettings, checkSettings, SettingsNotAppliedError } from '../../core/operations/connection-settings.js';
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

  it('while the rotation to a new host runs, AWSCURRENT keeps the old host with the old token; the new host travels with its own token', async () => {
    const { opener, server } = servers();
    const deps = setup(opener);
    const arn = await deployed(deps);
    const before = fx.valueAt(arn, 'AWSCURRENT')!;
    const B = { ...A, host: 'https://b.example.com' };
    const seen: Array<{ current: Record<string, unknown>; pending: Record<string, unknown> | undefined }> = [];
    fx.aws.setRotationInvoker(async (event) => {
      seen.push({ current: fx.valueAt(arn, 'AWSCURRENT')!, pending: fx.valueAt(arn, 'AWSPENDING') });
      await runRotationStep({ secretId: event.SecretId, clientRequestToken: event.ClientRequestToken, step: event.Step }, deps);
    });
    let started: string | undefined;
    const result = await updateSettings(arn, B, A, deps, { ...OPTIONS, onRotationStarted: (v) => (started = v) });
    expect(result).toMatchObject({ rotation: 'finished', versionId: started });
    expect(seen.length).toBe(4); // each step saw AWSCURRENT and AWSPENDING as they stood
    for (const { current, pending } of seen) {
      expect(current).toEqual(before);
      expect(pending?.host).toBe(B.host);
      expect(server(B.host).isLive(String(pending?.token))).toBe(true);
    }
    expect(server(A.host).calls.issue).toBe(1); // only the first deploy's token was minted at A
  });

  it('a host change whose token cannot be minted fails with the reason and leaves AWSCURRENT exactly as it was', async () => {
    const { opener, server } = servers();
    const deps = setup(opener);
    const arn = await deployed(deps);
    const labels = fx.labels(arn);
    const before = fx.valueAt(arn, 'AWSCURRENT')!;
    server('https://down.example.com').failIssue = new Error('connection refused');
    const error = await updateSettings(arn, { ...A, host: 'https://down.example.com' }, A, deps, OPTIONS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SettingsNotAppliedError);
    expect((error as Error).message).toMatch(/not applied: no token could be minted with them \(connection refused\)\. AWSCURRENT keeps the old settings and their token/);
    expect(fx.valueAt(arn, 'AWSCURRENT')).toEqual(before);
    expect(fx.labels(arn)).toEqual(labels);
    expect(server(A.host).isLive(String(before.token))).toBe(true);
  });

  it('a host change whose new token fails testSecret: the staged version is withdrawn and its token revoked; AWSCURRENT is as it was', async () => {
    const { opener, server } = servers();
    const deps = setup(opener);
    const arn = await deployed(deps);
    const before = fx.valueAt(arn, 'AWSCURRENT')!;
    const B = { ...A, host: 'https://b.example.com' };
    server(B.host).failVerify = new Error('authentication refused');
    const error = await updateSettings(arn, B, A, deps, OPTIONS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SettingsNotAppliedError);
    expect((error as Error).message).toMatch(/the rotation to them failed .*authentication refused/);
    expect(fx.valueAt(arn, 'AWSCURRENT')).toEqual(before);
    expect(Object.values(fx.labels(arn)).flat()).not.toContain('AWSPENDING');
    expect(server(B.host).calls.issue).toBe(1);
    expect(server(B.host).live.size).toBe(0);
    expect(server(A.host).isLive(String(before.token))).toBe(true);
    // The rollback CloudFormation then sends (the old settings again) has nothing to do.
    expect(await updateSettings(arn, A, B, deps, OPTIONS)).toMatchObject({ rotation: 'none' });
  });

  it('a rotation that failed earlier (waiting for a retry) is dropped for the one a host change needs', async () => {
    const { opener, server } = servers();
    const deps = setup(opener);
    const arn = await deployed(deps);
    const { rotateNow } = await import('../../core/operations/rotate-now.js');
    server(A.host).failIssue = new Error('A is down');
    await expect(rotateNow(arn, deps, OPTIONS.wait)).rejects.toThrow(/A is down/);
    await fx.aws.rotationsSettled(arn);
    expect(Object.values(fx.labels(arn)).flat()).toContain('AWSPENDING');
    const B = { ...A, host: 'https://b.example.com' };
    const result = await updateSettings(arn, B, A, deps, OPTIONS);
    expect(result.rotation).toBe('finished');
    expect(fx.valueAt(arn, 'AWSCURRENT')!.host).toBe(B.host);
  });

  it('after the answer went out FAILED (aborted), nothing is staged even when the mint returns', async () => {
    const { opener, server } = servers();
    const deps = setup(opener);
    const arn = await deployed(deps);
    const labels = fx.labels(arn);
    const abandon = new AbortController();
    const B = { ...A, host: 'https://b.example.com' };
    const minting = server(B.host);
    const issue = minting.issue.bind(minting);
    minting.issue = async (request) => {
      abandon.abort(new Error('answered FAILED'));
      return issue(request);
    };
    await expect(updateSettings(arn, B, A, deps, { ...OPTIONS, signal: abandon.signal })).rejects.toThrow(SettingsNotAppliedError);
    expect(fx.labels(arn)).toEqual(labels);
    expect(minting.live.size).toBe(0); // minted, never stored, so revoked
  });
});

describe('settings: delete', () => {
  it('revokes the replaced tokens the secret tracks, never the current one', async () => {
    const { opener, server } = servers();
    const deps = setup(opener);
    const arn = await deployed(deps);
    const { rotateNow } = await import('../../core/operations/rotate-now.js');
    await rotateNow(arn, deps, OPTIONS.wait); // now a current and a previous token
    await fx.aws.rotationsSettled(arn);
    const current = String(fx.valueAt(arn, 'AWSCURRENT')!.token);
    expect(server(A.host).live.size).toBe(2);
    const result = await deleteSettings(arn, deps);
    expect(result).toMatchObject({ revoked: 1, revokeFailures: 0 });
    expect(result.messages.join(' ')).toMatch(/current token is not revoked/);
    expect([...server(A.host).live.keys()]).toEqual([current]);
  });

  it('leaves a replaced token another managed secret holds as current (tokens that can collide), or that it cannot check', async () => {
    const provider = new MemoryProvider({ now: () => fx.clock.now(), capabilities: { tokensMayCollide: true } });
    const deps = fx.deps({ definition: () => memoryDefinition, open: async () => provider });
    const shared = 'the-same-jwt';
    provider.live.set(shared, fx.clock.now() + DAY * 1000);
    provider.live.set('own-current', fx.clock.now() + DAY * 1000);
    const json = (token: string) => ({ ...A, token, expiresAt: new Date(fx.clock.now() + DAY * 1000).toISOString() });
    const other = await fx.createSecret('cs/other', json(shared));
    const removed = await fx.createSecret('cs/removed', json(shared));
    await fx.putVersion(removed.arn, json('own-current'), ['AWSCURRENT']); // the shared token is now its AWSPREVIOUS
    const withoutFleet = await deleteSettings(removed.arn, deps);
    expect(withoutFleet).toMatchObject({ revoked: 0, revokeFailures: 0 });
    expect(withoutFleet.messages.join(' ')).toMatch(/could not be checked/);
    const withFleet = await deleteSettings(removed.arn, deps, { fleet: { kind: 'ids', ids: [other.arn, removed.arn] } });
    expect(withFleet).toMatchObject({ revoked: 0, revokeFailures: 0 });
    expect(provider.isLive(shared)).toBe(true);
    expect(provider.isLive('own-current')).toBe(true);
  });

  it('of a secret that never got a value does nothing', async () => {
    const { opener } = servers();
    const deps = setup(opener);
    expect(await deleteSettings(await emptySecret(), deps)).toMatchObject({ revoked: 0, revokeFailures: 0 });
  });
});
