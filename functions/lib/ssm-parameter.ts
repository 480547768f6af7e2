/**
 * SSM `GetParameter` as one signed awsJson1_1 call (signed-request.ts says why not the SDK client):
 * POST / with `X-Amz-Target: AmazonSSM.GetParameter`.
 */
import { AwsRequestError, awsJsonRequest, type AwsClientStack, type RetryOptions } from './signed-request.js';

/**
 * The value of parameter `name` (decrypted, as a SecureString's reader expects), or undefined when
 * it does not exist. Any other failure throws AwsRequestError.
 */
export async function getParameterValue(client: AwsClientStack, name: string, retry?: RetryOptions): Promise<string | undefined> {
  let body: string;
  try {
    ({ body } = await awsJsonRequest(client, { service: 'ssm', target: 'AmazonSSM.GetParameter', input: { Name: name, WithDecryption: true } }, retry));
  } catch (e) {
    if (e instanceof AwsRequestError && e.code === 'ParameterNotFound') return undefined;
    throw e;
  }
  let value: unknown;
  try {
    value = (JSON.parse(body) as { Parameter?: { Value?: unknown } }).Parameter?.Value;
  } catch {
    value = undefined;
  }
  // The body of a success may hold a secret value: the error says what was wrong, not what came.
  if (typeof value !== 'string') throw new Error(`ssm GetParameter ${name}: the answer has no Parameter.Value string`);
  return value;
}
