/**
 * A shared fixture for tests of core operations: the local Secrets Manager endpoint (real AWS SDK
 * over real HTTP) on a fake clock, with helpers to lay out a token secret's versions and labels as
 * a test needs them, and the core Deps wired to a provider of the test's choosing.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { CreateSecretCommand, PutSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { OffsetClock } from '../../core/clock.js';
import type { Deps } from '../../core/deps.js';
import { MANAGED_TAG } from '../../core/names.js';
import type { ProviderOpener } from '../../core/providers/open.js';
import type { StoreBudgets } from '../../core/secrets/budget.js';
import { SecretStore } from '../../core/secrets/store.js';
import { startLocalAws, type LocalAws } from '../../local/aws/index.js';

export const DAY = 86_400;
const ROTATION_LAMBDA_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:rotation';

export interface AwsFixture {
  aws: LocalAws;
  client: SecretsManagerClient;
  clock: OffsetClock;
  store(budgets?: StoreBudgets): SecretStore;
  deps(providers: ProviderOpener, budgets?: StoreBudgets): Deps;
  /** Creates a managed (tagged) token secret whose AWSCURRENT is `json`; resolves its ARN and version id. */
  createSecret(name: string, json: Record<string, unknown>, options?: { managed?: boolean }): Promise<{ arn: string; versionId: string }>;
  /** Adds a version with `json` carrying `stages` (moved from wherever they were). Resolves its id. */
  putVersion(arn: string, json: Record<string, unknown>, stages: string[]): Promise<string>;
  /** Labels of every version, and the JSON of the one holding `stage`. */
  labels(arn: string): Record<string, string[]>;
  valueAt(arn: string, stage: string): Record<string, unknown> | undefined;
}

let counter = 0;

/** Starts one endpoint for the file; its clock is reset to now before each test. */
export function useLocalAws(): AwsFixture {
  const clock = new OffsetClock();
  let aws: LocalAws;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    aws = await startLocalAws({ clock });
    client = new SecretsManagerClient({ endpoint: aws.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await aws.close();
  });
  beforeEach(() => {
    aws.setFaults({});
    aws.resetRequestLog();
  });
  const fixture: AwsFixture = {
    get aws() {
      return aws;
    },
    get client() {
      return client;
    },
    clock,
    store: (budgets) => new SecretStore(client, budgets),
    deps: (providers, budgets) => ({ store: new SecretStore(client, budgets), providers, clock }),
    async createSecret(name, json, options = {}) {
      const out = await client.send(
        new CreateSecretCommand({
          Name: `${name}-${++counter}`,
          SecretString: JSON.stringify(json),
          Tags: options.managed === false ? [] : [{ Key: MANAGED_TAG, Value: 'true' }],
        }),
      );
      // Rotation configured (as the construct does) but not run: RotateImmediately false only tests the setup.
      await client.send(new RotateSecretCommand({ SecretId: out.ARN, RotationLambdaARN: ROTATION_LAMBDA_ARN, RotateImmediately: false }));
      await aws.rotationsSettled(out.ARN);
      return { arn: out.ARN as string, versionId: out.VersionId as string };
    },
    async putVersion(arn, json, stages) {
      // PutSecretValue moves each label from whichever version had it (AWSCURRENT moves AWSPREVIOUS too).
      const out = await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify(json), VersionStages: stages }));
      return out.VersionId as string;
    },
    labels(arn) {
      const snap = aws.inspectSecret(arn);
      return Object.fromEntries((snap?.versions ?? []).filter((v) => v.stages.length > 0).map((v) => [v.versionId, v.stages]));
    },
    valueAt(arn, stage) {
      const v = aws.inspectSecret(arn)?.versions.find((x) => x.stages.includes(stage));
      return v?.secretString ? (JSON.parse(v.secretString) as Record<string, unknown>) : undefined;
    },
  };
  return fixture;
}

/** A token secret's JSON with a 30-day token expiring in `expiresInSeconds`. */
export function tokenJson(clock: OffsetClock, token: string | undefined, expiresInSeconds: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const expiresAt = clock.now() + expiresInSeconds * 1000;
  return {
    host: 'https://tg.example.com',
    credentialSecretId: 'cred',
    ...(token ? { token, expiresAt: new Date(expiresAt).toISOString(), issuedAt: new Date(expiresAt - 30 * DAY * 1000).toISOString() } : {}),
    ...extra,
  };
}
