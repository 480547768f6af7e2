/**
 * The holders index the list step writes for the Distributed Map workers (core/operations/holders-index.ts):
 * listFleet with `holders` (values read through the store's paced batch reads, fingerprints of the
 * tokens that may collide, a last line with the unread count, back-pressure from either sink), the
 * worker's parse (a cut, foreign or incomplete index is refused) and holders.ts loadedIndex (loaded
 * once, when first asked; a failure falls back).
 */
import { describe, expect, it } from 'vitest';
import { listFleet, readsWhile } from '../../core/operations/fleet-list.js';
import type { FleetReader } from '../../core/operations/fleet.js';
import { holdersKeyFor, parseHoldersIndex, registryMayCollide, UnusableHoldersIndex } from '../../core/operations/holders-index.js';
import { loadedIndex, tokenFingerprint, type CurrentTokenIndex } from '../../core/operations/holders.js';
import { batchReadBudget } from '../../core/secrets/budget.js';
import type { BatchError, BatchValue } from '../../core/secrets/store.js';
import { DAY, tokenJson, useLocalAws } from '../helpers/local-aws.js';
import { Lines } from '../helpers/lines.js';

const fx = useLocalAws();

const arn = (i: number) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:h/${i}-AbCdEf`;
const tokenOf = (i: number) => `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.signature-${i}-${'x'.repeat(20)}`;

/** A store of `n` secrets by id, 4.x tokens, whose reads answer `errorFor(i)` instead of a value when it says so. */
function stubStore(n: number, errorFor: (i: number) => string | undefined = () => undefined) {
  const calls = { batchGet: 0 };
  const store: FleetReader = {
    listTagged: () => {
      throw new Error('an ids source is not listed');
    },
    batchGet: async (ids) => {
      calls.batchGet++;
      const values: BatchValue[] = [];
      const errors: BatchError[] = [];
      for (const id of ids) {
        const i = Number(/h\/(\d+)-/.exec(id)![1]);
        const code = errorFor(i);
        if (code) errors.push({ secretId: id, errorCode: code, message: 'refused' });
        else values.push({ secretId: id, arn: id, name: `h/${i}`, versionId: `v${i}`, stages: ['AWSCURRENT'], secretString: JSON.stringify({ token: tokenOf(i), tigergraphVersion: '4' }) });
      }
      return { values, errors };
    },
  };
  return { store, calls };
}

describe('listFleet with the holders index', () => {
  it('reads the values through the store’s paced batch reads, and indexes the tokens that may collide by fingerprint only', async () => {
    const tokens = { v4: 'tg4-token-that-may-collide-0123456789', v3: 'tg3-random-token-0123456789', ica: 'ica-token-0123456789abcdef', unknown: 'no-version-yet-0123456789' };
    const a = await fx.createSecret('holders/v4', tokenJson(fx.clock, tokens.v4, 20 * DAY, { tigergraphVersion: '4' }));
    const b = await fx.createSecret('holders/v3', tokenJson(fx.clock, tokens.v3, 20 * DAY, { tigergraphVersion: '3' }));
    const c = await fx.createSecret('holders/ica', tokenJson(fx.clock, tokens.ica, 20 * DAY, { provider: 'ica' }));
    // A TigerGraph secret whose version is not known yet (`auto`, never minted): it may be 4.x.
    const d = await fx.createSecret('holders/auto', tokenJson(fx.clock, tokens.unknown, 20 * DAY));
    const e = await fx.createSecret('holders/no-token', tokenJson(fx.clock, undefined, 20 * DAY, { tigergraphVersion: '4' }));
    const budget = batchReadBudget(1_000);
    const takes = { count: 0 };
    const take = budget.take.bind(budget);
    budget.take = () => (takes.count++, take());
    fx.aws.resetRequestLog();

    const fleet = new Lines();
    const holders = new Lines();
    const listed = await listFleet({ kind: 'ids', ids: [a.arn, b.arn, c.arn, d.arn, e.arn] }, fx.store({ batchReads: budget }), fleet, { holders: { sink: holders, mayCollide: registryMayCollide } });
    expect(listed).toEqual({ count: 5, holders: { indexed: 3, unread: 0 } });
    expect(fleet.lines.map((l) => (JSON.parse(l) as { secretId: string }).secretId)).toEqual([a.arn, b.arn, c.arn, d.arn, e.arn]);
    expect(holders.lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { fingerprint: tokenFingerprint(tokens.v4), secretId: a.arn },
      { fingerprint: tokenFingerprint(tokens.ica), secretId: c.arn },
      { fingerprint: tokenFingerprint(tokens.unknown), secretId: d.arn },
      { secrets: 5, unread: 0 },
    ]);
    for (const token of Object.values(tokens)) expect(holders.text()).not.toContain(token.slice(0, 12));
    // One BatchGetSecretValue (5 ids), through the read budget.
    expect(fx.aws.countCalls('BatchGetSecretValue')).toBe(1);
    expect(takes.count).toBe(1);
  });

  it('counts a secret it could not read as unread (the index is then refused), a gone one as holding nothing', async () => {
    const { store } = stubStore(5, (i) => (i === 1 ? 'DecryptionFailure' : i === 3 ? 'ResourceNotFoundException' : undefined));
    const holders = new Lines();
    const listed = await listFleet({ kind: 'ids', ids: [0, 1, 2, 3, 4].map(arn) }, store, new Lines(), { holders: { sink: holders, mayCollide: registryMayCollide } });
    expect(listed).toEqual({ count: 5, holders: { indexed: 3, unread: 1 } });
    expect(holders.lines.at(-1)).toBe('{"secrets":5,"unread":1}\n');
    expect(() => parseHoldersIndex(holders.text())).toThrow(/could not read 1 of 5 secrets/);
  });

  it('waits for a slow holders sink before reading the next batch (a batch of values in memory at a time)', async () => {
    const { store, calls } = stubStore(100);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let readsWhenBlocked = -1;
    const holders = new Lines(async (index) => {
      if (index !== 25) return;
      readsWhenBlocked = calls.batchGet;
      await gate;
    });
    const listing = listFleet({ kind: 'ids', ids: Array.from({ length: 100 }, (_, i) => arn(i)) }, store, new Lines(), { holders: { sink: holders, mayCollide: registryMayCollide } });
    await new Promise((r) => setTimeout(r, 50));
    // Blocked on the 26th token (the second batch of 20): the third batch has not been read.
    expect(readsWhenBlocked).toBe(2);
    expect(calls.batchGet).toBe(2);
    release();
    expect((await listing).holders).toEqual({ indexed: 100, unread: 0 });
    expect(calls.batchGet).toBe(5);
  });

  it('stops reading values when told (readsWhile: the list step’s time), still lists every secret, and counts the rest unread', async () => {
    const { store, calls } = stubStore(60);
    let reads = 0;
    const fleet = new Lines();
    const holders = new Lines();
    const listed = await listFleet({ kind: 'ids', ids: Array.from({ length: 60 }, (_, i) => arn(i)) }, readsWhile(store, () => reads++ < 1), fleet, { holders: { sink: holders, mayCollide: registryMayCollide } });
    expect(listed).toEqual({ count: 60, holders: { indexed: 20, unread: 40 } });
    expect(fleet.lines).toHaveLength(60);
    expect(calls.batchGet).toBe(1);
    expect(() => parseHoldersIndex(holders.text())).toThrow(/could not read 40 of 60/);
  });

  it('the index’s key sits beside the fleet list’s', () => {
    expect(holdersKeyFor('fleet/exec-1.jsonl')).toBe('fleet/exec-1.holders.jsonl');
    expect(holdersKeyFor('fleet/exec-1')).toBe('fleet/exec-1.holders.jsonl');
  });
});

describe('parseHoldersIndex', () => {
  const line = (token: string, secretId: string) => `${JSON.stringify({ fingerprint: tokenFingerprint(token), secretId })}\n`;
  const end = (secrets: number, unread = 0) => `${JSON.stringify({ secrets, unread })}\n`;

  it('answers who holds a token, by fingerprint, its own holding excepted', async () => {
    const index = parseHoldersIndex(line('t1', arn(1)) + line('t1', arn(2)) + line('t3', arn(3)) + end(4));
    expect(await index.heldElsewhere('t1', arn(1))).toBe(true);
    expect(await index.heldElsewhere('t3', arn(3))).toBe(false);
    expect(await index.heldElsewhere('t3', arn(1))).toBe(true);
    expect(await index.heldElsewhere('t4', arn(1))).toBe(false);
    // An empty fleet of colliding tokens: one line, and nobody holds anything.
    expect(await parseHoldersIndex(end(7)).heldElsewhere('t1', arn(1))).toBe(false);
  });

  it('refuses an index without its last line, with unread secrets, with a foreign line or a line after the last', () => {
    const cases: Array<[string, RegExp]> = [
      [line('t1', arn(1)), /no last line/],
      ['', /no last line/],
      [line('t1', arn(1)) + end(2, 1), /could not read 1 of 2/],
      [line('t1', arn(1)) + '{"token":"t1"}\n' + end(2), /line 2: expected/],
      [line('t1', arn(1)) + 'not json\n' + end(2), /line 2: expected/],
      [end(1) + line('t1', arn(1)), /line 2: expected/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseHoldersIndex(text), text).toThrow(UnusableHoldersIndex);
      expect(() => parseHoldersIndex(text), text).toThrow(message);
    }
  });
});

describe('loadedIndex', () => {
  const held: CurrentTokenIndex = { heldElsewhere: async () => true };
  const fallback = () => {
    const asked = { count: 0 };
    return { asked, index: { heldElsewhere: async () => (asked.count++, false) } satisfies CurrentTokenIndex };
  };

  it('loads nothing until asked, then once for every later question', async () => {
    let loads = 0;
    const { asked, index: other } = fallback();
    const index = loadedIndex(async () => (loads++, held), other);
    expect(loads).toBe(0);
    expect(await Promise.all([index.heldElsewhere('t', arn(1)), index.heldElsewhere('u', arn(2))])).toEqual([true, true]);
    expect(await index.heldElsewhere('v', arn(3))).toBe(true);
    expect(loads).toBe(1);
    expect(asked.count).toBe(0);
  });

  it('a load that fails: the fallback answers every question, and the reason is heard once', async () => {
    const reasons: string[] = [];
    let loads = 0;
    const { asked, index: other } = fallback();
    const index = loadedIndex(
      async () => {
        loads++;
        throw new UnusableHoldersIndex('holders index s3://b/k does not exist');
      },
      other,
      (reason) => reasons.push(reason),
    );
    expect(await index.heldElsewhere('t', arn(1))).toBe(false);
    expect(await index.heldElsewhere('u', arn(1))).toBe(false);
    expect({ loads, asked: asked.count, reasons }).toEqual({ loads: 1, asked: 2, reasons: ['holders index s3://b/k does not exist'] });
  });
});
