/**
 * S3 `GetObject` of one object as text, as one signed GET (signed-request.ts says why not the SDK
 * client). Path-style (`/<bucket>/<key>`) for a configured endpoint (local runs, as the SDK's
 * forcePathStyle) and for bucket names a virtual host cannot carry (dots, upper case); otherwise
 * virtual-hosted (`<bucket>.s3.<region>.amazonaws.com/<key>`), which AWS documents as the default
 * and the only form for buckets of the future. Dual-stack S3 is `s3.dualstack.<region>`, not the
 * `api.aws` suffix of the JSON services.
 */
import { isVirtualHostableS3Bucket } from '@aws-sdk/core/client';
import { AwsRequestError, configuredEndpoint, signedRequest, type AwsClientStack, type EndpointTarget, type RetryOptions } from './signed-request.js';

/** `s3[-fips][.dualstack].<region>.<dnsSuffix>`. */
export function s3Hostname(target: EndpointTarget): string {
  return `s3${target.fips ? '-fips' : ''}${target.dualStack ? '.dualstack' : ''}.${target.region}.${target.dnsSuffix}`;
}

/** The object's bytes as UTF-8 text, or undefined when it does not exist (404, NoSuchKey). */
export async function getObjectText(client: AwsClientStack, bucket: string, key: string, retry?: RetryOptions): Promise<string | undefined> {
  if (!bucket) throw new Error('getObjectText: bucket is empty');
  if (!key) throw new Error('getObjectText: key is empty');
  const escapedKey = key.split('/').map(encodeURIComponent).join('/');
  const virtualHosted = configuredEndpoint('s3') === undefined && isVirtualHostableS3Bucket(bucket);
  try {
    const { body } = await signedRequest(
      client,
      {
        service: 's3',
        operation: 'GetObject',
        method: 'GET',
        path: virtualHosted ? `/${escapedKey}` : `/${encodeURIComponent(bucket)}/${escapedKey}`,
        hostname: virtualHosted ? (t) => `${bucket}.${s3Hostname(t)}` : s3Hostname,
        uriEscapePath: false,
      },
      retry,
    );
    return body;
  } catch (e) {
    if (e instanceof AwsRequestError && (e.code === 'NoSuchKey' || (e.status === 404 && e.code === undefined))) return undefined;
    throw e;
  }
}
