/**
 * The Distributed Map engine's bucket: the list step's fleet lists under `fleet/` and the map's
 * results under `results/`. The objects hold secret ARNs and counts, never a value.
 *
 * The fleet list decides which secrets a run sweeps, so the bucket policy fences it: explicit denies
 * (which win over every allow, e.g. an administrator's s3:* on *) matched on `aws:PrincipalArn`
 * with `ArnNotEquals`, as the token secrets' write fence (write-fence.ts):
 *   - putting content under fleet/: only the fleet-list function's role;
 *   - reading fleet/: only the state machine's role (the ItemReader) and, of the holders indexes
 *     (fleet/*.holders.jsonl: token fingerprints, never a token), the map worker's role;
 *   - the map worker's role reads nothing else in the bucket;
 *   - putting content under results/: only the state machine's role (the ResultWriter).
 * Requests without a principal ARN (anonymous) are denied too. Deletes are not fenced: the
 * lifecycle rule removes every run's objects anyway, and an operator may empty the retained bucket.
 *
 * Versioning keeps what a fenced writer overwrote or deleted until the lifecycle rule removes it:
 * current versions expire after the run retention (a delete marker then makes them noncurrent),
 * noncurrent versions the same time later, and S3 removes the delete markers left with no version.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { HOLDERS_KEY_SUFFIX } from '../core/operations/holders-index.js';
import { acknowledgeFinding } from './nag.js';

/** Key prefixes in the sweep bucket: the list step writes `fleet/`, the map's ResultWriter `results/`. */
export const SWEEP_BUCKET_PREFIXES = { fleet: 'fleet', results: 'results' } as const;

/** The key pattern of the holders indexes (fleet/<execution>.holders.jsonl), the only objects the map's workers read. */
export const HOLDERS_INDEX_KEYS = `${SWEEP_BUCKET_PREFIXES.fleet}/*${HOLDERS_KEY_SUFFIX}`;

/**
 * Actions that put content into an object: PutObject (also copies and multipart uploads) and
 * ReplicateObject (a replication rule of another bucket writing into this one).
 */
export const OBJECT_WRITE_ACTIONS = ['s3:PutObject', 's3:ReplicateObject'] as const;
/** Actions that read an object: the current version, or a given one (the bucket is versioned). */
export const OBJECT_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'] as const;

/** SSE-S3, TLS 1.2 or later only, no public access, ACLs off, versioned, runs expire; retained on stack deletion. */
export function createSweepBucket(scope: Construct, runRetention: Duration): s3.Bucket {
  // SSE-S3, not the stack's key: the objects hold secret ARNs and counts, never a value, and the
  // key's grants stay with the secrets (no kms:* for Step Functions or the list function).
  const bucket = new s3.Bucket(scope, 'SweepBucket', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: true,
    lifecycleRules: [
      { id: 'ExpireRuns', expiration: runRetention, noncurrentVersionExpiration: runRetention, abortIncompleteMultipartUploadAfter: Duration.days(1) },
    ],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  acknowledgeFinding(
    bucket,
    'AwsSolutions-S1',
    'The bucket holds transient run data (fleet lists of secret ARNs, map results), written and read only by the sweep state machine and the fleet-list function, whose executions and logs record every run; an access-log bucket would be one more bucket to secure for no extra audit value (CloudTrail data events can be enabled on it if wanted).',
  );
  return bucket;
}

export interface SweepBucketFence {
  /** The fleet-list function's role: the only writer of fleet/. */
  readonly fleetWriter: iam.IRole;
  /** The state machine's role: the only reader of fleet/ and writer of results/. */
  readonly mapRole: iam.IRole;
  /** The map worker's role (the scheduled-refresh function): reads the holders indexes, nothing else. */
  readonly holdersReader: iam.IRole;
}

/** Adds the fence's deny statements to the bucket policy (next to CDK's TLS-only denies). */
export function fenceSweepBucket(bucket: s3.Bucket, fence: SweepBucketFence): void {
  const deny = (sid: string, actions: readonly string[], prefix: string, allowed: iam.IRole[]) =>
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...actions],
        resources: [bucket.arnForObjects(`${prefix}/*`)],
        // ArnNotEquals with several values: true when the principal is none of them.
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': allowed.length === 1 ? allowed[0]!.roleArn : allowed.map((r) => r.roleArn) } },
      }),
    );
  deny('OnlyTheListStepWritesFleetLists', OBJECT_WRITE_ACTIONS, SWEEP_BUCKET_PREFIXES.fleet, [fence.fleetWriter]);
  deny('OnlyTheStateMachineAndWorkersReadFleet', OBJECT_READ_ACTIONS, SWEEP_BUCKET_PREFIXES.fleet, [fence.mapRole, fence.holdersReader]);
  deny('OnlyTheStateMachineWritesResults', OBJECT_WRITE_ACTIONS, SWEEP_BUCKET_PREFIXES.results, [fence.mapRole]);
  // The worker reads the holders indexes only: every other object of the bucket is denied to it.
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'WorkersReadOnlyHoldersIndexes',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: [...OBJECT_READ_ACTIONS],
      notResources: [bucket.arnForObjects(HOLDERS_INDEX_KEYS)],
      conditions: { ArnEquals: { 'aws:PrincipalArn': fence.holdersReader.roleArn } },
    }),
  );
}
