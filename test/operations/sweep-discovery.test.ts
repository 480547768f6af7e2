/**
 * Which secrets a tag-discovery sweep finds (its own endpoint: every managed secret there is this
 * file's): the tag key and value checked as a pair, and every page of ListSecrets followed.
 */
import { describe, expect, it } from 'vitest';
import { TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { sweep } from '../../core/operations/sweep.js';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import { MemoryProvider, memoryOpener } from '../helpers/memory-provider.js';
import { DAY, tokenJson, useLocalAws } from '../helpers/local-aws.js';

const fx = useLocalAws();

describe('sweep: finding managed secrets by tag', () => {
  it('takes only secrets whose managed tag is "true" (not another tag set to true), over several pages', async () => {
    const provider = new MemoryProvider({ now: () => fx.clock.now() });
    const managed: string[] = [];
    for (let i = 0; i < 105; i++) {
      const { token } = await provider.issue();
      managed.push((await fx.createSecret('sweep/tagged', tokenJson(fx.clock, token, 20 * DAY))).arn);
    }
    // Due, so the sweep would act on it (and report it) if it wrongly took it.
    const { arn: unmanaged } = await fx.createSecret('sweep/unmanaged', tokenJson(fx.clock, 'x'.repeat(32), DAY), { managed: false });
    await fx.client.send(new TagResourceCommand({ SecretId: unmanaged, Tags: [{ Key: 'tg-token-rotation:managed', Value: 'false' }, { Key: 'other', Value: 'true' }] }));
    // Past the grace period: each managed secret gets settled (nothing to revoke), so each is reported.
    fx.clock.advance(2 * 3600);
    const seen: string[] = [];
    const summary = await sweep({ kind: 'tag' }, fx.deps(memoryOpener(provider)), { settings: DEFAULT_SETTINGS, onSecret: (r) => seen.push(r.secretId) });
    expect(summary.checked).toBe(105);
    expect(fx.aws.countCalls('ListSecrets')).toBeGreaterThanOrEqual(2);
    expect(seen).not.toContain(unmanaged);
    expect(summary.failed.map((f) => f.secretId)).not.toContain(unmanaged);
    expect(summary.rotated + summary.refreshed).toBe(0);
    // Settling each new secret (nothing to revoke) is the only work: every managed one was found.
    expect(seen.sort()).toEqual([...managed].sort());
  });
});
