/**
 * The Distributed Map sweep on one machine: the local stack (Secrets Manager, SSM, the fakes), the
 * real fleet-list handler writing its JSON Lines to an in-memory S3 (aws-sdk-client-mock), then the
 * lines batched as the map's ItemBatcher would (the plan's batch size, its per-worker budgets as
 * BatchInput, at most its MaxConcurrency at once) and each batch given to the real scheduled-refresh
 * handler, with where the list step's holders index is. Every secret is swept exactly once, each batch stays within its share of the budgets
 * (and the map within the whole), and the batches' summaries add up to the fleet.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import pLimit from 'p-limit';
import { ENV } from '../../core/names.js';
import { RateBudget } from '../../core/secrets/budget.js';
import { handler as fleetList, type FleetListResult } from '../../functions/fleet-list/handler.js';
import { handler as scheduled, type ScheduledRefreshResult } from '../../functions/scheduled-refresh/handler.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';

const DAY = 86_400;
/** The settings' budgets for the whole sweep: the map splits them between its workers. */
const BUDGET = { writesPerSecond: 3, rotationsPerSecond: 1.5 };
const BATCH_SIZE = 3;
const BUCKET = 'tg-sweep-runs';
const KEY = 'fleet/local-run-1.jsonl';

let stack: LocalStack;
const s3 = mockClient(S3Client);
const objects = new Map<string, string>();
const saved = { ids: process.env[ENV.MANAGED_SECRET_IDS], discovery: process.env[ENV.FLEET_DISCOVERY] };

/** The secrets of this file's endpoint, by what a sweep 1.5 days later should do with them. */
const fleet = { due3: [] as string[], due4: [] as string[], far: [] as string[], broken: [] as string[] };
const all = () => [...fleet.due3, ...fleet.due4, ...fleet.far, ...fleet.broken];

beforeAll(async () => {
  process.env.TG_HTTP_TIMEOUT_MS = '1000';
  process.env.TG_HTTP_BASE_DELAY_MS = '5';
  // The list step finds the fleet by tag (no stack ids in a local run).
  delete process.env[ENV.MANAGED_SECRET_IDS];
  process.env[ENV.FLEET_DISCOVERY] = 'tag';
  stack = await startLocalStack();
  await stack.putSettings({ refreshBeforeSeconds: 3 * DAY, revokeGraceSeconds: 3600, concurrency: 4, ...BUDGET });
  s3.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string; Body: Uint8Array | string }) => {
    objects.set(`${input.Bucket}/${input.Key}`, Buffer.from(input.Body).toString('utf8'));
    return { ETag: '"fleet"' };
  });
  // Interleaved, so that batches mix due, far and failing secrets.
  for (let i = 0; i < 4; i++) {
    fleet.due3.push(await stack.createTokenSecret(`it/map/due3-${i}`, { version: 3, fields: { lifetimeSeconds: 2 * DAY } }));
    fleet.far.push(await stack.createTokenSecret(`it/map/far-${i}`, { version: 3, fields: { lifetimeSeconds: 30 * DAY } }));
    if (i < 2) fleet.due4.push(await stack.createTokenSecret(`it/map/due4-${i}`, { version: 4, fields: { lifetimeSeconds: 2 * DAY } }));
  }
  fleet.broken.push(await stack.createTokenSecret('it/map/broken', { version: 3, rotate: false, credentials: { secret: 'not-the-secret' } }));
  // Past half of the 2-day lifetimes: those tokens are due; the 30-day ones are not.
  stack.clock.advance(1.5 * DAY);
}, 60_000);

afterAll(async () => {
  s3.restore();
  vi.restoreAllMocks();
  await stack?.close();
  for (const [name, value] of [[ENV.MANAGED_SECRET_IDS, saved.ids], [ENV.FLEET_DISCOVERY, saved.discovery]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

// The settings middleware adds `settings` to the context; the handlers' types ask for it up front.
const context = <H extends (event: never, context: never) => unknown>(name: string) => lambdaContext(name, 900_000) as unknown as Parameters<H>[1];

describe('Distributed Map sweep, run locally', () => {
  let listed: FleetListResult;
  let items: Array<{ secretId: string }>;

  it('the list step writes every managed secret, once, as JSON Lines and plans the map from the settings’ budgets', async () => {
    listed = (await fleetList({ bucket: BUCKET, key: KEY, batchSize: BATCH_SIZE }, context<typeof fleetList>('fleet-list'))) as FleetListResult;
    expect(listed).toMatchObject({ bucket: BUCKET, key: KEY, count: all().length, holders: { bucket: BUCKET, key: 'fleet/local-run-1.holders.jsonl', unread: 0 } });
    // The fleet list and its holders index (map-holders-index.test.ts).
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key).sort()).toEqual([KEY, listed.holders.key].sort());
    const text = objects.get(`${BUCKET}/${KEY}`)!;
    expect(text.endsWith('\n')).toBe(true);
    items = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { secretId: string });
    expect(items.every((item) => Object.keys(item).join() === 'secretId')).toBe(true);
    expect(items.map((i) => i.secretId).sort()).toEqual(all().sort());

    // 11 secrets in batches of 3: 4 batches; 3 writes/s keep 3 workers at 1 write/s (and 0.5 rotations/s) each.
    expect(listed.plan).toMatchObject({ batchSize: BATCH_SIZE, batches: 4, maxConcurrency: 3 });
    expect(listed.plan.perWorker.writesPerSecond).toBeCloseTo(1);
    expect(listed.plan.perWorker.rotationsPerSecond).toBeCloseTo(0.5);
  });

  it('the batches, each at its share of the budgets, sweep every secret once; the summaries add up', async () => {
    expect(items, 'the list step ran').toBeDefined();
    const { plan } = listed;
    // Every grant of every budget, by budget: a worker invocation makes one budget for writes and one for rotations.
    const grants = new Map<RateBudget, number[]>();
    const take = RateBudget.prototype.take;
    vi.spyOn(RateBudget.prototype, 'take').mockImplementation(function (this: RateBudget) {
      return take.call(this).then(() => {
        grants.set(this, [...(grants.get(this) ?? []), performance.now()]);
      });
    });
    stack.aws.resetRequestLog();

    // The ItemBatcher: consecutive items, plan.batchSize a batch, with the plan's BatchInput.
    const batches: Array<{ Items: Array<{ secretId: string }>; BatchInput: { writesPerSecond: number; rotationsPerSecond: number; batchGetPerSecond: number; holders: { bucket: string; key: string } } }> = [];
    const holders = { bucket: listed.holders.bucket, key: listed.holders.key };
    for (let i = 0; i < items.length; i += plan.batchSize) {
      batches.push({ Items: items.slice(i, i + plan.batchSize), BatchInput: { ...plan.perWorker, holders } });
    }
    expect(batches).toHaveLength(plan.batches);
    // MaxConcurrency: at most plan.maxConcurrency workers at once.
    const limit = pLimit(plan.maxConcurrency);
    let running = 0;
    let peak = 0;
    const started = performance.now();
    const results = await Promise.all(
      batches.map((event) =>
        limit(async () => {
          peak = Math.max(peak, ++running);
          try {
            return (await scheduled(event, context<typeof scheduled>('scheduled-refresh'))) as ScheduledRefreshResult;
          } finally {
            running--;
          }
        }),
      ),
    );
    const elapsedMs = performance.now() - started;
    await stack.aws.rotationsSettled();
    expect(peak).toBe(plan.maxConcurrency);

    // Each batch checked exactly its own items; together, the fleet once.
    results.forEach((result, i) => expect(result.checked).toBe(batches[i]!.Items.length));
    const total = (field: 'checked' | 'refreshed' | 'rotated' | 'revoked' | 'expiring' | 'skipped' | 'revokeFailures') => results.reduce((sum, r) => sum + r[field], 0);
    const failed = results.flatMap((r) => r.failed.map((f) => f.secretId));
    expect(total('checked')).toBe(listed.count);
    expect({ refreshed: total('refreshed'), rotated: total('rotated'), skipped: total('skipped'), revoked: total('revoked'), revokeFailures: total('revokeFailures') }).toEqual({
      refreshed: fleet.due3.length,
      rotated: fleet.due4.length,
      skipped: 0,
      revoked: 0,
      revokeFailures: 0,
    });
    expect(failed).toEqual(fleet.broken);
    expect(total('checked') - failed.length).toBe(fleet.due3.length + fleet.due4.length + fleet.far.length);

    // Swept once: one refresh write per due 3.x secret, one rotation per due 4.x secret (and the
    // broken one, which has no token), no new token for the far ones (only their first rotation
    // settled: labels moved, past the grace period).
    const calls = (operation: string, secretId: string) => stack.aws.requestLog.filter((e) => e.operation === operation && e.secretId === secretId).length;
    for (const arn of fleet.due3) {
      expect(calls('PutSecretValue', arn)).toBe(1);
      expect(calls('RotateSecret', arn)).toBe(0);
    }
    for (const arn of [...fleet.due4, ...fleet.broken]) expect(calls('RotateSecret', arn)).toBe(1);
    for (const arn of fleet.far) {
      for (const op of ['PutSecretValue', 'RotateSecret']) expect(calls(op, arn)).toBe(0);
    }
    for (const arn of [...fleet.due3, ...fleet.due4]) {
      const out = await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
      const expiresAt = Date.parse((JSON.parse(out.SecretString!) as { expiresAt: string }).expiresAt);
      expect(expiresAt - stack.clock.now()).toBeGreaterThan(DAY);
    }

    // Per batch: each worker's budgets were its share (not the whole budget), and it kept to them.
    const budgets = [...grants.entries()];
    expect(budgets.length).toBeGreaterThan(0);
    // Reads too: each worker's BatchGetSecretValue calls took slots of its share of the read quota.
    expect(budgets.some(([b, times]) => b.currentRate === plan.perWorker.batchGetPerSecond && times.length > 0)).toBe(true);
    for (const [budget, times] of budgets) {
      expect([plan.perWorker.writesPerSecond, plan.perWorker.rotationsPerSecond, plan.perWorker.batchGetPerSecond]).toContain(budget.currentRate);
      if (times.length < 2) continue;
      const seconds = (times.at(-1)! - times[0]!) / 1000;
      // A token bucket holding one call: n calls take at least (n - 1) / rate seconds.
      expect(seconds).toBeGreaterThanOrEqual(((times.length - 1) / budget.currentRate) * 0.9);
    }
    // The map as a whole: the writes of all workers together stayed within the settings' budget.
    const writes = budgets.filter(([b]) => b.currentRate === plan.perWorker.writesPerSecond).flatMap(([, t]) => t);
    const workers = budgets.filter(([b]) => b.currentRate === plan.perWorker.writesPerSecond).length;
    const span = (Math.max(...writes) - Math.min(...writes)) / 1000;
    expect(writes.length).toBeGreaterThan(plan.maxConcurrency);
    expect(writes.length - workers).toBeLessThanOrEqual(BUDGET.writesPerSecond * span * 1.1 + 1);
    console.log(`map run: ${batches.length} batches, ${plan.maxConcurrency} at once, ${writes.length} write slots over ${span.toFixed(1)} s, ${(elapsedMs / 1000).toFixed(1)} s in all`);
  }, 120_000);

  it('the list step refuses an event without a bucket or key, naming the field', async () => {
    await expect(fleetList({ key: KEY }, context<typeof fleetList>('fleet-list'))).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining('bucket') });
  });
});
