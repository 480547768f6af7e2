/**
 * The local stack (local/stack.ts: Secrets Manager endpoint, fake TigerGraph 3.x and 4.x, the real
 * handlers) plus the Trifacta and ICA fakes on the same clock, and one token secret per provider,
 * each given its first token through RotateSecret and the real rotation handler.
 *
 * local/stack.ts creates TigerGraph secrets only, so Trifacta and ICA secrets are created here the
 * same way (credential secret, managed token secret, RotateSecret with the stack's rotation ARN).
 */
import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, GetSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { startFakeIca, type FakeIca } from '../../local/fakes/ica/index.js';
import { startFakeTrifacta, type FakeTrifacta } from '../../local/fakes/trifacta/index.js';
import { MANAGED_TAG, ROTATION_LAMBDA_ARN, startLocalStack, type LocalStack } from '../../local/stack.js';
import type { ProviderName, SecretsClient } from '../../consumer/index.js';

export interface ConsumerStack {
  stack: LocalStack;
  trifacta: FakeTrifacta;
  ica: FakeIca;
  /** A provider token secret with its first token; returns the ARN. */
  createSecret(kind: SecretKind, name: string, fields?: Record<string, unknown>): Promise<string>;
  /** Whether the fake that serves `kind` accepts `token` now. */
  isLive(kind: SecretKind, token: string): boolean;
  /** Resolves once every rotation running in the background has finished. */
  settled(): Promise<void>;
  /** The token AWSCURRENT holds (test-side read, not counted in any consumer's reads). */
  currentToken(arn: string): Promise<{ token: string; versionId: string }>;
  /** A Secrets Manager client for a consumer, counting its calls. */
  countingClient(): SecretsClient & { calls: number };
  close(): Promise<void>;
}

/** `icaPassword`: ICA with username/password, so the product refreshes (tokens:refresh) instead of rotating. */
export type SecretKind = 'tigergraph3' | 'tigergraph4' | 'trifacta' | 'ica' | 'icaPassword';

export const PROVIDER_OF: Record<SecretKind, ProviderName> = {
  tigergraph3: 'tigergraph',
  tigergraph4: 'tigergraph',
  trifacta: 'trifacta',
  ica: 'ica',
  icaPassword: 'ica',
};

/** An authenticated call that proves a token, per kind (under TokenInfo.baseUrl). */
export const CHECK_PATH: Record<SecretKind, string> = {
  tigergraph3: '/echo',
  tigergraph4: '/echo',
  trifacta: '/apiAccessTokens',
  ica: '/api/regions',
  icaPassword: '/api/regions',
};

export async function startConsumerStack(): Promise<ConsumerStack> {
  const stack = await startLocalStack();
  const trifactaUser = { username: 'app@example.com', password: randomBytes(12).toString('hex') };
  const icaApiKey = randomBytes(16).toString('hex');
  const icaUser = { username: 'analyst@example.com', password: randomBytes(12).toString('hex') };
  const [trifacta, ica] = await Promise.all([
    startFakeTrifacta({ users: { [trifactaUser.username]: trifactaUser.password }, clock: stack.clock }),
    startFakeIca({ apiKeys: [icaApiKey], users: { [icaUser.username]: icaUser.password }, clock: stack.clock }),
  ]);

  async function createOther(kind: 'trifacta' | 'ica' | 'icaPassword', name: string, fields: Record<string, unknown>): Promise<string> {
    const provider = PROVIDER_OF[kind];
    const credentials = kind === 'trifacta' ? trifactaUser : kind === 'ica' ? { apiKey: icaApiKey } : icaUser;
    const credential = await stack.secretsManager.send(new CreateSecretCommand({ Name: `${name}/credentials`, SecretString: JSON.stringify(credentials) }));
    const token = await stack.secretsManager.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({
          provider,
          host: provider === 'trifacta' ? trifacta.url : ica.url,
          credentialSecretId: credential.ARN,
          allowInsecureHttp: true,
          ...fields,
        }),
        Tags: [{ Key: MANAGED_TAG, Value: 'true' }],
      }),
    );
    await stack.secretsManager.send(
      new RotateSecretCommand({ SecretId: token.ARN, RotationLambdaARN: ROTATION_LAMBDA_ARN, RotationRules: { AutomaticallyAfterDays: 7 } }),
    );
    // RotateSecret only starts the rotation (the local endpoint's default, as on AWS): wait for the first token.
    await stack.aws.rotationsSettled(token.ARN);
    const failure = stack.aws.lastRotationError(token.ARN as string);
    if (failure) throw new Error(`first rotation of ${name} failed: ${JSON.stringify(failure)}`);
    return token.ARN as string;
  }

  return {
    stack,
    trifacta,
    ica,
    createSecret(kind, name, fields = {}) {
      if (kind === 'tigergraph3') return stack.createTokenSecret(name, { version: 3, fields });
      if (kind === 'tigergraph4') return stack.createTokenSecret(name, { version: 4, fields });
      return createOther(kind, name, fields);
    },
    isLive(kind, token) {
      if (kind === 'tigergraph3') return stack.tg3.isLive(token);
      if (kind === 'tigergraph4') return stack.tg4.isLive(token);
      return kind === 'trifacta' ? trifacta.isLive(token) : ica.isLive(token);
    },
    settled: () => stack.aws.rotationsSettled(),
    async currentToken(arn) {
      const out = await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
      const token = (JSON.parse(out.SecretString ?? '{}') as { token?: string }).token;
      if (!token) throw new Error(`secret ${arn} holds no token: did its first rotation fail?`);
      return { token, versionId: out.VersionId as string };
    },
    countingClient() {
      const client = {
        calls: 0,
        send(command: GetSecretValueCommand) {
          client.calls++;
          return stack.secretsManager.send(command);
        },
      };
      return client;
    },
    async close() {
      await Promise.all([trifacta.close(), ica.close()]);
      await stack.close();
    },
  };
}
