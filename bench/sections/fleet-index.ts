/**
 * Section 7: the Distributed Map workers' fleet index. A worker that settles TigerGraph 4.x tokens
 * (tokens may collide) must know whether a secret outside its batch holds a token it would revoke.
 * Without the list step's holders index it reads the whole fleet (once per worker that needs it);
 * with it, it reads its batch only. Counted at the local Secrets Manager endpoint in one run: the
 * list step's reads (once per sweep), and one worker's reads with the index and without it, each on
 * a batch of its own in the same state (every secret's replaced token past the grace period).
 *
 * The fleet: `batch` real 4.x secrets per worker (created and rotated through the fake server, so
 * each has a replaced token to settle) and the rest written directly as managed 4.x token secrets
 * (never acted on: outside every batch). The list step and the workers are the real handlers; the
 * list step's upload is mocked (aws-sdk-client-mock) and the worker reads the index from a loopback
 * S3 over the same objects (local/s3-objects.ts).
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { randomBytes } from 'node:crypto';
import { ENV, MANAGED_TAG } from '../../core/names.js';
import { handler as fleetListHandler, type FleetListResult } from '../../functions/fleet-list/handler.js';
import { handler as scheduledHandler, type ScheduledRefreshResult } from '../../functions/scheduled-refresh/handler.js';
import { clearSettingsCache } from '../../functions/lib/settings.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { startLoopbackS3 } from '../../local/s3-objects.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { goal, type SectionResult } from '../lib/results.js';
import type { Table } from '../lib/table.js';

const DAY = 86_400;
const BUCKET = 'bench-sweep-runs';

export interface FleetIndexData {
  fleet: number;
  batch: number;
  listStep: { batchGetCalls: number; indexed: number };
  withIndex: WorkerRun;
  withoutIndex: WorkerRun;
}

interface WorkerRun {
  batchGetCalls: number;
  revoked: number;
  failed: number;
}

export async function runFleetIndex(ctx: { smoke: boolean; log: (m: string) => void }): Promise<SectionResult<FleetIndexData>> {
  const fleetSize = ctx.smoke ? 60 : 2_000;
  const batch = ctx.smoke ? 5 : 20;
  const saved = { ids: process.env[ENV.MANAGED_SECRET_IDS], discovery: process.env[ENV.FLEET_DISCOVERY] };
  delete process.env[ENV.MANAGED_SECRET_IDS];
  process.env[ENV.FLEET_DISCOVERY] = 'tag';
  const s3 = mockClient(S3Client);
  const objects = new Map<string, string>();
  s3.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string; Body: Uint8Array | string }) => {
    objects.set(`${input.Bucket}/${input.Key}`, Buffer.from(input.Body).toString('utf8'));
    return { ETag: '"bench"' };
  });
  // The worker reads the index with one signed GET: a loopback S3 over the same objects.
  const bucket = await startLoopbackS3(objects);
  const savedS3Endpoint = process.env.AWS_ENDPOINT_URL_S3;
  process.env.AWS_ENDPOINT_URL_S3 = bucket.url;
  const stack = await startLocalStack();
  try {
    await stack.putSettings({ refreshBeforeSeconds: 3 * DAY, revokeGraceSeconds: 3600, concurrency: 4, routineRevokeMinRemainingSeconds: 4 * DAY });
    clearSettingsCache();
    ctx.log(`fleet-index: ${fleetSize} managed 4.x secrets, two batches of ${batch} with a replaced token to settle`);
    const batches = { with: await settlingBatch(stack, 'with', batch), without: await settlingBatch(stack, 'without', batch) };
    for (let i = 0; i < fleetSize - 2 * batch; i++) await writeOutsider(stack, i);
    stack.clock.advance(3601);

    stack.aws.resetRequestLog();
    const listed = (await fleetListHandler({ bucket: BUCKET, key: 'fleet/bench.jsonl' }, lambdaContext('fleet-list', 900_000) as never)) as FleetListResult;
    const listStep = { batchGetCalls: stack.aws.countCalls('BatchGetSecretValue'), indexed: listed.holders.indexed };
    const share = { ...listed.plan.perWorker };
    const withIndex = await worker(stack, { Items: batches.with.map((secretId) => ({ secretId })), BatchInput: { ...share, holders: { bucket: listed.holders.bucket, key: listed.holders.key } } });
    const withoutIndex = await worker(stack, { Items: batches.without.map((secretId) => ({ secretId })), BatchInput: share });
    const data: FleetIndexData = { fleet: listed.count, batch, listStep, withIndex, withoutIndex };
    const perCall = 20;
    const table: Table = {
      title: `Map workers' fleet index: BatchGetSecretValue calls of one worker settling ${batch} TigerGraph 4.x secrets in a fleet of ${listed.count}`,
      columns: ['run', 'BatchGetSecretValue calls', 'secrets read (at most)', 'revoked', 'failed'],
      rows: [
        ['list step (once per sweep; reads every value for the index)', listStep.batchGetCalls, listStep.batchGetCalls * perCall, '', ''],
        ['worker without the index (reads its batch, then the fleet)', withoutIndex.batchGetCalls, withoutIndex.batchGetCalls * perCall, withoutIndex.revoked, withoutIndex.failed],
        ['worker with the index (reads its batch)', withIndex.batchGetCalls, withIndex.batchGetCalls * perCall, withIndex.revoked, withIndex.failed],
      ],
      notes: [
        `Same run, same fleet, one batch each (two batches so that each settles its own replaced tokens). Index: ${listStep.indexed} fingerprints. Without the index every worker that settles a 4.x token reads the fleet once; with it the fleet is read once per sweep, by the list step.`,
      ],
    };
    const expectedBatchCalls = Math.ceil(batch / perCall);
    return {
      data,
      tables: [table],
      goals: [goal('fleet-index', 'worker with the index: BatchGetSecretValue calls beyond its own batch', withIndex.batchGetCalls - expectedBatchCalls, '<=', 0, 'calls')],
      findings: withIndex.revoked !== batch || withoutIndex.revoked !== batch ? [`fleet-index: expected ${batch} revokes per worker, got ${withIndex.revoked} (index) and ${withoutIndex.revoked} (no index)`] : [],
    };
  } finally {
    s3.restore();
    await stack.close();
    await bucket.close();
    for (const [name, value] of [[ENV.MANAGED_SECRET_IDS, saved.ids], [ENV.FLEET_DISCOVERY, saved.discovery], ['AWS_ENDPOINT_URL_S3', savedS3Endpoint]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** `n` 4.x secrets rotated once after their first token: each has a replaced token to settle. */
async function settlingBatch(stack: LocalStack, name: string, n: number): Promise<string[]> {
  const arns: string[] = [];
  for (let i = 0; i < n; i++) {
    const arn = await stack.createTokenSecret(`bench/index/${name}-${i}`, { version: 4, fields: { lifetimeSeconds: 30 * DAY } });
    await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn }));
    await stack.aws.rotationsSettled(arn);
    arns.push(arn);
  }
  return arns;
}

/** A managed 4.x token secret outside every batch: only read. */
async function writeOutsider(stack: LocalStack, i: number): Promise<void> {
  const now = stack.clock.now();
  const value = {
    host: 'http://127.0.0.1',
    tigergraphVersion: '4',
    credentialSecretId: 'bench-credential',
    token: randomBytes(24).toString('base64url'),
    issuedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 30 * DAY * 1000).toISOString(),
  };
  await stack.secretsManager.send(new CreateSecretCommand({ Name: `bench/index/outside-${i}`, SecretString: JSON.stringify(value), Tags: [{ Key: MANAGED_TAG, Value: 'true' }] }));
}

async function worker(stack: LocalStack, event: unknown): Promise<WorkerRun> {
  stack.aws.resetRequestLog();
  const result = (await scheduledHandler(event, lambdaContext('scheduled-refresh', 900_000) as never)) as ScheduledRefreshResult;
  await stack.aws.rotationsSettled();
  return { batchGetCalls: stack.aws.countCalls('BatchGetSecretValue'), revoked: result.revoked, failed: result.failed.length };
}
