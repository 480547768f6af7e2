/**
 * The Distributed Map workers' fleet index (issue 22): the list step writes the fingerprints of the
 * fleet's current tokens beside the fleet list, and a worker that settles a TigerGraph 4.x token
 * (tokens may collide) asks that index who else holds it instead of reading the whole fleet. Run
 * with the local stack (Secrets Manager, the 4.x fake), the real fleet-list and scheduled-refresh
 * handlers, and an in-memory S3 (aws-sdk-client-mock) holding what the list step wrote.
 *
 * Counted against the local endpoint: a worker with the index reads its batch and nothing else
 * (one BatchGetSecretValue), and still refuses to revoke a token that a secret outside its batch
 * holds as current; without the index, or with one it cannot use, it reads the fleet as before.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { startLoopbackS3, type LoopbackS3 } from '../../local/s3-objects.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../core/names.js';
import { tokenFingerprint } from '../../core/operations/holders.js';
import { recentMints } from '../../core/providers/tigergraph/mints.js';
import { handler as fleetList, type FleetListResult } from '../../functions/fleet-list/handler.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { ROTATION_LAMBDA_ARN, type LocalStack } from '../../local/stack.js';
import { BLOCK_LIST_REVOKES, DAY, invoke, knownTokens, putSettings, rotateSecret, startStack, tokenOf, withStage } from '../reliability/helpers.js';

const BUCKET = 'tg-sweep-runs';
const KEY = 'fleet/holders-run-1.jsonl';
const HOLDERS_KEY = 'fleet/holders-run-1.holders.jsonl';
const BUDGET_SHARE = { writesPerSecond: 5, rotationsPerSecond: 2, batchGetPerSecond: 50 };

let stack: LocalStack;
const s3 = mockClient(S3Client);
const objects = new Map<string, string>();
let bucket: LoopbackS3 | undefined;
const saved = { ids: process.env[ENV.MANAGED_SECRET_IDS], discovery: process.env[ENV.FLEET_DISCOVERY] };

/** Secrets by role: `a` and `b` share one token, which `a` has since replaced; each `lone` replaced a token nobody else holds. */
const fleet = { a: '', b: '', lone: [] as string[], others: [] as string[] };
let listed: FleetListResult;

const current = (arn: string) => tokenOf(withStage(stack.aws.inspectSecret(arn)!, 'AWSCURRENT')[0])!;
const previous = (arn: string) => tokenOf(withStage(stack.aws.inspectSecret(arn)!, 'AWSPREVIOUS')[0]);

/** Two 4.x secrets rotated in one frozen second, as if in two containers: the server answers both the same token (test/reliability/tigergraph4.test.ts). */
async function collidingPair(): Promise<[string, string]> {
  const arns: string[] = [];
  for (const name of ['it/holders/a', 'it/holders/b']) arns.push(await stack.createTokenSecret(name, { version: 4, rotate: false, fields: { lifetimeSeconds: 30 * DAY } }));
  stack.clock.advance(2);
  const second = Math.ceil(stack.clock.now() / 1000) * 1000 + 100;
  vi.spyOn(stack.clock, 'now').mockReturnValue(second);
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
  vi.spyOn(recentMints, 'claim').mockReturnValue(true);
  try {
    await Promise.all(arns.map((arn) => stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: ROTATION_LAMBDA_ARN, RotationRules: { AutomaticallyAfterDays: 7 } }))));
    await stack.aws.rotationsSettled();
  } finally {
    vi.restoreAllMocks();
  }
  return [arns[0]!, arns[1]!];
}

beforeAll(async () => {
  delete process.env[ENV.MANAGED_SECRET_IDS];
  process.env[ENV.FLEET_DISCOVERY] = 'tag';
  stack = await startStack({}, { TG_HTTP_TIMEOUT_MS: '2000' });
  // Replaced 30-day tokens are revoked by routine (the default leaves those with under 60 days to expire).
  await putSettings(stack, { refreshBeforeSeconds: 3 * DAY, revokeGraceSeconds: 3600, concurrency: 4, ...BLOCK_LIST_REVOKES });
  s3.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string; Body: Uint8Array | string }) => {
    objects.set(`${input.Bucket}/${input.Key}`, Buffer.from(input.Body).toString('utf8'));
    return { ETag: '"x"' };
  });
  // The worker reads the index with one signed GET (functions/lib/s3-object.ts): a loopback S3 over the same objects.
  bucket = await startLoopbackS3(objects);
  process.env.AWS_ENDPOINT_URL_S3 = bucket.url;

  [fleet.a, fleet.b] = await collidingPair();
  expect(current(fleet.a)).toBe(current(fleet.b));
  for (let i = 0; i < 4; i++) fleet.lone.push(await stack.createTokenSecret(`it/holders/lone-${i}`, { version: 4, fields: { lifetimeSeconds: 30 * DAY } }));
  // More of the fleet outside every batch below, with 3.x tokens (which cannot collide: not indexed).
  for (let i = 0; i < 3; i++) fleet.others.push(await stack.createTokenSecret(`it/holders/other-${i}`, { version: 3, fields: { lifetimeSeconds: 30 * DAY } }));
  // Replaced: a's previous token is b's current one; each lone secret's previous token is its own.
  for (const arn of [fleet.a, ...fleet.lone]) await rotateSecret(stack, arn);
  expect(previous(fleet.a)).toBe(current(fleet.b));
  // Past the revoke grace period: each replaced token is due for its settle.
  stack.clock.advance(3601);

  listed = (await fleetList({ bucket: BUCKET, key: KEY, batchSize: 2 }, lambdaContext('fleet-list', 900_000) as never)) as FleetListResult;
}, 120_000);

afterAll(async () => {
  s3.restore();
  delete process.env.AWS_ENDPOINT_URL_S3;
  await bucket?.close();
  vi.restoreAllMocks();
  await stack?.close();
  for (const [name, value] of [[ENV.MANAGED_SECRET_IDS, saved.ids], [ENV.FLEET_DISCOVERY, saved.discovery]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** One map batch, as the ItemBatcher hands it (the state machine's BatchInput), optionally with `holders`. */
function batch(ids: string[], holders?: { bucket: string; key: string }) {
  return { Items: ids.map((secretId) => ({ secretId })), BatchInput: { ...BUDGET_SHARE, ...(holders ? { holders } : {}) } };
}

async function sweepBatch(event: ReturnType<typeof batch>) {
  stack.aws.resetRequestLog();
  const deletes = stack.tg4.stats().delete;
  const summary = await invoke.scheduled(event);
  await stack.aws.rotationsSettled();
  return { summary, batchGets: stack.aws.countCalls('BatchGetSecretValue'), revokes: stack.tg4.stats().delete - deletes };
}

describe('the list step’s holders index', () => {
  it('is written beside the fleet list, its key returned: fingerprints of the 4.x current tokens, no token, and a complete last line', () => {
    const all = [fleet.a, fleet.b, ...fleet.lone, ...fleet.others];
    expect(listed).toMatchObject({ bucket: BUCKET, key: KEY, count: all.length, holders: { bucket: BUCKET, key: HOLDERS_KEY, indexed: 2 + fleet.lone.length, unread: 0 } });
    const text = objects.get(`${BUCKET}/${HOLDERS_KEY}`)!;
    const lines = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.at(-1)).toEqual({ secrets: all.length, unread: 0 });
    const entries = lines.slice(0, -1);
    expect(entries.every((e) => Object.keys(e).sort().join() === 'fingerprint,secretId' && typeof e.fingerprint === 'string' && (e.fingerprint as string).length === 22)).toBe(true);
    // Only the secrets whose tokens may collide (4.x), each once, by their current token: b's is a's replaced one.
    expect(entries.map((e) => e.secretId).sort()).toEqual([fleet.a, fleet.b, ...fleet.lone].sort());
    for (const e of entries) expect(e.fingerprint).toBe(tokenFingerprint(current(e.secretId as string)));
    expect(entries.find((e) => e.secretId === fleet.b)!.fingerprint).toBe(tokenFingerprint(previous(fleet.a)!));
    // No token (nor a piece of one: its signature, or its last 16 characters) is in the object.
    const tokens = [...knownTokens(stack)];
    expect(tokens.length).toBeGreaterThan(entries.length);
    for (const token of tokens) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.split('.').at(-1)!);
      expect(text).not.toContain(token.slice(-16));
    }
  });
});

describe('a map worker that settles a 4.x token', () => {
  it('with the index: revokes a replaced token nobody else holds, reading only its own batch', async () => {
    const [lone] = fleet.lone;
    const old = previous(lone!)!;
    const { summary, batchGets, revokes } = await sweepBatch(batch([lone!, fleet.others[0]!], listed.holders));
    expect(summary).toMatchObject({ checked: 2, revoked: 1, revokeFailures: 0, failed: [] });
    expect(revokes).toBe(1);
    expect(stack.tg4.isLive(old)).toBe(false);
    // Its batch (2 ids: one call), and no read of the fleet.
    expect(batchGets).toBe(1);
  });

  it('with the index: refuses to revoke a token a secret outside its batch holds as current, reading only its own batch', async () => {
    const shared = current(fleet.b);
    const { summary, batchGets, revokes } = await sweepBatch(batch([fleet.a], listed.holders));
    expect(summary).toMatchObject({ checked: 1, revoked: 0, revokeFailures: 0, failed: [] });
    expect(revokes).toBe(0);
    expect(stack.tg4.isLive(shared)).toBe(true);
    expect(current(fleet.b)).toBe(shared);
    expect(batchGets).toBe(1);
  });

  it('without the index (a single sweep’s event, an older state machine): reads the whole fleet, as before', async () => {
    const lone = fleet.lone[1]!;
    const { summary, batchGets, revokes } = await sweepBatch(batch([lone]));
    expect(summary).toMatchObject({ revoked: 1, failed: [] });
    expect(revokes).toBe(1);
    // Its batch, then the fleet (9 secrets: one call).
    expect(batchGets).toBe(2);
  });

  it('with an index that is missing or unusable: falls back to reading the fleet, and the sweep goes on', async () => {
    objects.set(`${BUCKET}/fleet/cut.holders.jsonl`, objects.get(`${BUCKET}/${HOLDERS_KEY}`)!.split('\n').slice(0, 2).join('\n') + '\n');
    for (const [lone, key] of [
      [fleet.lone[2]!, 'fleet/absent.holders.jsonl'],
      [fleet.lone[3]!, 'fleet/cut.holders.jsonl'],
    ] as const) {
      const old = previous(lone)!;
      const { summary, batchGets, revokes } = await sweepBatch(batch([lone], { bucket: BUCKET, key }));
      expect(summary, key).toMatchObject({ revoked: 1, failed: [] });
      expect(revokes, key).toBe(1);
      expect(stack.tg4.isLive(old), key).toBe(false);
      expect(batchGets, key).toBe(2);
    }
  });
});
