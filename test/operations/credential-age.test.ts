/**
 * Issue 22, credential age: the sweep measures each credential secret its token secrets name (once
 * per run, however many token secrets share it), and on-demand status reports the age of its
 * secret's credential. Local endpoint, whose LastChangedDate follows its (test-moved) clock.
 */
import { describe, expect, it } from 'vitest';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { credentialAges } from '../../core/operations/credential-age.js';
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

describe('credentialAges (a store of descriptions in memory)', () => {
  const NOW = Date.parse('2030-01-01T00:00:00.000Z');
  const clock = { now: () => NOW };
  const described: Record<string, { arn: string; lastChangedDate?: Date }> = {
    'cred/a': { arn: 'arn:cred-a', lastChangedDate: new Date(NOW - 2 * DAY * 1000 + 1) },
    'arn:cred-a': { arn: 'arn:cred-a', lastChangedDate: new Date(NOW - 2 * DAY * 1000 + 1) },
    'cred/b': { arn: 'arn:cred-b' },
  };
  const store = {
    describe: async (id: string) => {
      const d = described[id];
      if (!d) throw new Error(`ResourceNotFoundException: ${id}`);
      return d;
    },
  } as Parameters<typeof credentialAges>[0];

  it('whole days, counted down (a day and almost a whole second day is one day); unknown when the secret has no change date', async () => {
    const { ages, unreadable } = await credentialAges(store, ['cred/a', 'cred/b'], clock);
    expect(ages).toEqual([
      { credentialSecretId: 'arn:cred-a', lastChangedAt: new Date(NOW - 2 * DAY * 1000 + 1).toISOString(), ageDays: 1 },
      { credentialSecretId: 'arn:cred-b', lastChangedAt: null, ageDays: null },
    ]);
    expect(unreadable).toBe(0);
  });

  it('a secret named twice (by name and by ARN) is one entry; one that cannot be described is counted, not listed', async () => {
    const { ages, unreadable } = await credentialAges(store, ['cred/a', 'arn:cred-a', 'cred/a', 'cred/missing', 'cred/gone'], clock);
    expect(ages.map((a) => a.credentialSecretId)).toEqual(['arn:cred-a']);
    expect(unreadable).toBe(2);
  });
});
