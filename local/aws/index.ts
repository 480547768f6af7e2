/**
 * A local, in-memory endpoint compatible with AWS Secrets Manager and SSM Parameter Store (and a
 * sliver of CloudFormation and of EventBridge), for running the project without an AWS account. It is a real HTTP
 * server speaking the AWS JSON 1.1 protocol, so the unmodified AWS SDK v3 clients and the AWS CLI
 * (`--endpoint-url`) talk to it. Both services answer on the same URL (they are told apart by
 * `X-Amz-Target`: `secretsmanager.<Operation>` / `AmazonSSM.<Operation>`), so `AWS_ENDPOINT_URL`
 * covers both. CloudFormation answers there too (the Query protocol: form-encoded POSTs), with
 * `DescribeStackResource` from a registry tests set, and receives custom resource answers (PUT):
 * see cloudformation.ts and `cloudFormation` below.
 *
 *   const aws = await startLocalAws({ rotationInvoker: (event) => handler(event) });
 *   const sm = new SecretsManagerClient({ endpoint: aws.url, region: 'us-east-1',
 *     credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
 *
 * Implemented. Secrets Manager: CreateSecret, DescribeSecret, GetSecretValue, BatchGetSecretValue,
 * PutSecretValue, UpdateSecret, UpdateSecretVersionStage, ListSecrets, ListSecretVersionIds,
 * TagResource, UntagResource, DeleteSecret, RestoreSecret, RotateSecret, CancelRotateSecret. SSM:
 * GetParameter, GetParameters, GetParametersByPath, PutParameter, DeleteParameter. CloudFormation:
 * DescribeStackResource, and the custom resource answer PUT. EventBridge: PutEvents (target
 * `AWSEvents.PutEvents`), kept for `events()` (eventbridge.ts). Anything else answers
 * `UnknownOperationException` (`InvalidAction` for a Query request).
 *
 * Where it differs from the real services:
 * - Authentication: any SigV4 signature and any credentials are accepted; nothing is authorized
 *   or denied (no IAM, no resource policies, no KMS: KmsKeyId is stored and echoed only).
 * - One region and account (options `region`, `accountId`); secret ARNs are
 *   `arn:aws:secretsmanager:<region>:<account>:secret:<Name>-<6 random chars>`. No replication.
 * - Rotation, option `rotation` (settable at run time with `setRotationMode`):
 *   - `'async'` behaves like AWS, which invokes the rotation Lambda asynchronously: RotateSecret
 *     creates the AWSPENDING version (no value), answers at once, and the `rotationInvoker` then
 *     runs createSecret, setSecret, testSecret and finishSecret in order, in the background.
 *     `rotationsSettled(secretId?)` resolves once background rotations (of one secret, or all)
 *     have finished; await it before asserting on a rotation's outcome or closing the endpoint.
 *   - `'sync'` (the default for now) awaits the four steps before answering, so a rotation has
 *     finished when RotateSecret returns.
 *   In both modes a step that throws skips the remaining steps, the failure is recorded
 *   (`lastRotationError`) and AWSPENDING stays where it is; RotateSecret answers success, as AWS
 *   does, unless `rotateSecretErrorsPropagate` is set and the mode is `sync` (then it answers
 *   InvalidRequestException; in `async` mode the answer has gone before any step runs). While the
 *   steps run, and while AWSPENDING is left on a version other than AWSCURRENT, any other
 *   RotateSecret is refused with "A previous rotation isn't complete". AWS retries a failed
 *   rotation by itself; here nothing is retried automatically. Instead, a RotateSecret whose
 *   ClientRequestToken is the VersionId that holds the dangling AWSPENDING runs the four steps
 *   again for that version. With no invoker configured, RotateSecret only creates the AWSPENDING
 *   version. Repeating a RotateSecret with the ClientRequestToken of a rotation that completed
 *   answers the same VersionId without rotating again. The invoker also receives
 *   `{rotationLambdaArn, secretName}` so one invoker can stand in for several functions. Success
 *   means the four steps returned; the endpoint does not check where the rotation function left
 *   the labels. CancelRotateSecret during a rotation stops it before its next step (recorded as a
 *   failure of that step). Rotation never starts by itself on a schedule: NextRotationDate is
 *   informational (LastRotatedDate + AutomaticallyAfterDays or a rate() expression; none for
 *   cron()).
 * - RotateImmediately=false runs only testSecret against a temporary AWSPENDING version, removed
 *   afterwards (as documented), and answers without a VersionId (in the background in `async`).
 * - UpdateSecretVersionStage refuses to remove AWSCURRENT without moving it (MoveToVersionId), so
 *   a secret that has a value always has a current version.
 * - Versions: at most 100 are kept; the oldest deprecated (label-less) ones are removed beyond
 *   that, without AWS's 24-hour grace for recent versions.
 * - Deletion: a secret scheduled for deletion is removed once the clock passes its DeletionDate
 *   (checked on each request); ForceDeleteWithoutRecovery removes it at once, also when already
 *   scheduled.
 * - ListSecrets: filters follow the documented prefix/case rules; `all` is an approximation of
 *   the console's word search; primary-region and owning-service match nothing. Sorted by
 *   creation (SortOrder asc, the default here, or desc); SortBy is ignored. NextToken is opaque
 *   and stays valid while secrets come and go. Each entry carries SecretVersionsToStages (labelled
 *   versions only) and Tags.
 * - GetSecretValue with a VersionId and a VersionStage that is not on that version answers
 *   InvalidRequestException "You provided a VersionStage that is not associated to the provided
 *   VersionId." (AWS's wording, as reproduced with the CLI in getmoto/moto#5238; the API reference
 *   only says the two must name the same version).
 * - BatchGetSecretValue: SecretIdList (1-20 ids) or Filters (ListSecrets filters, paged by
 *   MaxResults 1-20 and NextToken; secrets scheduled for deletion are not listed), not both. Each
 *   secret is read as GetSecretValue reads AWSCURRENT (LastAccessedDate included); one that
 *   cannot be read (not found, marked for deletion, no current value) goes to Errors with the
 *   error GetSecretValue would have answered, and the call still succeeds. The call fails only for
 *   a bad request: a length or range outside the model's (ValidationException); both or neither
 *   of SecretIdList and Filters, or MaxResults with SecretIdList (InvalidParameterException,
 *   locally worded); a NextToken not from this endpoint (InvalidNextTokenException; SecretIdList
 *   mode never hands one out). Duplicate ids are read once each time they appear.
 * - Tags (CreateSecret, TagResource): keys 1-128 and values 0-256 Unicode characters, refused
 *   beyond that with ValidationException (the model's limits); only letters, digits, spaces and
 *   `_ . : / = + - @`, and no `aws:` prefix, refused with InvalidParameterException. AWS documents
 *   the character set in its general tagging rules, to which TagResource defers, but not which
 *   error Secrets Manager answers for it: the endpoint is meant to be at least as strict. At most
 *   50 tags per secret; a refused TagResource changes nothing.
 * - Quotas, option `quotas` (off by default; `setQuotas` at run time): per-second request quotas
 *   grouped as Secrets Manager documents them (quotas.ts lists the groups, the defaults and where
 *   the documentation could not be confirmed: CreateSecret, DeleteSecret and ListSecretVersionIds
 *   are taken as 50/s each; GetSecretValue and DescribeSecret as 10,000/s combined). A request
 *   beyond its group's quota answers ThrottlingException (HTTP 400, "Rate exceeded"), as AWS does.
 *   Token buckets over real time; AWS's exact algorithm and burst allowance are not documented.
 *   The rotation function's own calls count too, as they would on AWS. SSM has no quotas here.
 * - LastAccessedDate is the UTC day of the last GetSecretValue, as AWS reports it.
 * - Error messages mirror AWS's where known; a few are worded locally. Model validation is partial
 *   (the fields this project uses). Errors use `message` (not `Message`), which the SDK accepts.
 * - SSM: Standard tier only; a SecureString read without WithDecryption returns an opaque
 *   stand-in for the ciphertext; no labels, policies, history or tag operations.
 * - Extras for tests: a request log (never holding a secret value; entries are appended when a
 *   request is answered, so in `sync` mode the calls a rotation makes precede the RotateSecret that
 *   awaited them; throttled requests carry `throttled: true`), counters per operation
 *   (`operationCounters`, for achieved rates and throttle counts), fault injection (throttling,
 *   scripted failures), and direct inspection of the stored state.
 * - `GET /` and `GET /health` answer `{"status":"ok"}` for readiness checks.
 */
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../core/clock.js';
import { FaultInjector, type FaultConfig } from './faults.js';
import { createAwsHttpServer, type RequestLogEntry, type ServiceName } from './http.js';
import { OperationCounters, type OperationCounts } from './counters.js';
import { QuotaLimiter, type QuotaOptions } from './quotas.js';
import {
  SecretsManagerStore,
  type RotationFailure,
  type RotationInvoker,
  type RotationMode,
  type SecretSnapshot,
} from './secrets-manager.js';
import { SsmStore, type ParameterSnapshot } from './ssm.js';
import { CloudFormationStore } from './cloudformation.js';
import { EventBridgeStore, type ReceivedEvent } from './eventbridge.js';

export type { FaultConfig } from './faults.js';
export type { RequestLogEntry, ServiceName } from './http.js';
export type { OperationCounts } from './counters.js';
export { DEFAULT_QUOTAS, QUOTA_GROUP_OF, type QuotaGroup, type QuotaOptions } from './quotas.js';
export type {
  RotationEvent,
  RotationFailure,
  RotationInvocationContext,
  RotationInvoker,
  RotationMode,
  RotationRulesSnapshot,
  RotationStep,
  SecretSnapshot,
  SecretVersionSnapshot,
} from './secrets-manager.js';
export type { ParameterSnapshot, ParameterType } from './ssm.js';
export type {
  CustomResourceAnswer,
  CustomResourceRequest,
  CustomResourceRequestType,
  ResourceStatus,
  StackResourceSnapshot,
} from './cloudformation.js';
export { CUSTOM_RESOURCE_ANSWER } from './http.js';
export type { ReceivedEvent } from './eventbridge.js';

export interface LocalAwsOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Source of every date the services report (CreatedDate, LastRotatedDate, ...). Default: system clock. */
  clock?: Clock;
  /** Runs the rotation steps RotateSecret starts, in place of the rotation Lambda. */
  rotationInvoker?: RotationInvoker;
  /**
   * `'async'`: RotateSecret answers once AWSPENDING exists and the steps run afterwards, as on AWS
   * (await `rotationsSettled`). `'sync'`: RotateSecret answers after the steps. Default `'async'`.
   */
  rotation?: RotationMode;
  /**
   * When true, RotateSecret answers InvalidRequestException if a rotation step fails (`sync`
   * mode only). Default false.
   */
  rotateSecretErrorsPropagate?: boolean;
  /**
   * Per-second request quotas as AWS applies them (true: AWS's defaults; an object: overrides, a
   * shorter window for tests). Default off.
   */
  quotas?: QuotaOptions | boolean;
  /** Default `us-east-1`. */
  region?: string;
  /** Default `000000000000`. */
  accountId?: string;
}

export interface LocalAws {
  /** `http://127.0.0.1:<port>`: the endpoint for both Secrets Manager and SSM. */
  readonly url: string;
  readonly port: number;
  /** Stops the server and drops open connections. Safe to call more than once. */
  close(): Promise<void>;
  /** Every request answered so far, in order of completion. Holds no secret or parameter value. */
  readonly requestLog: readonly RequestLogEntry[];
  /** Empties the request log and resets the operation counters. */
  resetRequestLog(): void;
  /**
   * Requests answered per operation since the start (or the last resetRequestLog): totals,
   * throttled ones, and the real time of the first and last, for achieved rates.
   */
  operationCounters(): Record<string, OperationCounts>;
  /** Number of logged requests, or of those for one operation (e.g. `'GetSecretValue'`). */
  countCalls(operation?: string, service?: ServiceName): number;
  /** Replaces the fault configuration; `setFaults({})` turns faults off. */
  setFaults(config: FaultConfig): void;
  /** Sets or clears (undefined) the invoker used by later RotateSecret calls. */
  setRotationInvoker(invoker: RotationInvoker | undefined): void;
  /** Sets the mode of later RotateSecret calls; rotations already running are not affected. */
  setRotationMode(mode: RotationMode): void;
  /**
   * Resolves once the background rotations (`async` mode) of one secret (name or ARN), or of all
   * secrets, have finished, including rotations started while waiting.
   */
  rotationsSettled(secretId?: string): Promise<void>;
  /** Turns quotas on (true: AWS's defaults; an object: overrides) or off (false), with full buckets. */
  setQuotas(quotas: QuotaOptions | boolean): void;
  /** Why the last rotation of a secret (name or ARN) failed; undefined if it succeeded or never ran. */
  lastRotationError(secretId: string): RotationFailure | undefined;
  /** The stored state of a secret (name or ARN), values included, for test assertions. */
  inspectSecret(secretId: string): SecretSnapshot | undefined;
  /** All stored secrets, including those scheduled for deletion. */
  inspectSecrets(): SecretSnapshot[];
  /** The current version of an SSM parameter. */
  inspectParameter(name: string): ParameterSnapshot | undefined;
  /**
   * The CloudFormation registry: stacks and resources for DescribeStackResource, the requests
   * CloudFormation would send a custom resource, and the answers PUT back (cloudformation.ts).
   */
  readonly cloudFormation: Pick<CloudFormationStore, 'createStack' | 'setResource' | 'inspectResource' | 'request' | 'answers'>;
  /** The events PutEvents accepted, oldest first (eventbridge.ts). */
  events(): readonly ReceivedEvent[];
  /** Forgets the events received so far. */
  clearEvents(): void;
  /** Lets PutEvents name another bus than `default`. */
  createEventBus(name: string): void;
}

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const clock = options.clock ?? systemClock;
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  let invoker: RotationInvoker | undefined = options.rotationInvoker;
  let rotationMode: RotationMode = checkRotationMode(options.rotation ?? 'async');
  let quotas = quotaLimiter(options.quotas ?? false);
  const log: RequestLogEntry[] = [];
  const counters = new OperationCounters();
  const faults = new FaultInjector();
  const secretsManager = new SecretsManagerStore({
    clock,
    region,
    accountId,
    rotationInvoker: () => invoker,
    rotationMode: () => rotationMode,
    rotateSecretErrorsPropagate: options.rotateSecretErrorsPropagate ?? false,
  });
  const ssm = new SsmStore({ clock, region, accountId });
  const cloudFormation = new CloudFormationStore({ clock, region, accountId });
  const eventBridge = new EventBridgeStore({ clock, region, accountId });
  const server = createAwsHttpServer({
    secretsManager,
    ssm,
    cloudFormation,
    eventBridge,
    faults,
    quotas: () => quotas,
    log: (entry) => {
      log.push(entry);
      counters.record(entry);
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
    requestLog: log,
    resetRequestLog: () => {
      log.length = 0;
      counters.reset();
    },
    operationCounters: () => counters.snapshot(),
    countCalls: (operation, service) =>
      log.filter((e) => (operation === undefined || e.operation === operation) && (service === undefined || e.service === service))
        .length,
    setFaults: (config) => faults.set(config),
    setRotationInvoker: (next) => {
      invoker = next;
    },
    setRotationMode: (mode) => {
      rotationMode = checkRotationMode(mode);
    },
    rotationsSettled: (secretId) => secretsManager.rotationsSettled(secretId),
    setQuotas: (next) => {
      quotas = quotaLimiter(next);
    },
    lastRotationError: (secretId) => secretsManager.lastRotationError(secretId),
    inspectSecret: (secretId) => secretsManager.inspect(secretId),
    inspectSecrets: () => secretsManager.inspectAll(),
    inspectParameter: (name) => ssm.inspect(name),
    cloudFormation,
    events: () => eventBridge.events(),
    clearEvents: () => eventBridge.clear(),
    createEventBus: (name) => eventBridge.createEventBus(name),
  };
}

function checkRotationMode(mode: RotationMode): RotationMode {
  if (mode !== 'sync' && mode !== 'async') throw new RangeError(`rotation must be 'sync' or 'async', not ${String(mode)}`);
  return mode;
}

function quotaLimiter(quotas: QuotaOptions | boolean): QuotaLimiter | undefined {
  if (quotas === false) return undefined;
  return new QuotaLimiter(quotas === true ? {} : quotas);
}
