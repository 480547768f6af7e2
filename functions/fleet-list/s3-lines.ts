/**
 * A line sink (core/operations/fleet-list.ts) on one S3 object: the lines go through a stream into
 * @aws-sdk/lib-storage's Upload, which sends a single PutObject for a small list and a multipart
 * upload past one part. Memory stays flat: the stream holds at most `highWaterMark` bytes and the
 * upload at most `queueSize * partSize`; a write waits while they are full. If the producer fails,
 * the stream is destroyed with its error, the upload aborts its multipart upload (no half-written
 * object appears under the key) and the producer's error is thrown; if the upload fails, the
 * pending write rejects with the upload's error.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { LineSink } from '../../core/operations/fleet-list.js';

export interface LinesTarget {
  bucket: string;
  key: string;
}

export interface UploadLinesOptions {
  /** Bytes per part of a multipart upload (S3's minimum is 5 MiB). Default 8 MiB. */
  partSize?: number;
  /** Parts uploaded at once. Default 2. */
  queueSize?: number;
  /** Bytes the stream buffers before a write waits. Default 1 MiB. */
  highWaterMark?: number;
}

export const JSONL_CONTENT_TYPE = 'application/jsonl';

/** Runs `produce` with a sink whose lines become the object `target`; resolves what `produce` resolved once the object exists. */
export async function uploadLines<T>(client: S3Client, target: LinesTarget, produce: (sink: LineSink) => Promise<T>, options: UploadLinesOptions = {}): Promise<T> {
  const body = new PassThrough({ writableHighWaterMark: options.highWaterMark ?? 1024 * 1024 });
  // The upload reads the stream and sees its errors; this keeps a destroy from being an uncaught 'error'.
  body.on('error', () => undefined);
  const upload = new Upload({
    client,
    params: { Bucket: target.bucket, Key: target.key, Body: body, ContentType: JSONL_CONTENT_TYPE },
    partSize: options.partSize ?? 8 * 1024 * 1024,
    queueSize: options.queueSize ?? 2,
    leavePartsOnError: false,
  });
  let uploadError: unknown;
  const done = upload.done().then(
    () => undefined,
    (e: unknown) => {
      uploadError ??= e;
      throw e;
    },
  );
  // Rejects when the upload fails; never resolves. Handled here so it is never unhandled.
  const failed = done.then(() => new Promise<never>(() => undefined));
  failed.catch(() => undefined);

  const sink: LineSink = {
    write: (line) => {
      if (uploadError !== undefined) throw uploadError;
      if (body.write(line)) return;
      return Promise.race([once(body, 'drain').then(() => undefined), failed]);
    },
  };

  let result: T;
  try {
    result = await produce(sink);
  } catch (e) {
    // Ends the upload with the producer's error: lib-storage then aborts a multipart upload.
    body.destroy(e instanceof Error ? e : new Error(String(e)));
    await done.catch(() => undefined);
    throw e;
  }
  body.end();
  await done;
  return result;
}
