/**
 * The Distributed Map worker's read of the list step's holders index (core/operations/holders-index.ts),
 * behind a small interface (`ReadObject`), so tests can hand the loader any reader and
 * `s3ObjectReader` is the one place that knows how the object is read.
 */
import type { CurrentTokenIndex } from '../../core/operations/holders.js';
import { getObjectText } from '../lib/s3-object.js';
import { secretsManagerClient } from '../lib/runtime.js';
import { parseHoldersIndex, UnusableHoldersIndex } from '../../core/operations/holders-index.js';

/** Where the list step put the index (BatchInput.holders). */
export interface ObjectLocation {
  bucket: string;
  key: string;
}

/** Reads an object's text; undefined when there is no such object. */
export type ReadObject = (location: ObjectLocation) => Promise<string | undefined>;

/**
 * GetObject as one signed GET on the Secrets Manager client's stack (functions/lib/s3-object.ts),
 * not the SDK's S3 client: 102 kB of bundle and 2 MB of retained memory in every sweep for one
 * read. Follows AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (path-style) for local runs.
 */
export function s3ObjectReader(): ReadObject {
  return ({ bucket, key }) => getObjectText(secretsManagerClient(), bucket, key);
}

/** The index at `location`, for holders.ts loadedIndex: throws (the reason) when it is missing, unreadable or not usable. */
export async function loadHoldersIndex(read: ReadObject, location: ObjectLocation): Promise<CurrentTokenIndex> {
  const text = await read(location);
  if (text === undefined) throw new UnusableHoldersIndex(`holders index s3://${location.bucket}/${location.key} does not exist`);
  return parseHoldersIndex(text);
}
