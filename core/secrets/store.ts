/**
 * A small typed wrapper over the Secrets Manager client: the calls the rotation, sweep and
 * on-demand logic make, with the staging-label vocabulary in one place. It does not log and never
 * puts a SecretString into an error message.
 *
 * Writes and rotations take a slot from the store's budgets (core/secrets/budget.ts) when it has
 * them, and report throttling back to them, so every write of a sweep shares one quota-aware rate.
 */
import {
  BatchGetSecretValueCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
  type DescribeSecretCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { RateBudget, StoreBudgets } from './budget.js';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';
/** Transient label of a version written by `putCurrent` until it becomes AWSCURRENT. */
export const STAGED = 'TGSTAGED';
/**
 * On the AWSCURRENT version once every token it replaced is revoked, proven gone or expired, so a
 * sweep can tell from the current version alone (one batched read) that nothing is left to revoke.
 */
export const SETTLED = 'TGSETTLED';
/**
 * On the version a rotation last minted a token into (createSecret's PutSecretValue moves it from
 * wherever it was, at no extra call), so the next rotation finds a token minted into a version
 * that never became current (core/rotation/unfinished-mints.ts).
 */
export const MINTED = 'TGMINTED';

/**
 * Writes one rotation makes in the rotation function (PutSecretValue of AWSPENDING, moving
 * AWSCURRENT, removing AWSPENDING): a rotation the sweep starts takes them from its write budget,
 * since they count against the same account-wide quota.
 */
export const WRITES_PER_ROTATION = 3;

/** Most secrets one BatchGetSecretValue call returns (the service's limit). */
export const BATCH_GET_LIMIT = 20;

export interface SecretDescription {
  arn: string;
  name: string;
  rotationEnabled: boolean;
  /** versionId -> staging labels */
  versions: Record<string, string[]>;
  tags: Record<string, string>;
  lastRotatedDate?: Date;
  /** Any change of the secret (value, labels, description, rotation settings, tags). */
  lastChangedDate?: Date;
}

export interface SecretVersionValue {
  /** The secret's ARN, as the service answered it. */
  arn?: string;
  versionId: string;
  secretString: string | undefined;
  stages: string[];
  createdDate?: Date;
}

/** One secret's AWSCURRENT value from a batch read. */
export interface BatchValue extends SecretVersionValue {
  /** The id it was asked for (ARN or name, as given). */
  secretId: string;
  arn: string;
  name: string;
}

export interface BatchError {
  secretId: string;
  errorCode: string;
  message: string;
}

/** A secret found by listing: its ARN and which version holds which label. */
export interface ListedSecret {
  arn: string;
  name: string;
  versions: Record<string, string[]>;
  tags: Record<string, string>;
}

export class SecretStore {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly budgets: StoreBudgets = {},
  ) {}

  async describe(secretId: string): Promise<SecretDescription> {
    const out: DescribeSecretCommandOutput = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
    return {
      arn: out.ARN ?? secretId,
      name: out.Name ?? secretId,
      rotationEnabled: out.RotationEnabled === true,
      versions: stagesMap(out.VersionIdsToStages),
      tags: Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
      ...(out.LastRotatedDate ? { lastRotatedDate: out.LastRotatedDate } : {}),
      ...(out.LastChangedDate ? { lastChangedDate: out.LastChangedDate } : {}),
    };
  }

  /**
   * Reads a version by id and/or stage. Resolves undefined when that version has no value, does
   * not exist, or does not carry the stage asked for (AWS answers that last case with
   * InvalidRequestException). Every other error (throttling, access denied, KMS) is thrown.
   */
  async tryGet(secretId: string, selector: { versionId?: string; stage?: string }): Promise<SecretVersionValue | undefined> {
    try {
      return await this.get(secretId, selector);
    } catch (e) {
      if (isServiceError(e, 'ResourceNotFoundException')) return undefined;
      if (selector.versionId && selector.stage && isStageMismatch(e)) return undefined;
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
      ...(out.ARN ? { arn: out.ARN } : {}),
      versionId: out.VersionId ?? '',
      secretString: out.SecretString,
      stages: out.VersionStages ?? [],
      ...(out.CreatedDate ? { createdDate: out.CreatedDate } : {}),
    };
  }

  /**
   * The AWSCURRENT values of up to BATCH_GET_LIMIT secrets in one call. Secrets the service could
   * not read come back in `errors` (by id and code), never thrown, so one bad secret does not hide
   * the others; a failure of the call itself is thrown.
   */
  async batchGet(secretIds: readonly string[]): Promise<{ values: BatchValue[]; errors: BatchError[] }> {
    if (secretIds.length > BATCH_GET_LIMIT) throw new RangeError(`batchGet: at most ${BATCH_GET_LIMIT} secret ids per call`);
    const values: BatchValue[] = [];
    const errors: BatchError[] = [];
    if (secretIds.length === 0) return { values, errors };
    const byArnOrName = new Map<string, string>();
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const out = await this.budgeted(this.budgets.batchReads, () =>
        this.client.send(new BatchGetSecretValueCommand({ SecretIdList: [...secretIds], ...(token ? { NextToken: token } : {}) })),
      );
      for (const id of secretIds) byArnOrName.set(id, id);
      for (const v of out.SecretValues ?? []) {
        const asked = secretIds.find((id) => id === v.ARN || id === v.Name || (v.ARN !== undefined && v.ARN.startsWith(`${id}-`))) ?? v.ARN ?? v.Name ?? '';
        values.push({
          secretId: asked,
          arn: v.ARN ?? asked,
          name: v.Name ?? asked,
          versionId: v.VersionId ?? '',
          secretString: v.SecretString,
          stages: v.VersionStages ?? [],
          ...(v.CreatedDate ? { createdDate: v.CreatedDate } : {}),
        });
      }
      for (const e of out.Errors ?? []) {
        errors.push({ secretId: e.SecretId ?? '', errorCode: e.ErrorCode ?? 'Unknown', message: e.Message ?? '' });
      }
      nextToken = out.NextToken;
    } while (nextToken);
    return { values, errors };
  }

  /** Writes a new version (idempotent per ClientRequestToken, as the service guarantees). */
  async put(
    secretId: string,
    secretString: string,
    options: { clientRequestToken?: string; stages?: string[]; rotationToken?: string } = {},
  ): Promise<string> {
    const out = await this.write(() =>
      this.client.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          SecretString: secretString,
          ...(options.clientRequestToken ? { ClientRequestToken: options.clientRequestToken } : {}),
          ...(options.stages ? { VersionStages: options.stages } : {}),
          ...(options.rotationToken ? { RotationToken: options.rotationToken } : {}),
        }),
      ),
    );
    return out.VersionId ?? options.clientRequestToken ?? '';
  }

  /** Moves `stage` to `toVersionId`, removing it from `fromVersionId` (required by the service when the label is elsewhere). */
  async moveStage(secretId: string, stage: string, toVersionId: string, fromVersionId?: string): Promise<void> {
    await this.write(() =>
      this.client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: stage,
          MoveToVersionId: toVersionId,
          ...(fromVersionId ? { RemoveFromVersionId: fromVersionId } : {}),
        }),
      ),
    );
  }

  async removeStage(secretId: string, stage: string, fromVersionId: string): Promise<void> {
    await this.write(() =>
      this.client.send(new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: stage, RemoveFromVersionId: fromVersionId })),
    );
  }

  /**
   * Starts a rotation through the service so the rotation hook's guarantees apply. Resolves the
   * new version id. On AWS the rotation itself runs afterwards (see core/operations/rotate-now.ts).
   */
  async rotate(secretId: string, clientRequestToken?: string): Promise<string> {
    for (let i = 0; i < WRITES_PER_ROTATION && this.budgets.writes; i++) await this.budgets.writes.take();
    const out = await this.budgeted(this.budgets.rotations, () =>
      this.client.send(
        new RotateSecretCommand({
          SecretId: secretId,
          RotateImmediately: true,
          ...(clientRequestToken ? { ClientRequestToken: clientRequestToken } : {}),
        }),
      ),
    );
    return out.VersionId ?? '';
  }

  async tag(secretId: string, tags: Record<string, string>): Promise<void> {
    await this.budgeted(this.budgets.tags, () => this.client.send(new TagResourceCommand({ SecretId: secretId, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) })));
  }

  async untag(secretId: string, keys: string[]): Promise<void> {
    await this.budgeted(this.budgets.tags, () => this.client.send(new UntagResourceCommand({ SecretId: secretId, TagKeys: keys })));
  }

  /**
   * Every secret carrying tag `key` = `value`, page by page (100 a call), with its staging labels.
   * The service's tag-key and tag-value filters match independently (and by prefix), so the pair
   * is checked again on each result.
   */
  async *listTagged(key: string, value: string): AsyncGenerator<ListedSecret[]> {
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
      const page: ListedSecret[] = [];
      for (const s of out.SecretList ?? []) {
        if (s.ARN && (s.Tags ?? []).some((t) => t.Key === key && t.Value === value)) {
          page.push({
            arn: s.ARN,
            name: s.Name ?? s.ARN,
            versions: stagesMap(s.SecretVersionsToStages),
            tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
          });
        }
      }
      if (page.length > 0) yield page;
      nextToken = out.NextToken;
    } while (nextToken);
  }

  private write<T>(call: () => Promise<T>): Promise<T> {
    return this.budgeted(this.budgets.writes, call);
  }

  /** Takes a slot from `budget` first, and tells it about throttling (the SDK's own retries still apply). */
  private async budgeted<T>(budget: RateBudget | undefined, call: () => Promise<T>): Promise<T> {
    if (!budget) return call();
    for (let attempt = 1; ; attempt++) {
      await budget.take();
      try {
        return await call();
      } catch (e) {
        if (!isThrottling(e) || attempt >= 4) throw e;
        budget.throttled();
      }
    }
  }
}

function stagesMap(raw: Record<string, string[] | undefined> | undefined): Record<string, string[]> {
  return Object.fromEntries(Object.entries(raw ?? {}).map(([k, v]) => [k, v ?? []]));
}

/**
 * Whether an AWS SDK error is the service exception `name`. The SDK sets `name` to the exception's
 * type, so this also matches errors from another copy of the SDK, where `instanceof` would not.
 */
export function isServiceError(error: unknown, name: string): boolean {
  return (error as { name?: unknown } | null)?.name === name;
}

export function isThrottling(error: unknown): boolean {
  return isServiceError(error, 'ThrottlingException') || isServiceError(error, 'TooManyRequestsException');
}

/** GetSecretValue with a VersionId and a VersionStage that is not on that version. */
function isStageMismatch(error: unknown): boolean {
  return (
    (isServiceError(error, 'InvalidRequestException') || isServiceError(error, 'ResourceNotFoundException')) &&
    /VersionStage/i.test(String((error as { message?: unknown }).message ?? ''))
  );
}

/** The version currently holding `stage`, if any. */
export function versionWithStage(versions: Record<string, string[]>, stage: string): string | undefined {
  return Object.entries(versions).find(([, stages]) => stages.includes(stage))?.[0];
}
