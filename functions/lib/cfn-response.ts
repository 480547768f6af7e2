/**
 * Answers a CloudFormation custom resource request: a PUT of the result JSON to the pre-signed
 * ResponseURL (docs: "Custom resource response objects"). Written out with node:https rather than
 * the cfn-response module, which is only injected into inline ZipFile functions. The response never
 * carries a token: `Data` holds counts and states, and `Reason` our own messages.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

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

export async function sendResponse(event: CustomResourceEvent, response: CustomResourceResponse): Promise<void> {
  const body = JSON.stringify({
    ...response,
    ...(response.Reason ? { Reason: response.Reason.slice(0, MAX_REASON) } : {}),
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  const url = new URL(event.ResponseURL);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  await new Promise<void>((resolve, reject) => {
    const req = send(
      url,
      // The pre-signed URL is signed without a Content-Type: sending one would break the signature.
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 },
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
