/**
 * Issue 22, credential age: the sweep measures each credential secret its token secrets name (once
 * per run, however many token secrets share it), and on-demand status reports the age of its
 * secret's credential. Local endpoint, whose LastChangedDate follows its (test-moved) clock.
 */
import { describe, expect, it } from 'vitest';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { performOnDemand, parseOnDemandEvent } from '../../core/operations/on-demand.js';
import { sweep } from '../../core/operations/sweep.js';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import { MemoryProvider, memoryOpener } from '../helpers/memory-provider.js';
import { DAY, tokenJson, useLocalAws } from '../helpers/local-aws.js';

const fx = useLocalAws();
let counter = 0;

async function credential(): Promise<string> {
  const out = await fx.client.send(new CreateSecretCommand({ Name: `cred-age/${++counter}`, SecretString: JSON.stringify({ secret: 'x' }) }));
  return out.ARN as string;
}

async function tokenSecret(provider: MemoryProvider, credentialSecretId: string): Promise<string> {
  const { token } = await provider.issue();
  return (await fx.createSecret('cred-age/token', tokenJson(fx.clock, token, 20 * DAY, { credentialSecretId }))).arn;
}

describe('credential age', () => {
  it('the sweep reports each credential secret once, with the days since it last changed', async () => {
    const provider = new MemoryProvider({ now: () => fx.clock.now() });
    const old = await credential();
    fx.clock.advance(400 * DAY);
    const fresh = await credential();
    const a = await tokenSecret(provider, old);
    const b = await tokenSecret(provider, old);
    const c = await tokenSecret(provider, fresh);
    fx.clock.advance(10 * DAY);
    const summary = await sweep({ kind: 'ids', ids: [a, b, c] }, fx.deps(memoryOpener(provider)), { settings: DEFAULT_SETTINGS, credentialAges: true });
    const ages = [...(summary.credentialAges ?? [])].sort((x, y) => (y.ageDays ?? 0) - (x.ageDays ?? 0));
    expect(ages).toEqual([
      { credentialSecretId: old, lastChangedAt: expect.any(String), ageDays: 410 },
      { credentialSecretId: fresh, lastChangedAt: expect.any(String), ageDays: 10 },
    ]);
    // A change of the credential resets its age.
    await fx.client.send(new PutSecretValueCommand({ SecretId: old, SecretString: JSON.stringify({ secret: 'y' }) }));
    const again = await sweep({ kind: 'ids', ids: [a] }, fx.deps(memoryOpener(provider)), { settings: DEFAULT_SETTINGS, credentialAges: true });
    expect(again.credentialAges).toEqual([{ credentialSecretId: old, lastChangedAt: expect.any(String), ageDays: 0 }]);
  });

  it('a credential that cannot be described is left out; without the option nothing is measured', async () => {
    const provider = new MemoryProvider({ now: () => fx.clock.now() });
    const a = await tokenSecret(provider, 'cred-age/does-not-exist');
    const summary = await sweep({ kind: 'ids', ids: [a] }, fx.deps(memoryOpener(provider)), { settings: DEFAULT_SETTINGS, credentialAges: true });
    expect(summary.credentialAges).toEqual([]);
    fx.aws.resetRequestLog();
    const plain = await sweep({ kind: 'ids', ids: [a] }, fx.deps(memoryOpener(provider)), { settings: DEFAULT_SETTINGS });
    expect(plain.credentialAges).toBeUndefined();
    expect(fx.aws.countCalls('DescribeSecret')).toBe(0);
  });

  it('on-demand status shows the age of the secret’s credential', async () => {
    const provider = new MemoryProvider({ now: () => fx.clock.now() });
    const cred = await credential();
    const a = await tokenSecret(provider, cred);
    fx.clock.advance(366 * DAY);
    const status = await performOnDemand(parseOnDemandEvent({ action: 'status', secretId: a }), fx.deps(memoryOpener(provider)), {
      settings: DEFAULT_SETTINGS,
      fleet: { kind: 'tag' },
      wait: { timeoutMs: 0 },
    });
    expect(status).toMatchObject({ credential: { credentialSecretId: cred, ageDays: 366 } });
  });
});
