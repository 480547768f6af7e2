/**
 * A local, in-memory endpoint compatible with AWS Secrets Manager and SSM Parameter Store, for
 * running the project without an AWS account. It is a real HTTP server speaking the AWS JSON 1.1
 * protocol, so the unmodified AWS SDK v3 clients and the AWS CLI (`--endpoint-url`) talk to it.
 * Both services answer on the same URL (they are told apart by `X-Amz-Target`:
 * `secretsmanager.<Operation>` / `AmazonSSM.<Operation>`), so `AWS_ENDPOINT_URL` covers both.
 *
 *   const aws = await startLocalAws({ rotationInvoker: (event) => handler(event) });
 *   const sm = new SecretsManagerClient({ endpoint: aws.url, region: 'us-east-1',
 *     credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
 *
 * Implemented. Secrets Manager: CreateSecret, DescribeSecret, GetSecretValue, PutSecretValue,
 * UpdateSecret, UpdateSecretVersionStage, ListSecrets, ListSecretVersionIds, TagResource,
 * UntagResource, DeleteSecret, RestoreSecret, RotateSecret, CancelRotateSecret. SSM: GetParameter,
 * GetParameters, GetParametersByPath, PutParameter, DeleteParameter. Anything else answers
 * `UnknownOperationException`.
 *
 * Where it differs from the real services:
 * - Authentication: any SigV4 signature and any credentials are accepted; nothing is authorized
 *   or denied (no IAM, no resource policies, no KMS: KmsKeyId is stored and echoed only).
 * - One region and account (options `region`, `accountId`); secret ARNs are
 *   `arn:aws:secretsmanager:<region>:<account>:secret:<Name>-<6 random chars>`. No replication.
 * - Rotation: the real service invokes the rotation Lambda asynchronously and RotateSecret answers
 *   at once. Here RotateSecret creates the AWSPENDING version (no value) and then awaits the
 *   `rotationInvoker` for createSecret, setSecret, testSecret and finishSecret, in order, before
 *   answering. If a step throws, the remaining steps are skipped, the failure is recorded
 *   (`lastRotationError`) and AWSPENDING stays where it is; RotateSecret still answers success, as
 *   AWS does, unless `rotateSecretErrorsPropagate` is set (then it answers InvalidRequestException).
 *   AWS retries a failed rotation by itself; here nothing is retried automatically. Instead, a
 *   RotateSecret whose ClientRequestToken is the VersionId that holds the dangling AWSPENDING runs
 *   the four steps again for that version; any other RotateSecret is refused with "A previous
 *   rotation isn't complete" while AWSPENDING is on a version other than AWSCURRENT. With no
 *   invoker configured, RotateSecret only creates the AWSPENDING version. Repeating a RotateSecret
 *   with the ClientRequestToken of a rotation that completed answers the same VersionId without
 *   rotating again. The invoker also receives `{rotationLambdaArn, secretName}` so one invoker can
 *   stand in for several functions. Success means the four steps returned; the endpoint does
 *   not check where the rotation function left the labels. CancelRotateSecret during an
 *   in-process rotation stops it before its next step (recorded as a failure of that step).
 *   Rotation never starts by itself on a schedule: NextRotationDate is informational
 *   (LastRotatedDate + AutomaticallyAfterDays or a rate() expression; none for cron()).
 * - RotateImmediately=false runs only testSecret against a temporary AWSPENDING version, removed
 *   afterwards (as documented), and answers without a VersionId.
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
 *   and stays valid while secrets come and go.
 * - GetSecretValue with a VersionId and a VersionStage that is not on that version answers
 *   ResourceNotFoundException.
 * - LastAccessedDate is the UTC day of the last GetSecretValue, as AWS reports it.
 * - Error messages mirror AWS's where known; a few are worded locally. Model validation is partial
 *   (the fields this project uses). Errors use `message` (not `Message`), which the SDK accepts.
 * - SSM: Standard tier only; a SecureString read without WithDecryption returns an opaque
 *   stand-in for the ciphertext; no labels, policies, history or tag operations.
 * - Extras for tests: a request log (never holding a secret value; entries are appended when a
 *   request is answered, so the calls a rotation makes precede the RotateSecret that awaited them),
 *   fault injection (throttling, scripted failures), and direct inspection of the stored state.
 * - `GET /` and `GET /health` answer `{"status":"ok"}` for readiness checks.
 */
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../core/clock.js';
import { FaultInjector, type FaultConfig } from './faults.js';
import { createAwsHttpServer, type RequestLogEntry, type ServiceName } from './http.js';
import {
  SecretsManagerStore,
  type RotationFailure,
  type RotationInvoker,
  type SecretSnapshot,
} from './secrets-manager.js';
import { SsmStore, type ParameterSnapshot } from './ssm.js';

export type { FaultConfig } from './faults.js';
export type { RequestLogEntry, ServiceName } from './http.js';
export type {
  RotationEvent,
  RotationFailure,
  RotationInvocationContext,
  RotationInvoker,
  RotationRulesSnapshot,
  RotationStep,
  SecretSnapshot,
  SecretVersionSnapshot,
} from './secrets-manager.js';
export type { ParameterSnapshot, ParameterType } from './ssm.js';

export interface LocalAwsOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Source of every date the services report (CreatedDate, LastRotatedDate, ...). Default: system clock. */
  clock?: Clock;
  /** Runs the rotation steps RotateSecret starts, in place of the rotation Lambda. */
  rotationInvoker?: RotationInvoker;
  /** When true, RotateSecret answers InvalidRequestException if a rotation step fails. Default false. */
  rotateSecretErrorsPropagate?: boolean;
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
  resetRequestLog(): void;
  /** Number of logged requests, or of those for one operation (e.g. `'GetSecretValue'`). */
  countCalls(operation?: string, service?: ServiceName): number;
  /** Replaces the fault configuration; `setFaults({})` turns faults off. */
  setFaults(config: FaultConfig): void;
  /** Sets or clears (undefined) the invoker used by later RotateSecret calls. */
  setRotationInvoker(invoker: RotationInvoker | undefined): void;
  /** Why the last rotation of a secret (name or ARN) failed; undefined if it succeeded or never ran. */
  lastRotationError(secretId: string): RotationFailure | undefined;
  /** The stored state of a secret (name or ARN), values included, for test assertions. */
  inspectSecret(secretId: string): SecretSnapshot | undefined;
  /** All stored secrets, including those scheduled for deletion. */
  inspectSecrets(): SecretSnapshot[];
  /** The current version of an SSM parameter. */
  inspectParameter(name: string): ParameterSnapshot | undefined;
}

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const clock = options.clock ?? systemClock;
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  let invoker: RotationInvoker | undefined = options.rotationInvoker;
  const log: RequestLogEntry[] = [];
  const faults = new FaultInjector();
  const secretsManager = new SecretsManagerStore({
    clock,
    region,
    accountId,
    rotationInvoker: () => invoker,
    rotateSecretErrorsPropagate: options.rotateSecretErrorsPropagate ?? false,
  });
  const ssm = new SsmStore({ clock, region, accountId });
  const server = createAwsHttpServer({ secretsManager, ssm, faults, log: (entry) => log.push(entry) });

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
    },
    countCalls: (operation, service) =>
      log.filter((e) => (operation === undefined || e.operation === operation) && (service === undefined || e.service === service))
        .length,
    setFaults: (config) => faults.set(config),
    setRotationInvoker: (next) => {
      invoker = next;
    },
    lastRotationError: (secretId) => secretsManager.lastRotationError(secretId),
    inspectSecret: (secretId) => secretsManager.inspect(secretId),
    inspectSecrets: () => secretsManager.inspectAll(),
    inspectParameter: (name) => ssm.inspect(name),
  };
}
