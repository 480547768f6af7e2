/**
 * A loopback S3 that serves objects for reading: path-style `GET /<bucket>/<key>` from a map the
 * caller fills, S3's XML `NoSuchKey` (404) for any other key, 405 for other methods. The map
 * worker reads the list step's holders index with one signed GET (functions/lib/s3-object.ts);
 * tests and the bench point `AWS_ENDPOINT_URL_S3` here. Differs from S3: no signature check, no
 * listing, no writes (the list step's uploads go through the SDK and are mocked where needed).
 * Counts the GETs it answered, by key.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackS3 {
  /** `http://127.0.0.1:<port>`: the value for AWS_ENDPOINT_URL_S3. */
  readonly url: string;
  /** Objects by `<bucket>/<key>`. */
  readonly objects: Map<string, string>;
  /** GETs answered, by `<bucket>/<key>` (found or not). */
  readonly gets: Map<string, number>;
  close(): Promise<void>;
}

export async function startLoopbackS3(objects = new Map<string, string>()): Promise<LoopbackS3> {
  const gets = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\//, '');
    const answerError = (status: number, code: string) => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code}</Message></Error>`);
    };
    req.resume();
    if (req.method !== 'GET') return answerError(405, 'MethodNotAllowed');
    gets.set(path, (gets.get(path) ?? 0) + 1);
    const body = objects.get(path);
    if (body === undefined) return answerError(404, 'NoSuchKey');
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    gets,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
