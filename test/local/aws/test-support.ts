/** Shared setup for the local AWS endpoint's own tests: a server, SDK clients, a settable clock. */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Clock } from '../../../core/clock.js';
import { startLocalAws, type LocalAws, type LocalAwsOptions, type RotationEvent } from '../../../local/aws/index.js';

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(private ms: number = Date.UTC(2026, 0, 15, 10, 30, 0)) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export const DAY_MS = 86_400_000;

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface Harness {
  aws: LocalAws;
  sm: SecretsManagerClient;
  ssm: SSMClient;
  clock: ManualClock;
  close(): Promise<void>;
}

/** Starts a server and clients that do not retry (so injected faults surface as they are). */
export async function startHarness(options: LocalAwsOptions = {}): Promise<Harness> {
  const clock = new ManualClock();
  const aws = await startLocalAws({ clock, rotation: 'sync', ...options });
  const sm = new SecretsManagerClient({ endpoint: aws.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  const ssm = new SSMClient({ endpoint: aws.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  return {
    aws,
    sm,
    ssm,
    clock,
    close: async () => {
      sm.destroy();
      ssm.destroy();
      await aws.close();
    },
  };
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`rejected with a non-Error: ${String(err)}`);
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/**
 * A rotation function as AWS's templates write one, talking to the endpoint through the SDK:
 * createSecret puts the new value under AWSPENDING (once), finishSecret moves AWSCURRENT.
 */
export function templateRotation(
  sm: SecretsManagerClient,
  newValue: (token: string) => string,
): (event: RotationEvent) => Promise<void> {
  return async ({ SecretId, ClientRequestToken, Step }) => {
    switch (Step) {
      case 'createSecret': {
        await sm.send(new GetSecretValueCommand({ SecretId, VersionStage: 'AWSCURRENT' }));
        try {
          await sm.send(
            new GetSecretValueCommand({ SecretId, VersionId: ClientRequestToken, VersionStage: 'AWSPENDING' }),
          );
        } catch (err) {
          if (!(err instanceof ResourceNotFoundException)) throw err;
          await sm.send(
            new PutSecretValueCommand({
              SecretId,
              ClientRequestToken,
              SecretString: newValue(ClientRequestToken),
              VersionStages: ['AWSPENDING'],
            }),
          );
        }
        return;
      }
      case 'setSecret':
        return;
      case 'testSecret':
        await sm.send(new GetSecretValueCommand({ SecretId, VersionId: ClientRequestToken, VersionStage: 'AWSPENDING' }));
        return;
      case 'finishSecret': {
        const described = await sm.send(new DescribeSecretCommand({ SecretId }));
        const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
          stages.includes('AWSCURRENT'),
        )?.[0];
        if (current === ClientRequestToken) return;
        await sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId,
            VersionStage: 'AWSCURRENT',
            MoveToVersionId: ClientRequestToken,
            RemoveFromVersionId: current,
          }),
        );
        return;
      }
    }
  };
}

/** Token-shaped ClientRequestTokens (32-64 characters), recognisable in assertions. */
export function token(label: string): string {
  return `${label}-${'0'.repeat(32)}`.slice(0, 40);
}

export function stagesOf(aws: LocalAws, secretId: string): Record<string, string[]> {
  const snapshot = aws.inspectSecret(secretId);
  if (!snapshot) throw new Error(`no secret ${secretId}`);
  return Object.fromEntries(snapshot.versions.map((v) => [v.versionId, [...v.stages].sort()]));
}
