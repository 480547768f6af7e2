/**
 * One SigV4-signed AWS request made on the stack an SDK client already carries (its credentials
 * provider, region, sha256, request handler and body collector), for the few calls the functions
 * make to services whose SDK client they would otherwise bundle for that one call.
 *
 * Why hand-written: `@aws-sdk/client-ssm` for one GetParameter added 78.9 kB to each of rotation,
 * scheduled-refresh and on-demand (395 kB of the SDK in all; its models/errors.js 39.9 kB and
 * schemas/schemas_0.js 31.2 kB come whole, not tree-shakable), which alone kept them over the
 * 1.3x-baseline goal (bench/RESULTS.md section 1, 2026-12-08: 560-580 kB against a 304 kB
 * GetSecretValue-only baseline); `@aws-sdk/client-eventbridge` for one PutEvents added 15.8 kB more.
 * Everything used here (@smithy/signature-v4, @smithy/core's HttpRequest, @aws-sdk/core's
 * partition table) is already in every bundle through the Secrets Manager client, so this module
 * costs only its own code.
 *
 * What it keeps of the SDK's behaviour: the endpoint (AWS_ENDPOINT_URL_<SERVICE>, then
 * AWS_ENDPOINT_URL, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS; else the partition's regional
 * hostname, FIPS and dual-stack as the client is configured), retries on throttling, 5xx and
 * network errors with full-jitter back-off up to AWS_MAX_ATTEMPTS (default 3, the SDK's standard
 * mode), and errors that name the service, operation, HTTP status and AWS error code. What it
 * leaves out: clock-skew correction, adaptive retry tokens, endpoint rules beyond the regional form.
 */
import { partition } from '@aws-sdk/core/client';
import { HttpRequest } from '@smithy/core/transport';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, ChecksumConstructor, HashConstructor, HttpHandlerOptions, Provider, StreamCollector } from '@smithy/types';
import type { HttpResponse } from '@smithy/core/transport';

/** The parts of an SDK v3 client's resolved config this module uses (a SecretsManagerClient has them all). */
export interface AwsClientStack {
  readonly config: {
    readonly credentials: AwsCredentialIdentityProvider;
    readonly region: Provider<string>;
    readonly sha256: ChecksumConstructor | HashConstructor;
    readonly requestHandler: unknown;
    readonly streamCollector: StreamCollector;
    readonly useFipsEndpoint: Provider<boolean>;
    readonly useDualstackEndpoint: Provider<boolean>;
  };
}

/** Where a request goes when no endpoint variable is set: the service's regional endpoint. */
export interface EndpointTarget {
  readonly region: string;
  readonly dnsSuffix: string;
  readonly dualStackDnsSuffix: string;
  readonly fips: boolean;
  readonly dualStack: boolean;
}

export interface SignedRequestInput {
  /** The signing name and the endpoint prefix: `ssm`, `s3`, `events`. */
  readonly service: string;
  /** The SDK's service id where it differs from `service`, for AWS_ENDPOINT_URL_<ID>: `EventBridge` for `events`. */
  readonly serviceId?: string;
  /** For errors only: `GetParameter`, `GetObject`. */
  readonly operation: string;
  readonly method: 'GET' | 'POST';
  /** Already escaped as it goes on the wire (S3 keys: per segment). */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The hostname for AWS when no endpoint variable is set; default `<service>[-fips].<region>.<dnsSuffix | dualStackDnsSuffix>`. */
  readonly hostname?: (target: EndpointTarget) => string;
  /** SigV4 escapes the path twice for every service but S3 (false for S3). Default true. */
  readonly uriEscapePath?: boolean;
}

export interface SignedResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A non-2xx answer (after the retries it earns) or a network failure on the last attempt. */
export class AwsRequestError extends Error {
  override readonly name = 'AwsRequestError';
  constructor(
    readonly service: string,
    readonly operation: string,
    /** 0 for a network error (no answer). */
    readonly status: number,
    /** The AWS error code (`ParameterNotFound`, `NoSuchKey`), or undefined when the answer had none. */
    readonly code: string | undefined,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(
      status === 0
        ? `${service} ${operation} failed: no answer after ${attempts} attempt(s)`
        : `${service} ${operation} failed: HTTP ${status}${code ? ` ${code}` : ''} after ${attempts} attempt(s)`,
      options,
    );
  }
}

/** What the retry loop can be told (tests shorten the delays). */
export interface RetryOptions {
  readonly maxAttempts?: number;
  /** The first back-off's ceiling; each retry doubles it, up to 20 s. Default 100 ms (the SDK's). */
  readonly baseDelayMs?: number;
  readonly random?: () => number;
}

const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);
const MAX_DELAY_MS = 20_000;

/**
 * The endpoint variables as the SDK reads them: `AWS_ENDPOINT_URL_<SERVICE>` (the service id in
 * upper case, spaces as underscores), then `AWS_ENDPOINT_URL`; neither with
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true.
 */
export function configuredEndpoint(service: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return undefined;
  const specific = env[`AWS_ENDPOINT_URL_${service.toUpperCase().replace(/[\s-]+/g, '_')}`];
  return specific || env.AWS_ENDPOINT_URL || undefined;
}

/** `<service>[-fips].<region>.<suffix>`: the regional form of the JSON services (SSM among them). */
export function regionalHostname(service: string, target: EndpointTarget): string {
  return `${service}${target.fips ? '-fips' : ''}.${target.region}.${target.dualStack ? target.dualStackDnsSuffix : target.dnsSuffix}`;
}

/** The base URL of `input`'s service for `client`'s region and settings. */
export async function endpointOf(client: AwsClientStack, input: Pick<SignedRequestInput, 'service' | 'serviceId' | 'hostname'>, region: string): Promise<URL> {
  const configured = configuredEndpoint(input.serviceId ?? input.service);
  if (configured) return new URL(configured);
  const p = partition(region);
  const target: EndpointTarget = {
    region,
    dnsSuffix: p.dnsSuffix,
    dualStackDnsSuffix: p.dualStackDnsSuffix,
    fips: await client.config.useFipsEndpoint(),
    dualStack: await client.config.useDualstackEndpoint(),
  };
  return new URL(`https://${(input.hostname ?? ((t) => regionalHostname(input.service, t)))(target)}`);
}

/** The AWS error code of a non-2xx answer: the `x-amzn-errortype` header, a JSON `__type`, or an XML `<Code>`. */
export function errorCodeOf(response: SignedResponse): string | undefined {
  const sanitize = (raw: string): string => {
    const beforeColon = raw.split(':')[0] ?? raw;
    return (beforeColon.includes('#') ? beforeColon.slice(beforeColon.lastIndexOf('#') + 1) : beforeColon).trim();
  };
  const header = response.headers['x-amzn-errortype'];
  if (header) return sanitize(header);
  const text = response.body.trimStart();
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { __type?: unknown; code?: unknown };
      const code = typeof parsed.__type === 'string' ? parsed.__type : typeof parsed.code === 'string' ? parsed.code : undefined;
      return code ? sanitize(code) : undefined;
    } catch {
      return undefined;
    }
  }
  return /<Code>([^<]{1,128})<\/Code>/.exec(text)?.[1];
}

function retryable(status: number, code: string | undefined): boolean {
  return status === 429 || status >= 500 || (code !== undefined && THROTTLING_CODES.has(code));
}

function maxAttemptsFromEnv(): number {
  const n = Number(process.env.AWS_MAX_ATTEMPTS);
  return Number.isInteger(n) && n >= 1 ? n : 3;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Signs and sends `input` with `client`'s stack; resolves a 2xx answer, throws AwsRequestError
 * otherwise. The body of a 2xx is the caller's; an error never carries a body.
 */
export async function signedRequest(client: AwsClientStack, input: SignedRequestInput, retry: RetryOptions = {}): Promise<SignedResponse> {
  const region = await client.config.region();
  const base = await endpointOf(client, input, region);
  const signer = new SignatureV4({
    service: input.service,
    region,
    credentials: client.config.credentials,
    sha256: client.config.sha256,
    uriEscapePath: input.uriEscapePath ?? true,
  });
  const basePath = base.pathname.replace(/\/+$/, '');
  const maxAttempts = retry.maxAttempts ?? maxAttemptsFromEnv();
  const baseDelayMs = retry.baseDelayMs ?? 100;
  const random = retry.random ?? Math.random;
  const handler = client.config.requestHandler as {
    handle(request: HttpRequest, options?: HttpHandlerOptions): Promise<{ response: HttpResponse }>;
  };
  for (let attempt = 1; ; attempt++) {
    const request = new HttpRequest({
      protocol: base.protocol,
      hostname: base.hostname,
      ...(base.port ? { port: Number(base.port) } : {}),
      method: input.method,
      path: `${basePath}${input.path}`,
      headers: {
        host: base.host,
        ...(input.body !== undefined ? { 'content-length': String(Buffer.byteLength(input.body)) } : {}),
        ...input.headers,
      },
      ...(input.body !== undefined ? { body: input.body } : {}),
    });
    let answer: SignedResponse | undefined;
    let networkError: unknown;
    try {
      const signed = (await signer.sign(request)) as HttpRequest;
      const { response } = await handler.handle(signed);
      const bytes = await client.config.streamCollector(response.body);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) headers[name.toLowerCase()] = value;
      answer = { status: response.statusCode, headers, body: new TextDecoder().decode(bytes) };
    } catch (e) {
      networkError = e;
    }
    if (answer && answer.status >= 200 && answer.status < 300) return answer;
    const code = answer ? errorCodeOf(answer) : undefined;
    const status = answer?.status ?? 0;
    if (attempt >= maxAttempts || (answer && !retryable(status, code))) {
      throw new AwsRequestError(input.service, input.operation, status, code, attempt, networkError !== undefined ? { cause: networkError } : undefined);
    }
    await sleep(random() * Math.min(MAX_DELAY_MS, baseDelayMs * 2 ** (attempt - 1)));
  }
}

/** The awsJson1_1 protocol's content type (SSM, EventBridge). */
const AWS_JSON_1_1 = 'application/x-amz-json-1.1';

/**
 * One awsJson1_1 call: POST / with `X-Amz-Target: <target>` (`AmazonSSM.GetParameter`) and `input`
 * as the JSON body; the operation, for errors, is the target's part after the dot.
 */
export function awsJsonRequest(
  client: AwsClientStack,
  call: Pick<SignedRequestInput, 'service' | 'serviceId'> & { readonly target: string; readonly input: unknown },
  retry?: RetryOptions,
): Promise<SignedResponse> {
  return signedRequest(
    client,
    {
      service: call.service,
      ...(call.serviceId !== undefined ? { serviceId: call.serviceId } : {}),
      operation: call.target.slice(call.target.indexOf('.') + 1),
      method: 'POST',
      path: '/',
      headers: { 'content-type': AWS_JSON_1_1, 'x-amz-target': call.target },
      body: JSON.stringify(call.input),
    },
    retry,
  );
}
