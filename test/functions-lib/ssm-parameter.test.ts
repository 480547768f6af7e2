/**
 * The settings read without the SSM client (functions/lib/ssm-parameter.ts on signed-request.ts)
 * against the local AWS endpoint over real HTTP: a value, a missing parameter, throttling then
 * success, 5xx until the attempts run out; and the signature, checked by a loopback server that
 * recomputes it (the local endpoint accepts any).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { HttpRequest } from '@smithy/core/transport';
import { SignatureV4 } from '@smithy/signature-v4';
import { startLocalAws, type LocalAws } from '../../local/aws/index.js';
import { AwsRequestError, configuredEndpoint, errorCodeOf, regionalHostname } from '../../functions/lib/signed-request.js';
import { getParameterValue } from '../../functions/lib/ssm-parameter.js';

const credentials = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-secret-key' };
const fast = { baseDelayMs: 1 };
let aws: LocalAws;
let client: SecretsManagerClient;

beforeAll(async () => {
  aws = await startLocalAws();
  client = new SecretsManagerClient({ region: 'us-east-1', credentials });
});
afterAll(async () => {
  client.destroy();
  await aws.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  aws.setFaults({});
});

function useLocal(): void {
  vi.stubEnv('AWS_ENDPOINT_URL_SSM', aws.url);
  vi.stubEnv('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', '');
}

const ssmCalls = (): Array<{ operation: string; status: number; errorType?: string }> => aws.requestLog.filter((e) => e.service === 'ssm');

describe('GetParameter against the local endpoint', () => {
  it('reads a value that the SDK client wrote', async () => {
    useLocal();
    const ssm = new SSMClient({ endpoint: aws.url, region: 'us-east-1', credentials });
    await ssm.send(new PutParameterCommand({ Name: '/t/value', Type: 'SecureString', Value: '{"concurrency":3}' }));
    ssm.destroy();
    await expect(getParameterValue(client, '/t/value', fast)).resolves.toBe('{"concurrency":3}');
  });

  it('resolves undefined for a missing parameter, in one call (ParameterNotFound is not retried)', async () => {
    useLocal();
    aws.resetRequestLog();
    await expect(getParameterValue(client, '/t/missing', fast)).resolves.toBeUndefined();
    expect(ssmCalls()).toEqual([expect.objectContaining({ operation: 'GetParameter', status: 400, errorType: 'ParameterNotFound' })]);
  });

  it('retries throttling and then succeeds', async () => {
    useLocal();
    const ssm = new SSMClient({ endpoint: aws.url, region: 'us-east-1', credentials });
    await ssm.send(new PutParameterCommand({ Name: '/t/throttled', Type: 'String', Value: 'v' }));
    ssm.destroy();
    aws.setFaults({ failNext: { operation: 'GetParameter', errorType: 'ThrottlingException', count: 2 } });
    aws.resetRequestLog();
    await expect(getParameterValue(client, '/t/throttled', fast)).resolves.toBe('v');
    expect(ssmCalls().map((c) => c.status)).toEqual([400, 400, 200]);
  });

  it('gives up on 5xx after AWS_MAX_ATTEMPTS with an error naming service, operation, status and code', async () => {
    useLocal();
    vi.stubEnv('AWS_MAX_ATTEMPTS', '4');
    aws.setFaults({ failNext: { operation: 'GetParameter', errorType: 'InternalServerError', count: 10 } });
    aws.resetRequestLog();
    const error = await getParameterValue(client, '/t/any', fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsRequestError);
    expect((error as Error).message).toBe('ssm GetParameter failed: HTTP 500 InternalServerError after 4 attempt(s)');
    expect(ssmCalls()).toHaveLength(4);
  });

  it('does not retry a client error that is not throttling', async () => {
    useLocal();
    aws.setFaults({ failNext: { operation: 'GetParameter', errorType: 'AccessDeniedException', count: 5 } });
    aws.resetRequestLog();
    await expect(getParameterValue(client, '/t/any', fast)).rejects.toThrow('ssm GetParameter failed: HTTP 400 AccessDeniedException after 1 attempt(s)');
    expect(ssmCalls()).toHaveLength(1);
  });

  it('names a network failure without an answer after the retries', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    vi.stubEnv('AWS_ENDPOINT_URL_SSM', `http://127.0.0.1:${port}`);
    await expect(getParameterValue(client, '/t/any', { ...fast, maxAttempts: 2 })).rejects.toThrow('ssm GetParameter failed: no answer after 2 attempt(s)');
  });
});

describe('the signed request', () => {
  let server: Server;
  let url: string;
  const seen: Array<{ valid: boolean; target: string | undefined; contentType: string | undefined }> = [];

  async function verify(req: IncomingMessage, body: string): Promise<boolean> {
    const auth = req.headers.authorization ?? '';
    const amzDate = String(req.headers['x-amz-date']);
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) headers[name] = String(req.headers[name]);
    const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const signer = new SignatureV4({ service: 'ssm', region: 'eu-west-1', credentials, sha256: client.config.sha256 });
    const expected = (await signer.sign(
      new HttpRequest({ method: req.method ?? 'POST', hostname: '127.0.0.1', path: req.url ?? '/', headers: Object.fromEntries(Object.entries(headers).filter(([n]) => n !== 'authorization')), body }),
      { signingDate: date },
    )) as HttpRequest;
    return expected.headers.authorization === auth && auth.includes('/eu-west-1/ssm/aws4_request');
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        void verify(req, body).then((valid) => {
          seen.push({ valid, target: req.headers['x-amz-target'] as string | undefined, contentType: req.headers['content-type'] });
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ Parameter: { Name: '/t/signed', Value: 'ok' } }));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is SigV4 for ssm in the client region, with the awsJson1_1 target and content type', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL', url);
    vi.stubEnv('AWS_ENDPOINT_URL_SSM', '');
    const euClient = new SecretsManagerClient({ region: 'eu-west-1', credentials });
    await expect(getParameterValue(euClient, '/t/signed', fast)).resolves.toBe('ok');
    euClient.destroy();
    expect(seen).toEqual([{ valid: true, target: 'AmazonSSM.GetParameter', contentType: 'application/x-amz-json-1.1' }]);
  });
});

describe('endpoints and error codes', () => {
  const target = { region: 'eu-west-1', dnsSuffix: 'amazonaws.com', dualStackDnsSuffix: 'api.aws', fips: false, dualStack: false };

  it('builds the regional forms AWS documents for SSM', () => {
    expect(regionalHostname('ssm', target)).toBe('ssm.eu-west-1.amazonaws.com');
    expect(regionalHostname('ssm', { ...target, fips: true })).toBe('ssm-fips.eu-west-1.amazonaws.com');
    expect(regionalHostname('ssm', { ...target, dualStack: true })).toBe('ssm.eu-west-1.api.aws');
    expect(regionalHostname('ssm', { ...target, fips: true, dualStack: true })).toBe('ssm-fips.eu-west-1.api.aws');
  });

  it('reads the service variable, then the global one, and neither when told to ignore them', () => {
    expect(configuredEndpoint('ssm', { AWS_ENDPOINT_URL_SSM: 'http://a', AWS_ENDPOINT_URL: 'http://b' })).toBe('http://a');
    expect(configuredEndpoint('ssm', { AWS_ENDPOINT_URL: 'http://b' })).toBe('http://b');
    expect(configuredEndpoint('ssm', { AWS_ENDPOINT_URL_SSM: 'http://a', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })).toBeUndefined();
    // The SDK's service id, not the signing name: EventBridge signs as `events`.
    expect(configuredEndpoint('EventBridge', { AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://e', AWS_ENDPOINT_URL: 'http://b' })).toBe('http://e');
    expect(configuredEndpoint('Secrets Manager', { AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://s' })).toBe('http://s');
  });

  it('reads the code from the header, a JSON __type (namespace and suffix dropped) or an XML Code', () => {
    const r = (headers: Record<string, string>, body: string) => ({ status: 400, headers, body });
    expect(errorCodeOf(r({ 'x-amzn-errortype': 'ParameterNotFound:http://internal.amazon.com/' }, ''))).toBe('ParameterNotFound');
    expect(errorCodeOf(r({}, '{"__type":"com.amazonaws.ssm#ThrottlingException","message":"x"}'))).toBe('ThrottlingException');
    expect(errorCodeOf(r({}, '<?xml version="1.0"?><Error><Code>NoSuchKey</Code></Error>'))).toBe('NoSuchKey');
    expect(errorCodeOf(r({}, 'not json'))).toBeUndefined();
  });
});
