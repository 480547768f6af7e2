/**
 * The list step of the Distributed Map sweep: core/operations/fleet-list.ts (ids or the managed
 * tag to JSON lines, page by page, waiting on a slow sink) against the local endpoint, and the S3
 * line sink (functions/fleet-list/s3-lines.ts) against an in-memory S3 (aws-sdk-client-mock): one
 * PutObject for a small list, a multipart upload past a part, an aborted upload when the listing
 * fails, the upload's error surfacing in the listing, and memory bounded by the stream and the parts.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { fleetLine, listFleet, planFleetMap, type LineSink } from '../../core/operations/fleet-list.js';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import { JSONL_CONTENT_TYPE, uploadLines } from '../../functions/fleet-list/s3-lines.js';
import { DAY, tokenJson, useLocalAws } from '../helpers/local-aws.js';
import { Lines } from '../helpers/lines.js';

const fx = useLocalAws();

describe('listFleet', () => {
  it('writes one JSON line per id, each id once, in the order given', async () => {
    const sink = new Lines();
    const progress: number[] = [];
    const { count } = await listFleet({ kind: 'ids', ids: ['arn:a', 'arn:b', 'arn:a', 'arn:c'] }, { listTagged: () => failIfCalled(), batchGet: () => failIfCalled() }, sink, { onProgress: (n) => progress.push(n) });
    expect(count).toBe(3);
    expect(sink.lines).toEqual(['{"secretId":"arn:a"}\n', '{"secretId":"arn:b"}\n', '{"secretId":"arn:c"}\n']);
    expect(progress).toEqual([3]);
    expect(fleetLine('arn:aws:secretsmanager:us-east-1:1:secret:a"b')).toBe('{"secretId":"arn:aws:secretsmanager:us-east-1:1:secret:a\\"b"}\n');
  });

  it('with tag discovery, lists every managed secret by ARN over several pages, and no other', async () => {
    const managed: string[] = [];
    for (let i = 0; i < 230; i++) managed.push((await fx.createSecret('list/tagged', tokenJson(fx.clock, undefined, 20 * DAY))).arn);
    await fx.createSecret('list/unmanaged', tokenJson(fx.clock, undefined, DAY), { managed: false });
    fx.aws.resetRequestLog();

    const sink = new Lines();
    const progress: number[] = [];
    const { count } = await listFleet({ kind: 'tag' }, fx.store(), sink, { onProgress: (n) => progress.push(n) });
    expect(count).toBe(230);
    expect(sink.ids().sort()).toEqual([...managed].sort());
    expect(new Set(sink.ids()).size).toBe(230);
    expect(progress).toEqual([100, 200, 230]);
    // Ids only: no value is read by the list step.
    expect(fx.aws.countCalls('ListSecrets')).toBe(3);
    expect(fx.aws.countCalls('BatchGetSecretValue') + fx.aws.countCalls('GetSecretValue')).toBe(0);
  });

  it('waits for a slow sink before asking for the next page (a page in memory at a time)', async () => {
    // The previous test's 230 managed secrets are on this endpoint.
    fx.aws.resetRequestLog();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let pagesWhenBlocked = -1;
    const sink = new Lines(async (index) => {
      if (index !== 150) return;
      pagesWhenBlocked = fx.aws.countCalls('ListSecrets');
      await gate;
    });
    const listing = listFleet({ kind: 'tag' }, fx.store(), sink);
    await waitUntil(() => pagesWhenBlocked >= 0);
    // Blocked on line 151 (the second page): the third page has not been asked for.
    await new Promise((r) => setTimeout(r, 50));
    expect(pagesWhenBlocked).toBe(2);
    expect(fx.aws.countCalls('ListSecrets')).toBe(2);
    release();
    expect((await listing).count).toBe(230);
    expect(fx.aws.countCalls('ListSecrets')).toBe(3);
  });
});

describe('planFleetMap', () => {
  it('plans an empty fleet as one (empty) batch, in plain JSON the state machine can read', () => {
    const plan = planFleetMap({ count: 0, settings: DEFAULT_SETTINGS, tagDiscovery: true });
    expect(plan).toMatchObject({ batchSize: 1000, batches: 1, maxConcurrency: 1 });
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });
});

// ---- the S3 line sink -------------------------------------------------------------------------------

const s3Mock = mockClient(S3Client);
afterAll(() => s3Mock.restore());

interface FakeS3 {
  objects: Map<string, Buffer>;
  /** Open multipart uploads: parts received so far. */
  uploads: Map<string, { key: string; parts: Map<number, Buffer> }>;
  calls: string[];
  /** Bytes received in parts so far (multipart) or in PutObject. */
  received(): number;
}

/** An S3 in memory behind the mocked client: objects, and multipart uploads assembled on completion. */
function fakeS3(options: { failUploadPart?: number; partDelayMs?: number } = {}): FakeS3 {
  s3Mock.reset();
  const objects = new Map<string, Buffer>();
  const uploads = new Map<string, { key: string; parts: Map<number, Buffer> }>();
  const calls: string[] = [];
  let received = 0;
  let next = 0;
  const bytes = (body: unknown) => Buffer.from(body as Uint8Array | string);
  s3Mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string; Body: unknown; ContentType?: string }) => {
    calls.push(`PutObject ${input.ContentType}`);
    const body = bytes(input.Body);
    received += body.length;
    objects.set(`${input.Bucket}/${input.Key}`, body);
    return { ETag: '"object"' };
  });
  s3Mock.on(CreateMultipartUploadCommand).callsFake(async (input: { Bucket: string; Key: string; ContentType?: string }) => {
    calls.push(`CreateMultipartUpload ${input.ContentType}`);
    const id = `upload-${++next}`;
    uploads.set(id, { key: `${input.Bucket}/${input.Key}`, parts: new Map() });
    return { UploadId: id, Bucket: input.Bucket, Key: input.Key };
  });
  s3Mock.on(UploadPartCommand).callsFake(async (input: { UploadId: string; PartNumber: number; Body: unknown }) => {
    calls.push(`UploadPart ${input.PartNumber}`);
    if (options.partDelayMs) await new Promise((r) => setTimeout(r, options.partDelayMs));
    if (input.PartNumber === options.failUploadPart) throw Object.assign(new Error('We encountered an internal error. Please try again.'), { name: 'InternalError' });
    const body = bytes(input.Body);
    received += body.length;
    uploads.get(input.UploadId)!.parts.set(input.PartNumber, body);
    return { ETag: `"part-${input.PartNumber}"` };
  });
  s3Mock.on(CompleteMultipartUploadCommand).callsFake(async (input: { UploadId: string; MultipartUpload: { Parts: Array<{ PartNumber: number }> } }) => {
    calls.push('CompleteMultipartUpload');
    const upload = uploads.get(input.UploadId)!;
    const numbers = input.MultipartUpload.Parts.map((p) => p.PartNumber);
    objects.set(upload.key, Buffer.concat(numbers.map((n) => upload.parts.get(n)!)));
    uploads.delete(input.UploadId);
    return { ETag: '"multipart"' };
  });
  s3Mock.on(AbortMultipartUploadCommand).callsFake(async (input: { UploadId: string }) => {
    calls.push('AbortMultipartUpload');
    uploads.delete(input.UploadId);
    return {};
  });
  return { objects, uploads, calls, received: () => received };
}

const client = () => new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const target = { bucket: 'sweep-bucket', key: 'fleet/run-1.jsonl' };
const arn = (i: number) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:fleet/tenant-${String(i).padStart(7, '0')}/token-AbCdEf`;
/** Lines of `n` ARNs: about 95 bytes each. */
const produceIds = (n: number) => (sink: LineSink) => listFleet({ kind: 'ids', ids: Array.from({ length: n }, (_, i) => arn(i)) }, { listTagged: () => failIfCalled(), batchGet: () => failIfCalled() }, sink);

describe('uploadLines (S3)', () => {
  beforeEach(() => s3Mock.reset());

  it('puts a small list as one JSONL object', async () => {
    const s3 = fakeS3();
    const { count } = await uploadLines(client(), target, produceIds(3));
    expect(count).toBe(3);
    expect(s3.calls).toEqual([`PutObject ${JSONL_CONTENT_TYPE}`]);
    expect(s3.objects.get('sweep-bucket/fleet/run-1.jsonl')!.toString('utf8')).toBe([0, 1, 2].map((i) => fleetLine(arn(i))).join(''));
  });

  it('puts an empty fleet as an empty object', async () => {
    const s3 = fakeS3();
    expect((await uploadLines(client(), target, produceIds(0))).count).toBe(0);
    expect(s3.objects.get('sweep-bucket/fleet/run-1.jsonl')!.length).toBe(0);
  });

  it('streams a list larger than a part as a multipart upload, the parts in order making the list', async () => {
    const s3 = fakeS3();
    const n = 130_000; // ~12 MB: two 5 MiB parts and the rest
    const { count } = await uploadLines(client(), target, produceIds(n), { partSize: 5 * 1024 * 1024 });
    expect(count).toBe(n);
    expect(s3.calls[0]).toBe(`CreateMultipartUpload ${JSONL_CONTENT_TYPE}`);
    expect(s3.calls.filter((c) => c.startsWith('UploadPart'))).toHaveLength(3);
    expect(s3.calls.at(-1)).toBe('CompleteMultipartUpload');
    const text = s3.objects.get('sweep-bucket/fleet/run-1.jsonl')!.toString('utf8');
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(n);
    expect(JSON.parse(lines[0]!)).toEqual({ secretId: arn(0) });
    expect(JSON.parse(lines[n - 1]!)).toEqual({ secretId: arn(n - 1) });
  }, 60_000);

  it('keeps memory flat: a slow S3 holds the writer back to the stream buffer and the queued parts', async () => {
    const s3 = fakeS3({ partDelayMs: 100 });
    const partSize = 5 * 1024 * 1024;
    const highWaterMark = 256 * 1024;
    let written = 0;
    let maxAhead = 0;
    await uploadLines(
      client(),
      target,
      async (sink) => {
        for (let i = 0; i < 250_000; i++) {
          const line = fleetLine(arn(i));
          written += line.length;
          maxAhead = Math.max(maxAhead, written - s3.received());
          await sink.write(line);
        }
      },
      { partSize, queueSize: 1, highWaterMark },
    );
    // ~24 MB written; never more than the parts being filled and sent plus the stream's buffer ahead of S3
    expect(written).toBeGreaterThan(20 * 1024 * 1024);
    // (queueSize 1: the part in flight, the next being filled, and the stream's buffer.)
    expect(maxAhead).toBeLessThan(2 * partSize + highWaterMark);
  }, 60_000);

  it('aborts the multipart upload and throws the listing’s error when the listing fails midway: no object appears', async () => {
    const s3 = fakeS3();
    const failure = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    await expect(
      uploadLines(
        client(),
        target,
        async (sink) => {
          for (let i = 0; i < 120_000; i++) await sink.write(fleetLine(arn(i)));
          throw failure;
        },
        { partSize: 5 * 1024 * 1024 },
      ),
    ).rejects.toBe(failure);
    expect(s3.calls).toContain('AbortMultipartUpload');
    expect(s3.calls).not.toContain('CompleteMultipartUpload');
    expect(s3.objects.size).toBe(0);
    expect(s3.uploads.size).toBe(0);
  }, 60_000);

  it('puts nothing when a small listing fails', async () => {
    const s3 = fakeS3();
    const failure = new Error('AccessDeniedException');
    await expect(
      uploadLines(client(), target, async (sink) => {
        await sink.write(fleetLine(arn(1)));
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(s3.calls.filter((c) => c.startsWith('PutObject'))).toEqual([]);
    expect(s3.objects.size).toBe(0);
  });

  it('fails the listing with the upload’s error when S3 refuses a part, and aborts the upload', async () => {
    const s3 = fakeS3({ failUploadPart: 1 });
    let writes = 0;
    await expect(
      uploadLines(
        client(),
        target,
        async (sink) => {
          for (let i = 0; i < 400_000; i++) {
            writes++;
            await sink.write(fleetLine(arn(i)));
          }
        },
        { partSize: 5 * 1024 * 1024, queueSize: 1, highWaterMark: 64 * 1024 },
      ),
    ).rejects.toMatchObject({ name: 'InternalError' });
    // The listing stopped soon after the first part failed (about 55,000 lines a part), not at the end.
    expect(writes).toBeLessThan(3 * 60_000);
    expect(s3.calls).toContain('AbortMultipartUpload');
    expect(s3.objects.size).toBe(0);
  }, 60_000);
});

function failIfCalled(): never {
  throw new Error('the store must not be called for an ids source');
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
