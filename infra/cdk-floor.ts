/**
 * The oldest aws-cdk-lib the construct works with, and what sets it. Found by synthesizing the
 * example app against older versions (test/package/tarball.test.ts synthesizes it against
 * AWS_CDK_LIB_FLOOR, package.json's devDependency `aws-cdk-lib-floor`, and against the latest):
 *
 *   2.168.0  lambda.Runtime.NODEJS_22_X (before it, NodejsFunction silently falls back to
 *            nodejs16.x); package.json peerDependencies says ^2.168.0
 *   2.190.0  the Distributed Map engine: sfn.S3JsonLItemReader, sfn.ResultWriterV2 and the
 *            STEPFUNCTIONS_USE_DISTRIBUTED_MAP_RESULT_WRITER_V2 flag
 *
 * Everything else the construct uses is older (the L1 CfnSchedule instead of the L2 Schedule of
 * 2.186.0, node metadata instead of Validations.acknowledge). An app forcing an older aws-cdk-lib
 * past the peer range gets an error naming the version it needs instead of a wrong template.
 */
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

export const AWS_CDK_LIB_FLOOR = '2.168.0';
export const DISTRIBUTED_MAP_CDK_FLOOR = '2.190.0';

/** Throws when aws-cdk-lib lacks what `what` needs. */
function requireCdk(present: boolean, what: string, floor: string): void {
  if (!present) throw new Error(`TokenRotation: ${what} needs aws-cdk-lib ${floor} or later; this app's aws-cdk-lib is older: upgrade it (npm install aws-cdk-lib@^${floor})`);
}

export function requireConstructCdk(): void {
  requireCdk(lambda.Runtime.NODEJS_22_X !== undefined, 'the functions (nodejs22.x)', AWS_CDK_LIB_FLOOR);
}

export function requireDistributedMapCdk(): void {
  requireCdk(typeof sfn.S3JsonLItemReader === 'function' && typeof sfn.ResultWriterV2 === 'function', "sweepEngine 'distributed-map'", DISTRIBUTED_MAP_CDK_FLOOR);
}
