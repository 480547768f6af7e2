/**
 * A small typed wrapper over the Secrets Manager client: the handful of calls the rotation,
 * refresh and revoke logic make, with staging-label vocabulary in one place. It does not log and
 * never puts a SecretString into an error message.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
  type DescribeSecretCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';
/** Transient label of a version written by `putIfCurrent` until it becomes AWSCURRENT. */
export const STAGED = 'TGSTAGED';

export interface SecretDescription {
  arn: string;
  name: string;
  rotationEnabled: boolean;
  /** versionId -> staging labels */
  versions: Record<string, string[]>;
  tags: Record<string, string>;
  lastRotatedDate?: Date;
}

export interface SecretVersionValue {
  versionId: string;
  secretString: string | undefined;
  stages: string[];
  createdDate?: Date;
}

export class SecretStore {
  constructor(private readonly client: SecretsManagerClient) {}

  async describe(secretId: string): Promise<SecretDescription> {
    const out: DescribeSecretCommandOutput = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
    return {
      arn: out.ARN ?? secretId,
      name: out.Name ?? secretId,
      rotationEnabled: out.RotationEnabled === true,
      versions: Object.fromEntries(Object.entries(out.VersionIdsToStages ?? {}).map(([k, v]) => [k, v ?? []])),
      tags: Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
      ...(out.LastRotatedDate ? { lastRotatedDate: out.LastRotatedDate } : {}),
    };
  }

  /** Reads a version by id and/or stage. Resolves undefined when that version has no value (or no such version). */
  async tryGet(secretId: string, selector: { versionId?: string; stage?: string }): Promise<SecretVersionValue | undefined> {
    try {
      return await this.get(secretId, selector);
    } catch (e) {
      if (isServiceError(e, 'ResourceNotFoundException')) return undefined;
      throw e;
    }
  }

  async get(secretId: string, selector: { versionId?: string; stage?: string } = { stage: AWSCURRENT }): Promise<SecretVersionValue> {
    const out = await this.client.send(
      new GetSecretValueCommand({
        SecretId: secretId,
        ...(selector.versionId ? { VersionId: selector.versionId } : {}),
        ...(selector.stage ? { VersionStage: selector.stage } : {}),
      }),
    );
    return {
      versionId: out.VersionId ?? '',
      secretString: out.SecretString,
      stages: out.VersionStages ?? [],
      ...(out.CreatedDate ? { createdDate: out.CreatedDate } : {}),
    };
  }

  /** Writes a new version (idempotent per ClientRequestToken, as the service guarantees). */
  async put(
    secretId: string,
    secretString: string,
    options: { clientRequestToken?: string; stages?: string[]; rotationToken?: string } = {},
  ): Promise<string> {
    const out = await this.client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: secretString,
        ...(options.clientRequestToken ? { ClientRequestToken: options.clientRequestToken } : {}),
        ...(options.stages ? { VersionStages: options.stages } : {}),
        ...(options.rotationToken ? { RotationToken: options.rotationToken } : {}),
      }),
    );
    return out.VersionId ?? options.clientRequestToken ?? '';
  }

  /**
   * Writes a new version and makes it AWSCURRENT only if AWSCURRENT is still on `expectedCurrent`:
   * the value is stored under a transient label, then AWSCURRENT is moved with RemoveFromVersionId,
   * which the service refuses when the label has moved on. So a value built from an earlier read
   * never replaces a newer AWSCURRENT (a rotation that finished meanwhile). Resolves the new
   * version id, or undefined when AWSCURRENT had moved (the new version is then left unlabelled).
   */
  async putIfCurrent(secretId: string, secretString: string, expectedCurrent: string): Promise<string | undefined> {
    const versionId = await this.put(secretId, secretString, { stages: [STAGED] });
    try {
      await this.moveStage(secretId, AWSCURRENT, versionId, expectedCurrent);
      // On success the label stays on the new current version: it marks nothing there, and the
      // next staged write moves it (PutSecretValue takes a label from whichever version has it).
      return versionId;
    } catch (e) {
      // The label only marks the write in flight; a failure to remove it changes nothing that matters.
      await this.removeStage(secretId, STAGED, versionId).catch(() => undefined);
      if (!isServiceError(e, 'InvalidParameterException')) throw e;
      const holder = versionWithStage((await this.describe(secretId)).versions, AWSCURRENT);
      if (holder === expectedCurrent) throw e;
      return undefined;
    }
  }

  /** Moves `stage` to `toVersionId`, removing it from `fromVersionId` (required by the service when the label is elsewhere). */
  async moveStage(secretId: string, stage: string, toVersionId: string, fromVersionId?: string): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: stage,
        MoveToVersionId: toVersionId,
        ...(fromVersionId ? { RemoveFromVersionId: fromVersionId } : {}),
      }),
    );
  }

  async removeStage(secretId: string, stage: string, fromVersionId: string): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: stage, RemoveFromVersionId: fromVersionId }),
    );
  }

  /** Starts a rotation through the service so the rotation hook's guarantees apply. Returns the new version id. */
  async rotate(secretId: string, clientRequestToken?: string): Promise<string> {
    const out = await this.client.send(
      new RotateSecretCommand({
        SecretId: secretId,
        RotateImmediately: true,
        ...(clientRequestToken ? { ClientRequestToken: clientRequestToken } : {}),
      }),
    );
    return out.VersionId ?? '';
  }

  /**
   * ARNs of every secret carrying tag `key` = `value`, all pages. The service's tag-key and
   * tag-value filters match independently, so the pair is checked again on each result.
   */
  async listTagged(key: string, value: string): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(
        new ListSecretsCommand({
          Filters: [
            { Key: 'tag-key', Values: [key] },
            { Key: 'tag-value', Values: [value] },
          ],
          MaxResults: 100,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const s of out.SecretList ?? []) {
        if (s.ARN && (s.Tags ?? []).some((t) => t.Key === key && t.Value === value)) arns.push(s.ARN);
      }
      nextToken = out.NextToken;
    } while (nextToken);
    return arns;
  }

  /** Versions with their creation dates (used to date the last rotation). */
  async listVersions(secretId: string): Promise<Array<{ versionId: string; stages: string[]; createdDate?: Date }>> {
    const versions: Array<{ versionId: string; stages: string[]; createdDate?: Date }> = [];
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(
        new ListSecretVersionIdsCommand({ SecretId: secretId, ...(nextToken ? { NextToken: nextToken } : {}) }),
      );
      for (const v of out.Versions ?? []) {
        versions.push({ versionId: v.VersionId ?? '', stages: v.VersionStages ?? [], ...(v.CreatedDate ? { createdDate: v.CreatedDate } : {}) });
      }
      nextToken = out.NextToken;
    } while (nextToken);
    return versions;
  }
}

/**
 * Whether an AWS SDK error is the service exception `name`. The SDK sets `name` to the exception's
 * type, so this also matches errors from another copy of the SDK, where `instanceof` would not.
 */
export function isServiceError(error: unknown, name: string): boolean {
  return (error as { name?: unknown } | null)?.name === name;
}

/** The version currently holding `stage`, if any. */
export function versionWithStage(versions: Record<string, string[]>, stage: string): string | undefined {
  return Object.entries(versions).find(([, stages]) => stages.includes(stage))?.[0];
}
