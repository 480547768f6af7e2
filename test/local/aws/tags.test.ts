import {
  CreateSecretCommand,
  DescribeSecretCommand,
  InvalidParameterException,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejectionOf, startHarness, token, type Harness } from './test-support.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.sm.send(new CreateSecretCommand({ Name: 'tagged', SecretString: 'x', Tags: [{ Key: 'keep', Value: 'me' }] }));
});
afterEach(async () => {
  await h.close();
});

const tag = (Key: string, Value: string) => h.sm.send(new TagResourceCommand({ SecretId: 'tagged', Tags: [{ Key, Value }] }));
const tagsOf = async () => (await h.sm.send(new DescribeSecretCommand({ SecretId: 'tagged' }))).Tags;

describe('TagResource validation', () => {
  it('accepts letters (any script), digits, spaces and _ . : / = + - @, up to 128/256 characters', async () => {
    await tag('tg-token-rotation:last-rotation-error', `${token('abc')} setSecret Error: host/path a=b+c @ 10.0.0.1:9000`);
    await tag('Zürich_東京', 'Grüße 日本 ١٢٣');
    await tag('k'.repeat(128), 'v'.repeat(256));
    // Lengths count Unicode characters, not UTF-16 units: 256 letters outside the BMP are allowed.
    await tag('astral', '𝒜'.repeat(256));
    await tag('empty-value', '');
    expect((await tagsOf())?.map((t) => t.Key)).toEqual([
      'keep',
      'tg-token-rotation:last-rotation-error',
      'Zürich_東京',
      'k'.repeat(128),
      'astral',
      'empty-value',
    ]);
  });

  it('refuses other characters with InvalidParameterException and changes nothing', async () => {
    for (const value of ['a,b', 'semi;colon', 'quote"', "it's", '(x)', 'hash#', 'tab\there', 'new\nline', 'pct%', 'star*', 'a|b', 'ü?']) {
      const err = await rejectionOf(tag('k', value));
      expect(err, JSON.stringify(value)).toBeInstanceOf(InvalidParameterException);
      expect(err.message).toContain('tags.1.member.value');
    }
    const badKey = await rejectionOf(tag('bad,key', 'v'));
    expect(badKey).toBeInstanceOf(InvalidParameterException);
    expect(badKey.message).toContain('tag key');
    expect(await tagsOf()).toEqual([{ Key: 'keep', Value: 'me' }]);
  });

  it('refuses lengths beyond the model with ValidationException', async () => {
    const longValue = await rejectionOf(tag('k', 'v'.repeat(257)));
    expect(longValue.name).toBe('ValidationException');
    expect(longValue.message).toContain("at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256");
    expect((await rejectionOf(tag('k'.repeat(129), 'v'))).name).toBe('ValidationException');
    expect((await rejectionOf(tag('', 'v'))).name).toBe('ValidationException');
    expect(await tagsOf()).toEqual([{ Key: 'keep', Value: 'me' }]);
  });

  it('refuses the reserved aws: prefix', async () => {
    for (const [key, value] of [['aws:owner', 'me'], ['AWS:owner', 'me'], ['owner', 'aws:me']] as const) {
      expect(await rejectionOf(tag(key, value))).toBeInstanceOf(InvalidParameterException);
    }
    expect(await tagsOf()).toEqual([{ Key: 'keep', Value: 'me' }]);
  });

  it('reports the position of the bad tag, and refuses the whole request', async () => {
    const err = await rejectionOf(
      h.sm.send(new TagResourceCommand({ SecretId: 'tagged', Tags: [{ Key: 'fine', Value: 'ok' }, { Key: 'k', Value: 'no!' }] })),
    );
    expect(err.message).toContain('tags.2.member.value');
    expect(await tagsOf()).toEqual([{ Key: 'keep', Value: 'me' }]);
  });

  it('keeps at most 50 tags on a secret; a refused request leaves the tags as they were', async () => {
    const tags = Array.from({ length: 49 }, (_, i) => ({ Key: `t${i}`, Value: `${i}` }));
    await h.sm.send(new TagResourceCommand({ SecretId: 'tagged', Tags: tags }));
    expect(await tagsOf()).toHaveLength(50);
    await h.sm.send(new TagResourceCommand({ SecretId: 'tagged', Tags: [{ Key: 't0', Value: 'overwritten' }] }));
    const tooMany = await rejectionOf(tag('one-more', 'x'));
    expect(tooMany).toBeInstanceOf(InvalidParameterException);
    const after = await tagsOf();
    expect(after).toHaveLength(50);
    expect(after?.find((t) => t.Key === 't0')?.Value).toBe('overwritten');
  });

  it('applies the same rules to CreateSecret, which then creates nothing', async () => {
    const bad = await rejectionOf(h.sm.send(new CreateSecretCommand({ Name: 'new', SecretString: 'x', Tags: [{ Key: 'k', Value: 'a&b' }] })));
    expect(bad).toBeInstanceOf(InvalidParameterException);
    const many = Array.from({ length: 51 }, (_, i) => ({ Key: `t${i}`, Value: 'v' }));
    expect(await rejectionOf(h.sm.send(new CreateSecretCommand({ Name: 'new', SecretString: 'x', Tags: many })))).toBeInstanceOf(
      InvalidParameterException,
    );
    expect(h.aws.inspectSecret('new')).toBeUndefined();
  });
});
