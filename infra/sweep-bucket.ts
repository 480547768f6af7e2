/**
 * The Distributed Map engine's bucket: the list step's fleet lists under `fleet/` and the map's
 * results under `results/`. The objects hold secret ARNs and counts, never a value.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** Key prefixes in the sweep bucket: the list step writes `fleet/`, the map's ResultWriter `results/`. */
export const SWEEP_BUCKET_PREFIXES = { fleet: 'fleet', results: 'results' } as const;

/** SSE-S3, TLS 1.2 or later only, no public access, ACLs off, runs expire; retained on stack deletion. */
export function createSweepBucket(scope: Construct, runRetention: Duration): s3.Bucket {
  // SSE-S3, not the stack's key: the objects hold secret ARNs and counts, never a value, and the
  // key's grants stay with the secrets (no kms:* for Step Functions or the list function).
  const bucket = new s3.Bucket(scope, 'SweepBucket', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [{ id: 'ExpireRuns', expiration: runRetention, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'The bucket holds transient run data (fleet lists of secret ARNs, map results), written and read only by the sweep state machine and the fleet-list function, whose executions and logs record every run; an access-log bucket would be one more bucket to secure for no extra audit value (CloudTrail data events can be enabled on it if wanted).',
  });
  return bucket;
}
