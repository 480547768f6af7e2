/**
 * Answers a CloudFormation custom resource request: a PUT of the result JSON to the pre-signed
 * ResponseURL (docs: "Custom resource response objects"). Written out with node:https rather than
 * the cfn-response module, which is only injected into inline ZipFile functions. The response never
 * carries a token: `Data` holds counts and states, and `Reason` our own messages.
 *
 * The URL comes with the event, so whoever invokes the function chooses it: only CloudFormation's
 * own answer bucket is ever sent anything (`checkResponseUrl`), never an `http://` URL or another
 * host, so the function cannot be made to PUT (SSRF) anywhere else.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ValidationError } from '../../core/errors.js';
import { ENV } from '../../core/names.js';

export interface CustomResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  ResourceType: string;
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, unknown>;
  OldResourceProperties?: Record<string, unknown>;
}

export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  Data?: Record<string, string | number>;
}

/** Longest Reason CloudFormation shows usefully (the whole response must stay under 4 KB). */
const MAX_REASON = 1_000;

/** Longest wait for the answer PUT; the timeout guard keeps at least this much time for it. */
export const RESPONSE_TIMEOUT_MS = 10_000;

/**
 * The host names of CloudFormation's answer bucket for `region`, as the pre-signed URLs use them:
 * the bucket `cloudformation-custom-resource-response-<region without dashes>` (CloudFormation's
 * VPC endpoint guide names it so) on S3's virtual-hosted endpoints, global (`.s3.amazonaws.com`),
 * regional (`.s3.<region>.` and the older `.s3-<region>.`), under `amazonaws.com.cn` in China.
 */
export function responseHostPattern(region: string): RegExp {
  const suffix = region.startsWith('cn-') ? 'amazonaws\\.com\\.cn' : 'amazonaws\\.com';
  const escaped = region.replace(/[^a-z0-9-]/g, '');
  return new RegExp(`^cloudformation-custom-resource-response-${escaped.replace(/-/g, '')}\\.s3(?:[.-]${escaped})?\\.${suffix}$`);
}

/**
 * The event's ResponseURL, checked: https, default port, no user info, a host of CloudFormation's
 * answer bucket in the stack's region. Throws a ValidationError (naming the host, never the
 * signed query) otherwise: such an event gets no answer at all.
 */
export function checkResponseUrl(raw: unknown, region: string): URL {
  const expected = `CloudFormation's pre-signed https URL (https://cloudformation-custom-resource-response-${region.replace(/-/g, '')}.s3.${region}.amazonaws.com/...)`;
  if (typeof raw !== 'string' || raw === '') throw new ValidationError(`ResponseURL: expected ${expected}`, 'ResponseURL');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError(`ResponseURL: expected ${expected}, got something that is not a URL`, 'ResponseURL');
  }
  const origin = `${url.protocol}//${url.host}`;
  if (url.protocol !== 'https:' || url.port !== '' || url.username !== '' || url.password !== '' || !responseHostPattern(region).test(url.hostname)) {
    throw new ValidationError(`ResponseURL: expected ${expected}, got ${origin}`, 'ResponseURL');
  }
  return url;
}

/**
 * Where the answer goes: the checked URL; in an explicitly local run (ENV.LOCAL_RUN) with
 * ENV.LOCAL_CFN_RESPONSE_ENDPOINT set, that origin instead, with the URL's path and query (the
 * local endpoint stands in for CloudFormation's bucket). A deployed function never has either.
 */
export function answerTarget(checked: URL, env: NodeJS.ProcessEnv = process.env): URL {
  const local = env[ENV.LOCAL_CFN_RESPONSE_ENDPOINT];
  if (env[ENV.LOCAL_RUN] !== 'true' || !local) return checked;
  return new URL(`${checked.pathname}${checked.search}`, local);
}

export async function sendResponse(event: CustomResourceEvent, response: CustomResourceResponse, target: URL): Promise<void> {
  const body = JSON.stringify({
    ...response,
    ...(response.Reason ? { Reason: response.Reason.slice(0, MAX_REASON) } : {}),
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  // Plain http only for the local stand-in (answerTarget): every checked URL is https.
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  await new Promise<void>((resolve, reject) => {
    const req = send(
      target,
      // The pre-signed URL is signed without a Content-Type: sending one would break the signature.
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: RESPONSE_TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`CloudFormation answered the response PUT with HTTP ${res.statusCode}`))));
      },
    );
    req.on('timeout', () => req.destroy(new Error('the response PUT to CloudFormation timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
