/**
 * The local Secrets Manager: an in-memory store of secrets and their versions, and the operations
 * with the service's semantics (staging labels, idempotent ClientRequestToken, deletion with a
 * recovery window, rotation through a caller-supplied invoker). See index.ts for the list of
 * differences from the real service.
 */
import type { Clock } from '../../core/clock.js';
import {
  AwsServiceError,
  invalidParameter,
  invalidRequest,
  notFound,
  resourceExists,
  validation,
} from './errors.js';
import { BackgroundWork } from './background.js';
import { mergeTags, readTags } from './tags.js';
import {
  Input,
  arnSuffix,
  checkMaxResults,
  decodeCursor,
  encodeCursor,
  epochSeconds,
  newUuid,
  startOfUtcDay,
  type JsonObject,
} from './util.js';

// ---------------------------------------------------------------------------------------------
// Public types (re-exported from index.ts)

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

/**
 * `sync`: RotateSecret runs the steps and answers after them. `async`: RotateSecret answers once
 * AWSPENDING exists and the steps run afterwards, as AWS invokes the rotation function.
 */
export type RotationMode = 'sync' | 'async';

/** The event Secrets Manager sends to a rotation function, one per step. */
export interface RotationEvent {
  /** The secret's full ARN. */
  SecretId: string;
  /** The VersionId of the AWSPENDING version this rotation fills in. */
  ClientRequestToken: string;
  Step: RotationStep;
  /** Identifies the rotation; the same for the four steps of one rotation. */
  RotationToken?: string;
}

/** What the endpoint knows about the function it stands in for, for invokers that dispatch on it. */
export interface RotationInvocationContext {
  /** The secret's RotationLambdaARN. */
  rotationLambdaArn: string;
  secretName: string;
}

/**
 * Runs one rotation step, as the rotation Lambda would. Rejecting means the step failed. The
 * second argument is optional to use: `(event) => handler(event)` is a valid invoker.
 */
export type RotationInvoker = (event: RotationEvent, context: RotationInvocationContext) => Promise<void>;

/** Why the last rotation of a secret failed. Cleared when a later rotation succeeds. */
export interface RotationFailure {
  step: RotationStep;
  message: string;
  clientRequestToken: string;
  at: Date;
}

export interface RotationRulesSnapshot {
  AutomaticallyAfterDays?: number;
  Duration?: string;
  ScheduleExpression?: string;
}

export interface SecretVersionSnapshot {
  versionId: string;
  stages: string[];
  /** Undefined for a version without a value (the AWSPENDING placeholder RotateSecret creates). */
  secretString?: string;
  /** Base64, as the JSON protocol carries it. */
  secretBinary?: string;
  createdDate: Date;
  lastAccessedDate?: Date;
}

/** Everything the store holds about one secret, values included: for test assertions only. */
export interface SecretSnapshot {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
  createdDate: Date;
  lastChangedDate: Date;
  lastAccessedDate?: Date;
  /** Set while the secret is scheduled for deletion: when it will be removed. */
  deletionDate?: Date;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  rotationRules?: RotationRulesSnapshot;
  lastRotatedDate?: Date;
  nextRotationDate?: Date;
  lastRotationError?: RotationFailure;
  /** True while the rotation steps run: within RotateSecret (`sync`) or after it answered (`async`). */
  rotationInProgress: boolean;
  /** All versions, deprecated ones included, oldest first. */
  versions: SecretVersionSnapshot[];
}

export interface SecretsManagerOptions {
  clock: Clock;
  region: string;
  accountId: string;
  /** Read at each RotateSecret, so the invoker can be swapped while the server runs. */
  rotationInvoker: () => RotationInvoker | undefined;
  /** Read at each RotateSecret, like the invoker. */
  rotationMode: () => RotationMode;
  /** Only in `sync` mode: in `async` mode the answer is sent before any step runs. */
  rotateSecretErrorsPropagate: boolean;
}

// ---------------------------------------------------------------------------------------------
// Internal model

const AWSCURRENT = 'AWSCURRENT';
const AWSPREVIOUS = 'AWSPREVIOUS';
const AWSPENDING = 'AWSPENDING';
/** Secrets Manager keeps about 100 versions; older deprecated (label-less) ones are removed. */
const MAX_VERSIONS = 100;
/** BatchGetSecretValue reads at most 20 secrets a call (SecretIdList length, MaxResults). */
const BATCH_GET_MAX = 20;
const DAY_MS = 86_400_000;
const ROTATION_STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

const MSG_NOT_FOUND = "Secrets Manager can't find the specified secret.";
const MSG_MARKED_FOR_DELETION =
  "You can't perform this operation on the secret because it was marked for deletion.";
const MSG_ROTATION_INCOMPLETE = "A previous rotation isn't complete. That rotation will be reattempted.";
const MSG_NO_ROTATION_FUNCTION =
  "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured " +
  "and you didn't include such an ARN as a parameter in this call.";
const MSG_VALUE_EXCLUSIVE = 'You must include SecretBinary or SecretString, but not both.';
const MSG_STAGE_NOT_ON_VERSION = 'You provided a VersionStage that is not associated to the provided VersionId.';

interface SecretVersion {
  readonly id: string;
  readonly seq: number;
  readonly createdMs: number;
  stages: Set<string>;
  secretString?: string;
  secretBinary?: string;
  lastAccessedMs?: number;
}

interface RotationRun {
  readonly token: string;
  cancelled: boolean;
}

interface SecretRecord {
  readonly name: string;
  readonly arn: string;
  readonly seq: number;
  readonly createdMs: number;
  description?: string;
  kmsKeyId?: string;
  tags: Map<string, string>;
  lastChangedMs: number;
  lastAccessedMs?: number;
  deletionDateMs?: number;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  rotationRules?: RotationRulesSnapshot;
  lastRotatedMs?: number;
  nextRotationMs?: number;
  lastRotationError?: RotationFailure;
  rotation?: RotationRun;
  versions: Map<string, SecretVersion>;
}

type Operation = (input: Input) => JsonObject | Promise<JsonObject>;

// ---------------------------------------------------------------------------------------------

export class SecretsManagerStore {
  private readonly secrets = new Map<string, SecretRecord>(); // by name
  private readonly background = new BackgroundWork();
  private seq = 0;
  private readonly operations: Readonly<Record<string, Operation>>;

  constructor(private readonly options: SecretsManagerOptions) {
    this.operations = {
      CreateSecret: (i) => this.createSecret(i),
      DescribeSecret: (i) => this.describeSecret(i),
      GetSecretValue: (i) => this.getSecretValue(i),
      BatchGetSecretValue: (i) => this.batchGetSecretValue(i),
      PutSecretValue: (i) => this.putSecretValue(i),
      UpdateSecret: (i) => this.updateSecret(i),
      UpdateSecretVersionStage: (i) => this.updateSecretVersionStage(i),
      ListSecrets: (i) => this.listSecrets(i),
      ListSecretVersionIds: (i) => this.listSecretVersionIds(i),
      TagResource: (i) => this.tagResource(i),
      UntagResource: (i) => this.untagResource(i),
      DeleteSecret: (i) => this.deleteSecret(i),
      RestoreSecret: (i) => this.restoreSecret(i),
      RotateSecret: (i) => this.rotateSecret(i),
      CancelRotateSecret: (i) => this.cancelRotateSecret(i),
    };
  }

  supports(operation: string): boolean {
    return Object.hasOwn(this.operations, operation);
  }

  async handle(operation: string, body: JsonObject): Promise<JsonObject> {
    const op = this.operations[operation];
    if (!op) throw new AwsServiceError('UnknownOperationException', `Unknown operation ${operation}`);
    this.purgeExpiredDeletions();
    return op(new Input(body));
  }

  // -------------------------------------------------------------------------------------------
  // Inspection (tests only; not reachable over HTTP)

  inspect(secretId: string): SecretSnapshot | undefined {
    this.purgeExpiredDeletions();
    const s = this.find(secretId);
    return s ? snapshot(s) : undefined;
  }

  inspectAll(): SecretSnapshot[] {
    this.purgeExpiredDeletions();
    return [...this.secrets.values()].map(snapshot);
  }

  /**
   * Resolves once the background rotations of one secret (name or ARN), or of all secrets, have
   * finished. Only `async` mode leaves rotations running after RotateSecret has answered.
   */
  rotationsSettled(secretId?: string): Promise<void> {
    if (secretId === undefined) return this.background.settled();
    const arn = this.find(secretId)?.arn ?? secretId;
    return this.background.settled(arn);
  }

  lastRotationError(secretId: string): RotationFailure | undefined {
    const failure = this.find(secretId)?.lastRotationError;
    return failure ? { ...failure, at: new Date(failure.at) } : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Operations

  private createSecret(input: Input): JsonObject {
    const name = input.string('Name');
    validateName(name);
    const value = readValue(input, false);
    const token = optToken(input);
    const existing = this.secrets.get(name);
    if (existing) {
      if (existing.deletionDateMs !== undefined) {
        throw invalidRequest(
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      }
      // A retried CreateSecret (same token, same value) is answered as the first one was.
      const version = token !== undefined ? existing.versions.get(token) : undefined;
      if (version && value && sameValue(version, value)) return this.ref(existing, version.id);
      throw resourceExists(`The operation failed because the secret ${name} already exists.`);
    }
    const now = this.now();
    const secret: SecretRecord = {
      name,
      arn: `arn:aws:secretsmanager:${this.options.region}:${this.options.accountId}:secret:${name}-${arnSuffix()}`,
      seq: ++this.seq,
      createdMs: now,
      lastChangedMs: now,
      tags: mergeTags(new Map(), readTags(input.optObjectList('Tags') ?? [])),
      rotationEnabled: false,
      versions: new Map(),
    };
    const description = input.optString('Description');
    if (description !== undefined) secret.description = description;
    const kmsKeyId = input.optString('KmsKeyId');
    if (kmsKeyId !== undefined) secret.kmsKeyId = kmsKeyId;
    this.secrets.set(name, secret);
    if (!value) return { ARN: secret.arn, Name: secret.name };
    const version = this.addVersion(secret, token ?? newUuid(), value);
    this.attachStages(secret, version, [AWSCURRENT]);
    return this.ref(secret, version.id);
  }

  private describeSecret(input: Input): JsonObject {
    return this.secretFields(this.resolve(input.string('SecretId')), 'VersionIdsToStages');
  }

  private getSecretValue(input: Input): JsonObject {
    const s = this.live(input.string('SecretId'));
    const versionId = input.optString('VersionId');
    const stage = input.optString('VersionStage');
    let version: SecretVersion | undefined;
    if (versionId !== undefined) {
      version = s.versions.get(versionId);
      if (!version) {
        throw notFound(`Secrets Manager can't find the specified secret value for VersionId: ${versionId}`);
      }
      if (stage !== undefined && !version.stages.has(stage)) {
        // AWS's answer (reproduced with the CLI in getmoto/moto#5238): a client error about the
        // request, not "not found". The VersionId exists; the pair does not name one version.
        throw invalidRequest(MSG_STAGE_NOT_ON_VERSION);
      }
    } else {
      const label = stage ?? AWSCURRENT;
      version = this.holderOf(s, label);
      if (!version) {
        throw notFound(`Secrets Manager can't find the specified secret value for staging label: ${label}`);
      }
    }
    if (version.secretString === undefined && version.secretBinary === undefined) {
      throw notFound(
        versionId !== undefined && stage === undefined
          ? `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`
          : `Secrets Manager can't find the specified secret value for staging label: ${stage ?? AWSCURRENT}`,
      );
    }
    const accessed = startOfUtcDay(this.now());
    s.lastAccessedMs = accessed;
    version.lastAccessedMs = accessed;
    const out: JsonObject = {
      ARN: s.arn,
      Name: s.name,
      VersionId: version.id,
      VersionStages: [...version.stages],
      CreatedDate: epochSeconds(version.createdMs),
    };
    if (version.secretString !== undefined) out.SecretString = version.secretString;
    if (version.secretBinary !== undefined) out.SecretBinary = version.secretBinary;
    return out;
  }

  /**
   * The AWSCURRENT values of up to 20 secrets, named (SecretIdList) or matched by ListSecrets
   * filters (Filters, paged with MaxResults and NextToken). A secret that cannot be read is
   * reported in Errors, as GetSecretValue would have refused it; the call itself fails only for a
   * bad request.
   */
  private batchGetSecretValue(input: Input): JsonObject {
    const ids = input.optStringList('SecretIdList');
    const filterInputs = input.optObjectList('Filters');
    const maxResults = input.optNumber('MaxResults');
    const token = input.optString('NextToken');
    // The model's constraints are checked before the service's own rules, as AWS does.
    if (ids !== undefined && (ids.length < 1 || ids.length > BATCH_GET_MAX)) {
      throw validation(
        `1 validation error detected: Value '[${ids.join(', ')}]' at 'secretIdList' failed to satisfy constraint: ` +
          `Member must have length ${ids.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${BATCH_GET_MAX}`}`,
      );
    }
    const pageSize = checkMaxResults(maxResults, BATCH_GET_MAX);
    const filters = readFilters(filterInputs);
    if ((ids === undefined) === (filterInputs === undefined)) {
      throw invalidParameter('You must include Filters or SecretIdList, but not both.');
    }

    const values: JsonObject[] = [];
    const errors: JsonObject[] = [];
    const read = (secretId: string): void => {
      try {
        values.push(this.getSecretValue(new Input({ SecretId: secretId })));
      } catch (e) {
        if (!(e instanceof AwsServiceError)) throw e;
        errors.push({ SecretId: secretId, ErrorCode: e.errorType, Message: e.message });
      }
    };

    if (ids !== undefined) {
      if (maxResults !== undefined) throw invalidParameter('MaxResults can only be used together with Filters.');
      // Twenty ids always fit in one answer, so this mode never hands out a NextToken.
      if (token !== undefined) this.cursor('BatchGetSecretValue', token);
      for (const id of ids) read(id);
      return { SecretValues: values, Errors: errors };
    }
    const after = token !== undefined ? this.cursor('BatchGetSecretValue', token) : undefined;
    const { page, more } = this.pageOfSecrets({ filters, includeDeleted: false, desc: false, after, max: pageSize });
    for (const secret of page) read(secret.arn);
    const out: JsonObject = { SecretValues: values, Errors: errors };
    const last = page.at(-1);
    if (more && last) out.NextToken = encodeCursor('BatchGetSecretValue', last.seq);
    return out;
  }

  private putSecretValue(input: Input): JsonObject {
    const s = this.live(input.string('SecretId'));
    const value = readValue(input, true);
    if (!value) throw invalidParameter(MSG_VALUE_EXCLUSIVE);
    const stages = input.optStringList('VersionStages') ?? [AWSCURRENT];
    validateStages(stages);
    const version = this.storeValue(s, optToken(input) ?? newUuid(), value, stages);
    return { ...this.ref(s, version.id), VersionStages: [...version.stages] };
  }

  private updateSecret(input: Input): JsonObject {
    const s = this.live(input.string('SecretId'));
    const value = readValue(input, false);
    const token = optToken(input);
    const description = input.optString('Description');
    const kmsKeyId = input.optString('KmsKeyId');
    if (description !== undefined) s.description = description;
    if (kmsKeyId !== undefined) s.kmsKeyId = kmsKeyId;
    s.lastChangedMs = this.now();
    if (!value) return { ARN: s.arn, Name: s.name };
    const version = this.storeValue(s, token ?? newUuid(), value, [AWSCURRENT]);
    return this.ref(s, version.id);
  }

  private updateSecretVersionStage(input: Input): JsonObject {
    const s = this.live(input.string('SecretId'));
    const stage = input.string('VersionStage');
    validateStages([stage]);
    const removeFrom = input.optString('RemoveFromVersionId');
    const moveTo = input.optString('MoveToVersionId');
    if (removeFrom === undefined && moveTo === undefined) {
      throw invalidParameter('You must specify MoveToVersionId, RemoveFromVersionId, or both.');
    }
    const source = removeFrom !== undefined ? this.versionOrFail(s, removeFrom) : undefined;
    const target = moveTo !== undefined ? this.versionOrFail(s, moveTo) : undefined;
    const holder = this.holderOf(s, stage);
    if (source && !source.stages.has(stage)) {
      throw invalidParameter(
        `The parameter RemoveFromVersionId doesn't match. Staging label ${stage} is ` +
          (holder ? `currently attached to version ${holder.id}` : 'not attached to any version') +
          `, not to version ${source.id}.`,
      );
    }
    if (target) {
      if (holder && holder !== target && !source) {
        throw invalidParameter(
          `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached ` +
            `to version ${holder.id}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      }
      this.attachStages(s, target, [stage]);
    } else if (source) {
      if (stage === AWSCURRENT) {
        throw invalidParameter(
          'You can only remove the staging label AWSCURRENT by moving it to another version: specify MoveToVersionId.',
        );
      }
      source.stages.delete(stage);
    }
    s.lastChangedMs = this.now();
    this.pruneDeprecated(s);
    return { ARN: s.arn, Name: s.name };
  }

  private listSecrets(input: Input): JsonObject {
    const maxResults = checkMaxResults(input.optNumber('MaxResults'), 100);
    const includeDeleted = input.optBoolean('IncludePlannedDeletion') ?? false;
    const filters = readFilters(input.optObjectList('Filters'));
    const sortOrder = input.optString('SortOrder') ?? 'asc';
    if (sortOrder !== 'asc' && sortOrder !== 'desc') {
      throw validation(
        `1 validation error detected: Value '${sortOrder}' at 'sortOrder' failed to satisfy constraint: ` +
          'Member must satisfy enum value set: [asc, desc]',
      );
    }
    const token = input.optString('NextToken');
    const after = token !== undefined ? this.cursor('ListSecrets', token) : undefined;
    const { page, more } = this.pageOfSecrets({ filters, includeDeleted, desc: sortOrder === 'desc', after, max: maxResults });
    const out: JsonObject = { SecretList: page.map((s) => this.listEntry(s)) };
    const last = page.at(-1);
    if (more && last) out.NextToken = encodeCursor('ListSecrets', last.seq);
    return out;
  }

  /**
   * One page of the secrets that pass every filter, in creation order (or its reverse), after the
   * secret whose sequence number is `after`. Paging by sequence number keeps a page boundary right
   * while secrets come and go between calls.
   */
  private pageOfSecrets(query: {
    filters: readonly SecretFilter[];
    includeDeleted: boolean;
    desc: boolean;
    after: number | undefined;
    max: number;
  }): { page: SecretRecord[]; more: boolean } {
    const { filters, includeDeleted, desc, after, max } = query;
    let all = [...this.secrets.values()]
      .filter((s) => includeDeleted || s.deletionDateMs === undefined)
      .filter((s) => filters.every((f) => f(s)))
      .sort((a, b) => (desc ? b.seq - a.seq : a.seq - b.seq));
    if (after !== undefined) all = all.filter((s) => (desc ? s.seq < after : s.seq > after));
    return { page: all.slice(0, max), more: all.length > max };
  }

  private listSecretVersionIds(input: Input): JsonObject {
    const s = this.resolve(input.string('SecretId'));
    const maxResults = checkMaxResults(input.optNumber('MaxResults'), 100);
    const includeDeprecated = input.optBoolean('IncludeDeprecated') ?? false;
    const token = input.optString('NextToken');
    const after = token !== undefined ? this.cursor('ListSecretVersionIds', token) : undefined;
    const all = [...s.versions.values()]
      .filter((v) => includeDeprecated || v.stages.size > 0)
      .filter((v) => after === undefined || v.seq > after);
    const page = all.slice(0, maxResults);
    const out: JsonObject = {
      ARN: s.arn,
      Name: s.name,
      Versions: page.map((v) => {
        const entry: JsonObject = {
          VersionId: v.id,
          VersionStages: [...v.stages],
          CreatedDate: epochSeconds(v.createdMs),
          KmsKeyIds: [s.kmsKeyId ?? 'DefaultEncryptionKey'],
        };
        if (v.lastAccessedMs !== undefined) entry.LastAccessedDate = epochSeconds(v.lastAccessedMs);
        return entry;
      }),
    };
    const last = page.at(-1);
    if (all.length > page.length && last) out.NextToken = encodeCursor('ListSecretVersionIds', last.seq);
    return out;
  }

  private tagResource(input: Input): JsonObject {
    const s = this.live(input.string('SecretId'));
    const tags = input.optObjectList('Tags');
    if (!tags) throw validation(`1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null`);
    // Checked in full before anything changes: a refused request leaves the tags as they were.
    s.tags = mergeTags(s.tags, readTags(tags));
    s.lastChangedMs = this.now();
    return {};
  }

  private untagResource(input: Input): JsonObject {
    const s = this.live(input.string('SecretId'));
    const keys = input.optStringList('TagKeys');
    if (!keys) throw validation(`1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null`);
    for (const k of keys) s.tags.delete(k);
    s.lastChangedMs = this.now();
    return {};
  }

  private deleteSecret(input: Input): JsonObject {
    const window = input.optNumber('RecoveryWindowInDays');
    const force = input.optBoolean('ForceDeleteWithoutRecovery') ?? false;
    if (window !== undefined && (!Number.isInteger(window) || window < 7 || window > 30)) {
      throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    }
    if (window !== undefined && force) {
      throw invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    }
    const s = this.resolve(input.string('SecretId'));
    const now = this.now();
    if (force) {
      // Also allowed on a secret already scheduled for deletion, as in AWS.
      if (s.rotation) s.rotation.cancelled = true;
      this.secrets.delete(s.name);
      return { ARN: s.arn, Name: s.name, DeletionDate: epochSeconds(now) };
    }
    if (s.deletionDateMs !== undefined) throw invalidRequest(MSG_MARKED_FOR_DELETION);
    s.deletionDateMs = now + (window ?? 30) * DAY_MS;
    s.lastChangedMs = now;
    return { ARN: s.arn, Name: s.name, DeletionDate: epochSeconds(s.deletionDateMs) };
  }

  private restoreSecret(input: Input): JsonObject {
    const s = this.resolve(input.string('SecretId'));
    delete s.deletionDateMs;
    s.lastChangedMs = this.now();
    return { ARN: s.arn, Name: s.name };
  }

  private async rotateSecret(input: Input): Promise<JsonObject> {
    const s = this.live(input.string('SecretId'));
    const requestedToken = optToken(input);
    const lambdaArn = input.optString('RotationLambdaARN');
    const rules = readRotationRules(input.optObject('RotationRules'));
    const immediately = input.optBoolean('RotateImmediately') ?? true;
    if (lambdaArn === undefined && s.rotationLambdaArn === undefined) {
      throw invalidRequest(MSG_NO_ROTATION_FUNCTION);
    }

    // The check and the creation of AWSPENDING below run without an await in between, so of two
    // concurrent calls exactly one starts a rotation and the other sees it in progress.
    const pending = this.holderOf(s, AWSPENDING);
    const dangling = pending !== undefined && !pending.stages.has(AWSCURRENT) ? pending : undefined;
    if (s.rotation || (dangling && requestedToken !== dangling.id)) {
      throw invalidRequest(MSG_ROTATION_INCOMPLETE);
    }

    if (lambdaArn !== undefined) s.rotationLambdaArn = lambdaArn;
    if (rules) s.rotationRules = rules;
    s.rotationEnabled = true;
    const now = this.now();
    s.lastChangedMs = now;

    if (!immediately) {
      // AWS tests the configuration by running testSecret against a temporary AWSPENDING version.
      this.scheduleNext(s, now);
      const token = requestedToken ?? newUuid();
      if (s.versions.has(token)) throw resourceExists(`A version with the ID ${token} already exists.`);
      const probe = this.addVersion(s, token, undefined);
      this.attachStages(s, probe, [AWSPENDING]);
      await this.rotate(s, token, ['testSecret'], () => {
        const stillThere = s.versions.get(token);
        if (stillThere === probe && !hasValue(probe)) s.versions.delete(token);
        else probe.stages.delete(AWSPENDING);
      });
      return { ARN: s.arn, Name: s.name };
    }

    let token: string;
    if (dangling) {
      token = dangling.id; // the caller names the incomplete rotation's version: run it again
    } else {
      token = requestedToken ?? newUuid();
      const existing = s.versions.get(token);
      // A repeated request for a rotation that already completed (AWSPENDING sits on AWSCURRENT).
      if (existing?.stages.has(AWSPENDING)) return this.ref(s, token);
      if (existing) throw resourceExists(`A version with the ID ${token} already exists.`);
      const version = this.addVersion(s, token, undefined);
      this.attachStages(s, version, [AWSPENDING]);
    }
    const failure = await this.rotate(s, token, ROTATION_STEPS, (outcome) => {
      if (outcome) return;
      const done = this.now();
      s.lastRotatedMs = done;
      this.scheduleNext(s, done);
    });
    if (failure && this.options.rotateSecretErrorsPropagate) {
      throw invalidRequest(`Rotation failed at step ${failure.step}: ${failure.message}`);
    }
    return { ARN: s.arn, Name: s.name, VersionId: token };
  }

  private cancelRotateSecret(input: Input): JsonObject {
    const s = this.live(input.string('SecretId'));
    if (s.rotationLambdaArn === undefined) throw invalidRequest(MSG_NO_ROTATION_FUNCTION);
    s.rotationEnabled = false;
    delete s.nextRotationMs;
    if (s.rotation) s.rotation.cancelled = true;
    s.lastChangedMs = this.now();
    const out: JsonObject = { ARN: s.arn, Name: s.name };
    const pending = this.holderOf(s, AWSPENDING);
    if (pending && !pending.stages.has(AWSCURRENT)) out.VersionId = pending.id;
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Rotation

  /**
   * Runs `steps` of the rotation that fills the AWSPENDING version `token`, then `finish` with the
   * failure (undefined on success). In `sync` mode the returned promise settles after `finish`,
   * with the failure; in `async` mode, as on AWS, it resolves (undefined) at once and the steps
   * run in the background, tracked for rotationsSettled(). With no invoker configured nothing runs
   * and `finish` sees success at once. The secret is marked as rotating before this returns, so a
   * RotateSecret that arrives meanwhile is refused.
   */
  private rotate(
    s: SecretRecord,
    token: string,
    steps: readonly RotationStep[],
    finish: (failure: RotationFailure | undefined) => void,
  ): Promise<RotationFailure | undefined> {
    const invoker = this.options.rotationInvoker();
    if (!invoker) {
      finish(undefined);
      return Promise.resolve(undefined);
    }
    const run: RotationRun = { token, cancelled: false };
    s.rotation = run;
    const work = async (): Promise<RotationFailure | undefined> => {
      try {
        const failure = await this.runSteps(s, run, invoker, steps);
        finish(failure);
        return failure;
      } finally {
        if (s.rotation === run) delete s.rotation;
      }
    };
    if (this.options.rotationMode() === 'sync') return work();
    // The steps start on a later turn of the event loop, so RotateSecret's answer goes out first.
    const background = new Promise((resolve) => setImmediate(resolve))
      .then(work)
      .then(
        () => undefined,
        (err: unknown) => console.error('[local-aws] background rotation failed unexpectedly:', err),
      );
    this.background.add(s.arn, background);
    return Promise.resolve(undefined);
  }

  /** Awaits the invoker for each step in order; returns the failure, if any, after recording it. */
  private async runSteps(
    s: SecretRecord,
    run: RotationRun,
    invoker: RotationInvoker,
    steps: readonly RotationStep[],
  ): Promise<RotationFailure | undefined> {
    const rotationToken = newUuid();
    for (const step of steps) {
      if (run.cancelled) return this.recordFailure(s, step, run.token, 'The rotation was cancelled.');
      try {
        await invoker(
          { SecretId: s.arn, ClientRequestToken: run.token, Step: step, RotationToken: rotationToken },
          { rotationLambdaArn: s.rotationLambdaArn ?? '', secretName: s.name },
        );
      } catch (err) {
        return this.recordFailure(s, step, run.token, err instanceof Error ? err.message : String(err));
      }
    }
    delete s.lastRotationError;
    return undefined;
  }

  private recordFailure(s: SecretRecord, step: RotationStep, token: string, message: string): RotationFailure {
    const failure: RotationFailure = { step, message, clientRequestToken: token, at: new Date(this.now()) };
    s.lastRotationError = failure;
    return failure;
  }

  private scheduleNext(s: SecretRecord, fromMs: number): void {
    const interval = rotationIntervalMs(s.rotationRules);
    if (interval !== undefined) s.nextRotationMs = fromMs + interval;
    else delete s.nextRotationMs;
  }

  // -------------------------------------------------------------------------------------------
  // Versions and labels

  /** PutSecretValue/UpdateSecret: a new version, or the idempotent answer for a known token. */
  private storeValue(s: SecretRecord, token: string, value: SecretValue, stages: string[]): SecretVersion {
    const existing = s.versions.get(token);
    if (existing && hasValue(existing)) {
      if (sameValue(existing, value)) return existing; // the request is ignored
      throw resourceExists("You can't modify an existing version, you can only create a new version.");
    }
    // A version without a value is the placeholder RotateSecret created; this fills it in.
    const version = existing ?? this.addVersion(s, token, undefined);
    version.secretString = value.secretString;
    version.secretBinary = value.secretBinary;
    if (version.secretString === undefined) delete version.secretString;
    if (version.secretBinary === undefined) delete version.secretBinary;
    const labels = this.holderOf(s, AWSCURRENT) ? stages : [...new Set([...stages, AWSCURRENT])];
    this.attachStages(s, version, labels);
    s.lastChangedMs = this.now();
    this.pruneDeprecated(s);
    return version;
  }

  private addVersion(s: SecretRecord, id: string, value: SecretValue | undefined): SecretVersion {
    const version: SecretVersion = { id, seq: ++this.seq, createdMs: this.now(), stages: new Set() };
    if (value?.secretString !== undefined) version.secretString = value.secretString;
    if (value?.secretBinary !== undefined) version.secretBinary = value.secretBinary;
    s.versions.set(id, version);
    return version;
  }

  /**
   * Attaches labels to a version, taking each off whichever version had it (a label is on at most
   * one version). When AWSCURRENT moves, AWSPREVIOUS goes to the version it left.
   */
  private attachStages(s: SecretRecord, target: SecretVersion, stages: readonly string[]): void {
    let previousCurrent: SecretVersion | undefined;
    for (const stage of stages) {
      if (target.stages.has(stage)) continue;
      for (const other of s.versions.values()) {
        if (other !== target && other.stages.delete(stage) && stage === AWSCURRENT) previousCurrent = other;
      }
      target.stages.add(stage);
    }
    if (previousCurrent) {
      for (const v of s.versions.values()) v.stages.delete(AWSPREVIOUS);
      previousCurrent.stages.add(AWSPREVIOUS);
    }
  }

  /** Keeps at most MAX_VERSIONS versions by removing the oldest deprecated ones. */
  private pruneDeprecated(s: SecretRecord): void {
    if (s.versions.size <= MAX_VERSIONS) return;
    for (const v of [...s.versions.values()]) {
      if (s.versions.size <= MAX_VERSIONS) break;
      if (v.stages.size === 0) s.versions.delete(v.id);
    }
  }

  private holderOf(s: SecretRecord, stage: string): SecretVersion | undefined {
    for (const v of s.versions.values()) if (v.stages.has(stage)) return v;
    return undefined;
  }

  private versionOrFail(s: SecretRecord, id: string): SecretVersion {
    const v = s.versions.get(id);
    if (!v) throw invalidParameter(`Secrets Manager can't find the specified secret version: ${id}`);
    return v;
  }

  // -------------------------------------------------------------------------------------------
  // Lookup

  /** By name, full ARN, or partial ARN (the ARN without the six-character suffix). */
  private find(secretId: string): SecretRecord | undefined {
    const byName = this.secrets.get(secretId);
    if (byName) return byName;
    if (!secretId.startsWith('arn:')) return undefined;
    for (const s of this.secrets.values()) if (s.arn === secretId) return s;
    const marker = ':secret:';
    const at = secretId.indexOf(marker);
    if (at < 0) return undefined;
    const partial = this.secrets.get(secretId.slice(at + marker.length));
    return partial && partial.arn.startsWith(`${secretId}-`) ? partial : undefined;
  }

  private resolve(secretId: string): SecretRecord {
    const s = this.find(secretId);
    if (!s) throw notFound(MSG_NOT_FOUND);
    return s;
  }

  /** A secret that is not scheduled for deletion. */
  private live(secretId: string): SecretRecord {
    const s = this.resolve(secretId);
    if (s.deletionDateMs !== undefined) throw invalidRequest(MSG_MARKED_FOR_DELETION);
    return s;
  }

  private purgeExpiredDeletions(): void {
    const now = this.now();
    for (const s of [...this.secrets.values()]) {
      if (s.deletionDateMs !== undefined && s.deletionDateMs <= now) this.secrets.delete(s.name);
    }
  }

  private cursor(kind: string, token: string): number {
    const seq = decodeCursor(kind, token);
    if (seq === undefined) throw new AwsServiceError('InvalidNextTokenException', 'The NextToken value is invalid.');
    return seq;
  }

  private ref(s: SecretRecord, versionId: string): JsonObject {
    return { ARN: s.arn, Name: s.name, VersionId: versionId };
  }

  private listEntry(s: SecretRecord): JsonObject {
    return this.secretFields(s, 'SecretVersionsToStages');
  }

  /** DescribeSecret and ListSecrets describe a secret alike; only the name of the stages map differs. */
  private secretFields(s: SecretRecord, stagesKey: 'VersionIdsToStages' | 'SecretVersionsToStages'): JsonObject {
    const out: JsonObject = {
      ARN: s.arn,
      Name: s.name,
      RotationEnabled: s.rotationEnabled,
      LastChangedDate: epochSeconds(s.lastChangedMs),
      CreatedDate: epochSeconds(s.createdMs),
      Tags: tagList(s.tags),
      [stagesKey]: versionsToStages(s),
    };
    if (s.description !== undefined) out.Description = s.description;
    if (s.kmsKeyId !== undefined) out.KmsKeyId = s.kmsKeyId;
    Object.assign(out, rotationFields(s));
    if (s.lastAccessedMs !== undefined) out.LastAccessedDate = epochSeconds(s.lastAccessedMs);
    if (s.deletionDateMs !== undefined) out.DeletedDate = epochSeconds(s.deletionDateMs);
    return out;
  }

  private now(): number {
    return this.options.clock.now();
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

interface SecretValue {
  secretString?: string;
  secretBinary?: string;
}

function readValue(input: Input, required: boolean): SecretValue | undefined {
  const secretString = input.optString('SecretString');
  const secretBinary = input.optString('SecretBinary');
  if (secretString !== undefined && secretBinary !== undefined) throw invalidParameter(MSG_VALUE_EXCLUSIVE);
  if (secretString === undefined && secretBinary === undefined) {
    if (required) throw invalidParameter(MSG_VALUE_EXCLUSIVE);
    return undefined;
  }
  return secretString !== undefined ? { secretString } : { secretBinary: secretBinary as string };
}

function hasValue(v: SecretVersion): boolean {
  return v.secretString !== undefined || v.secretBinary !== undefined;
}

function sameValue(v: SecretVersion, value: SecretValue): boolean {
  return v.secretString === value.secretString && v.secretBinary === value.secretBinary;
}

function optToken(input: Input): string | undefined {
  const token = input.optString('ClientRequestToken');
  if (token !== undefined && (token.length < 32 || token.length > 64)) {
    throw invalidParameter('ClientRequestToken must be 32-64 characters long.');
  }
  return token;
}

function validateName(name: string): void {
  if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
    throw invalidParameter(
      'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
    );
  }
}

function validateStages(stages: readonly string[]): void {
  if (stages.length === 0 || stages.length > 20) {
    throw invalidParameter('VersionStages must contain between 1 and 20 staging labels.');
  }
  for (const stage of stages) {
    if (stage.length < 1 || stage.length > 256) {
      throw invalidParameter('A staging label must be between 1 and 256 characters long.');
    }
  }
}

function tagList(tags: ReadonlyMap<string, string>): JsonObject[] {
  return [...tags].map(([Key, Value]) => ({ Key, Value }));
}

function versionsToStages(s: SecretRecord): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of s.versions.values()) if (v.stages.size > 0) out[v.id] = [...v.stages];
  return out;
}

function rotationFields(s: SecretRecord): JsonObject {
  const out: JsonObject = {};
  if (s.rotationLambdaArn !== undefined) out.RotationLambdaARN = s.rotationLambdaArn;
  if (s.rotationRules !== undefined) out.RotationRules = { ...s.rotationRules };
  if (s.lastRotatedMs !== undefined) out.LastRotatedDate = epochSeconds(s.lastRotatedMs);
  if (s.nextRotationMs !== undefined) out.NextRotationDate = epochSeconds(s.nextRotationMs);
  return out;
}

function readRotationRules(rules: Input | undefined): RotationRulesSnapshot | undefined {
  if (!rules) return undefined;
  const out: RotationRulesSnapshot = {};
  const days = rules.optNumber('AutomaticallyAfterDays');
  const schedule = rules.optString('ScheduleExpression');
  const duration = rules.optString('Duration');
  if (days !== undefined) {
    if (!Number.isInteger(days) || days < 1 || days > 1000) {
      throw invalidParameter('RotationRules.AutomaticallyAfterDays must be within 1-1000.');
    }
    out.AutomaticallyAfterDays = days;
  }
  if (schedule !== undefined) {
    if (days !== undefined) {
      throw invalidParameter("You can't specify both AutomaticallyAfterDays and ScheduleExpression.");
    }
    out.ScheduleExpression = schedule;
  }
  if (duration !== undefined) out.Duration = duration;
  return out;
}

/** The rotation interval, when it can be known: AutomaticallyAfterDays, or a rate() expression. */
function rotationIntervalMs(rules: RotationRulesSnapshot | undefined): number | undefined {
  if (!rules) return undefined;
  if (rules.AutomaticallyAfterDays !== undefined) return rules.AutomaticallyAfterDays * DAY_MS;
  const rate = rules.ScheduleExpression?.match(/^rate\(\s*(\d+)\s+(hours?|days?)\s*\)$/);
  if (rate?.[1] && rate[2]) return Number(rate[1]) * (rate[2].startsWith('hour') ? 3_600_000 : DAY_MS);
  return undefined; // cron() schedules: no NextRotationDate
}

const FILTER_KEYS = ['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all'];
/** Filters a ListSecrets or BatchGetSecretValue request may carry (the model's FiltersListType). */
const MAX_FILTERS = 10;

type SecretFilter = (s: SecretRecord) => boolean;

function readFilters(filters: readonly Input[] | undefined): SecretFilter[] {
  if (filters && filters.length > MAX_FILTERS) {
    throw validation(
      `1 validation error detected: Value at 'filters' failed to satisfy constraint: Member must have length less than or equal to ${MAX_FILTERS}`,
    );
  }
  return (filters ?? []).map(readFilter);
}

/**
 * One ListSecrets filter. Within a filter the values are alternatives; a value starting with `!`
 * negates. Matching follows the documentation: prefix match, case-sensitive except `description`
 * and `all`.
 */
function readFilter(filter: Input): SecretFilter {
  const key = filter.string('Key');
  if (!FILTER_KEYS.includes(key)) {
    throw validation(
      `1 validation error detected: Value '${key}' at 'filters.1.member.key' failed to satisfy constraint: ` +
        `Member must satisfy enum value set: [${FILTER_KEYS.join(', ')}]`,
    );
  }
  const values = filter.optStringList('Values') ?? [];
  if (values.length < 1 || values.length > 10) {
    throw invalidParameter('A filter must have between 1 and 10 values.');
  }
  const tests = values.map((raw) => {
    const negate = raw.startsWith('!');
    const value = negate ? raw.slice(1) : raw;
    return (s: SecretRecord): boolean => matchesFilter(key, value, s) !== negate;
  });
  return (s) => tests.some((t) => t(s));
}

function matchesFilter(key: string, value: string, s: SecretRecord): boolean {
  switch (key) {
    case 'name':
      return s.name.startsWith(value);
    case 'description':
      return (s.description ?? '').toLowerCase().startsWith(value.toLowerCase());
    case 'tag-key':
      return [...s.tags.keys()].some((k) => k.startsWith(value));
    case 'tag-value':
      return [...s.tags.values()].some((v) => v.startsWith(value));
    case 'all': {
      const haystack = [s.name, s.description ?? '', ...s.tags.keys(), ...s.tags.values()].flatMap(words);
      return words(value).some((w) => haystack.some((h) => h.startsWith(w)));
    }
    default:
      return false; // primary-region, owning-service: no replicas or managed secrets here
  }
}

/** Splits text the way the console search does: on punctuation, case changes and letter/digit changes. */
function words(text: string): string[] {
  return (text.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g) ?? []).map((w) => w.toLowerCase());
}

function snapshot(s: SecretRecord): SecretSnapshot {
  const out: SecretSnapshot = {
    arn: s.arn,
    name: s.name,
    tags: Object.fromEntries(s.tags),
    createdDate: new Date(s.createdMs),
    lastChangedDate: new Date(s.lastChangedMs),
    rotationEnabled: s.rotationEnabled,
    rotationInProgress: s.rotation !== undefined,
    versions: [...s.versions.values()].map((v) => {
      const version: SecretVersionSnapshot = {
        versionId: v.id,
        stages: [...v.stages],
        createdDate: new Date(v.createdMs),
      };
      if (v.secretString !== undefined) version.secretString = v.secretString;
      if (v.secretBinary !== undefined) version.secretBinary = v.secretBinary;
      if (v.lastAccessedMs !== undefined) version.lastAccessedDate = new Date(v.lastAccessedMs);
      return version;
    }),
  };
  if (s.description !== undefined) out.description = s.description;
  if (s.kmsKeyId !== undefined) out.kmsKeyId = s.kmsKeyId;
  if (s.lastAccessedMs !== undefined) out.lastAccessedDate = new Date(s.lastAccessedMs);
  if (s.deletionDateMs !== undefined) out.deletionDate = new Date(s.deletionDateMs);
  if (s.rotationLambdaArn !== undefined) out.rotationLambdaArn = s.rotationLambdaArn;
  if (s.rotationRules !== undefined) out.rotationRules = { ...s.rotationRules };
  if (s.lastRotatedMs !== undefined) out.lastRotatedDate = new Date(s.lastRotatedMs);
  if (s.nextRotationMs !== undefined) out.nextRotationDate = new Date(s.nextRotationMs);
  if (s.lastRotationError !== undefined) out.lastRotationError = { ...s.lastRotationError };
  return out;
}

/** The secret a request names, for the request log (never a value). */
export function secretIdOf(operation: string, body: JsonObject): string | undefined {
  const id = operation === 'CreateSecret' ? body.Name : body.SecretId;
  return typeof id === 'string' ? id : undefined;
}
