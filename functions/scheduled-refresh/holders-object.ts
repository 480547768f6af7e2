/**
 * The Distributed Map worker's read of the list step's holders index (core/operations/holders-index.ts),
 * behind a small interface: the scheduled-refresh bundle is to read one S3 object without an S3
 * client of its own (issue 24's bundle budget; `@aws-sdk/client-s3` is 102 kB), so the reader
 * is injected and `s3ObjectReader` is the one place that knows how it is read.
 */
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import type { CurrentTokenIndex } from '../../core/operations/holders.js';
import { parseHoldersIndex, UnusableHoldersIndex } from '../../core/operations/holders-index.js';

/** Where the list step put the index (BatchInput.holders). */
export interface ObjectLocation {
  bucket: string;
  key: string;
}

/** Reads an object's text; undefined when there is no such object. */
export type ReadObject = (location: ObjectLocation) => Promise<string | undefined>;

let s3: { client: S3Client; endpoint: string | undefined } | undefined;

/** GetObject with the SDK's client (one per container; follows AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL for local runs). */
export function s3ObjectReader(): ReadObject {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  if (!s3 || s3.endpoint !== endpoint) s3 = { client: new S3Client({ maxAttempts: Number(process.env.AWS_MAX_ATTEMPTS ?? 5) }), endpoint };
  const { client } = s3;
  return async ({ bucket, key }) => {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return await out.Body?.transformToString('utf8');
    } catch (e) {
      if (e instanceof NoSuchKey) return undefined;
      throw e;
    }
  };
}

/** The index at `location`, for holders.ts loadedIndex: throws (the reason) when it is missing, unreadable or not usable. */
export async function loadHoldersIndex(read: ReadObject, location: ObjectLocation): Promise<CurrentTokenIndex> {
  const text = await read(location);
  if (text === undefined) throw new UnusableHoldersIndex(`holders index s3://${location.bucket}/${location.key} does not exist`);
  return parseHoldersIndex(text);
}
