/**
 * The bench baseline: the smallest useful Secrets Manager Lambda. It creates one
 * SecretsManagerClient (outside the handler, as AWS recommends) and reads one secret. Bundled
 * exactly like the project's functions (infra/bundling.ts), so bundle size and cold start of
 * the functions can be stated as a ratio to "the AWS SDK client alone".
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const client = new SecretsManagerClient({});

export interface BaselineEvent {
  secretId: string;
}

/** Returns only metadata: the value never leaves the function. */
export async function handler(event: BaselineEvent): Promise<{ versionId: string | undefined; length: number }> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: event.secretId }));
  return { versionId: out.VersionId, length: out.SecretString?.length ?? 0 };
}
