/**
 * getObjectText (functions/lib/s3-object.ts) over real HTTP. local/aws has no S3, so the test
 * starts a loopback S3 of its own: path-style GetObject with S3's XML errors, and a signature check
 * (S3 signs the path unescaped a second time and the payload hash in x-amz-content-sha256).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { HttpRequest } from '@smithy/core/transport';
import { SignatureV4 } from '@smithy/signature-v4';
import { getObjectText, s3Hostname } from '../../functions/lib/s3-object.js';

const credentials = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-secret-key' };
const objects = new Map<string, string>([['/fleet/plans/run 1/part-0.jsonl', '{"a":1}\n']]);
const seen: Array<{ method: string; path: string; valid: boolean }> = [];
let server: Server;
let url: string;
const client = new SecretsManagerClient({ region: 'us-east-1', credentials });

async function signatureValid(req: IncomingMessage): Promise<boolean> {
  const auth = req.headers.authorization ?? '';
  const amzDate = String(req.headers['x-amz-date']);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
  const headers = Object.fromEntries(signedHeaders.map((n) => [n, String(req.headers[n])]));
  const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials, sha256: client.config.sha256, uriEscapePath: false });
  const expected = (await signer.sign(new HttpRequest({ method: req.method ?? 'GET', hostname: '127.0.0.1', path: req.url ?? '/', headers }), { signingDate: date })) as HttpRequest;
  return expected.headers.authorization === auth;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void signatureValid(req).then((valid) => {
      const path = decodeURIComponent(req.url ?? '/');
      seen.push({ method: req.method ?? '', path, valid });
      const bucket = path.split('/')[1];
      const xmlError = (status: number, code: string) => {
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>m</Message></Error>`);
      };
      if (req.method !== 'GET') return xmlError(405, 'MethodNotAllowed');
      if (bucket !== 'fleet') return xmlError(404, 'NoSuchBucket');
      const body = objects.get(path);
      if (body === undefined) return xmlError(404, 'NoSuchKey');
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterEach(() => {
  vi.unstubAllEnvs();
  seen.length = 0;
});

describe('getObjectText against a loopback S3', () => {
  it('GETs the object path-style, signed for s3, and returns its text', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_S3', url);
    await expect(getObjectText(client, 'fleet', 'plans/run 1/part-0.jsonl')).resolves.toBe('{"a":1}\n');
    expect(seen).toEqual([{ method: 'GET', path: '/fleet/plans/run 1/part-0.jsonl', valid: true }]);
  });

  it('resolves undefined for a key that does not exist (404 NoSuchKey), in one request', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_S3', url);
    await expect(getObjectText(client, 'fleet', 'plans/none.jsonl')).resolves.toBeUndefined();
    expect(seen).toHaveLength(1);
  });

  it('throws for a bucket that does not exist, naming the code', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_S3', url);
    await expect(getObjectText(client, 'other', 'k')).rejects.toThrow('s3 GetObject failed: HTTP 404 NoSuchBucket after 1 attempt(s)');
  });
});

describe('S3 addressing on AWS (no endpoint variable; the request handler records instead of sending)', () => {
  async function addressed(bucket: string, region: string): Promise<{ hostname: string; path: string }> {
    vi.stubEnv('AWS_ENDPOINT_URL_S3', '');
    vi.stubEnv('AWS_ENDPOINT_URL', '');
    const regional = new SecretsManagerClient({ region, credentials });
    let sent: { hostname: string; path: string } | undefined;
    const stack = {
      config: {
        ...regional.config,
        requestHandler: {
          handle: (request: HttpRequest) => {
            sent = { hostname: request.hostname, path: request.path };
            return Promise.resolve({ response: { statusCode: 200, headers: {}, body: Readable.from([Buffer.from('x')]) } });
          },
        },
      },
    };
    await getObjectText(stack, bucket, 'a/b.jsonl');
    regional.destroy();
    if (!sent) throw new Error('nothing sent');
    return sent;
  }

  it('is virtual-hosted for a DNS-compatible bucket, path-style for one with dots', async () => {
    await expect(addressed('fleet-plans', 'eu-west-1')).resolves.toEqual({ hostname: 'fleet-plans.s3.eu-west-1.amazonaws.com', path: '/a/b.jsonl' });
    await expect(addressed('fleet.plans', 'eu-west-1')).resolves.toEqual({ hostname: 's3.eu-west-1.amazonaws.com', path: '/fleet.plans/a/b.jsonl' });
    await expect(addressed('fleet-plans', 'cn-north-1')).resolves.toEqual({ hostname: 'fleet-plans.s3.cn-north-1.amazonaws.com.cn', path: '/a/b.jsonl' });
  });
});

describe('S3 hostnames', () => {
  const target = { region: 'eu-west-1', dnsSuffix: 'amazonaws.com', dualStackDnsSuffix: 'api.aws', fips: false, dualStack: false };
  it('uses the s3.dualstack form, not the api.aws suffix', () => {
    expect(s3Hostname(target)).toBe('s3.eu-west-1.amazonaws.com');
    expect(s3Hostname({ ...target, dualStack: true })).toBe('s3.dualstack.eu-west-1.amazonaws.com');
    expect(s3Hostname({ ...target, fips: true, dualStack: true })).toBe('s3-fips.dualstack.eu-west-1.amazonaws.com');
  });
});
