/**
 * The sweep state machine's definition (Amazon States Language, JSONPath), built with aws-cdk-lib's
 * Step Functions constructs: ListFleet (LambdaInvoke) -> AnythingToSweep (Choice) -> SweepBatches
 * (DistributedMap: S3JsonLItemReader, ItemBatcher, ResultWriterV2) running SweepBatch (LambdaInvoke)
 * on each batch, or NothingToSweep (Succeed). sweep-engine.ts describes the run.
 *
 * The definition is rendered here from its own StateGraph and handed to the state machine as a
 * string. Bound to a StateMachine instead, the states would offer it IAM of their own: the
 * ItemReader's and ResultWriter's s3 actions on the whole bucket, lambda:InvokeFunction on every
 * version of the functions, and a DistributedMapPolicy (start, describe, stop and redrive
 * executions) created under the state machine even when its role takes no policy updates. None of
 * that is wanted: sweep-engine.ts writes every statement out.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
// A namespace import: a named import of a flag an older aws-cdk-lib lacks would fail loading the construct (package.json peerDependencies).
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { SWEEP_BUCKET_PREFIXES } from './sweep-bucket.js';

/** The states' names, for tests and the docs. */
export const SWEEP_STATES = { list: 'ListFleet', choice: 'AnythingToSweep', nothing: 'NothingToSweep', map: 'SweepBatches', worker: 'SweepBatch' } as const;

export interface SweepDefinitionProps {
  readonly listFunction: lambda.IFunction;
  /** The scheduled-refresh function. */
  readonly workerFunction: lambda.IFunction;
  readonly bucket: s3.IBucket;
  readonly batchSize: number;
  readonly toleratedFailurePercentage: number;
}

/** Errors of the Lambda service itself (not of the function): retried with backoff. */
const LAMBDA_SERVICE_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

/** Only the service's errors: a worker that fails counts against the map's tolerance instead. */
const LAMBDA_RETRY: sfn.RetryProps = { errors: LAMBDA_SERVICE_ERRORS, interval: Duration.seconds(2), maxAttempts: 6, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL };

export interface SweepDefinitionBodyProps extends SweepDefinitionProps {
  readonly comment: string;
  /** The whole execution's limit (TimeoutSeconds). */
  readonly timeout: Duration;
}

/** The definition, as the state machine's DefinitionBody (a string with the template's references). */
export function sweepDefinitionBody(scope: Construct, props: SweepDefinitionBodyProps): sfn.DefinitionBody {
  const graph = new sfn.StateGraph(sweepStates(scope, props).startState, 'Sweep state machine');
  graph.timeout = props.timeout;
  return sfn.DefinitionBody.fromString(Stack.of(scope).toJsonString({ ...graph.toGraphJson(), Comment: props.comment }));
}

/** The states, in a construct of their own under `scope` (id `SweepDefinition`). */
function sweepStates(scope: Construct, props: SweepDefinitionProps): sfn.IChainable {
  const states = new Construct(scope, 'SweepDefinition');
  // ResultWriterV2 renders only with this flag; set here, before any state exists, it holds for these states only.
  states.node.setContext(cxapi.STEPFUNCTIONS_USE_DISTRIBUTED_MAP_RESULT_WRITER_V2, true);
  const S = SWEEP_STATES;
  const map = sweepBatches(states, props).itemProcessor(sweepBatch(states, props.workerFunction));
  const choice = new sfn.Choice(states, S.choice)
    .when(sfn.Condition.numberGreaterThan('$.count', 0), map)
    .otherwise(new sfn.Succeed(states, S.nothing, { comment: 'No managed secret' }));
  return listFleet(states, props).next(choice);
}

/** Lists the managed secrets to fleet/<execution name>.jsonl (and their holders index beside it); its output is the fleet-list function's `{bucket, key, count, plan, holders}`. */
function listFleet(scope: Construct, props: SweepDefinitionProps): sfn.TaskStateBase {
  return new tasks.LambdaInvoke(scope, SWEEP_STATES.list, {
    comment: 'The managed secrets as JSON Lines, and the plan: batch size, MaxConcurrency, the share of the budgets each worker gets',
    lambdaFunction: props.listFunction,
    payload: sfn.TaskInput.fromObject({
      bucket: props.bucket.bucketName,
      key: sfn.JsonPath.format(`${SWEEP_BUCKET_PREFIXES.fleet}/{}.jsonl`, sfn.JsonPath.executionName),
      batchSize: props.batchSize,
    }),
    outputPath: '$.Payload',
    retryOnServiceExceptions: false,
  }).addRetry(LAMBDA_RETRY);
}

/** The Distributed Map over the fleet list; batch size, concurrency and each worker's shares all come from the list step's plan. */
function sweepBatches(scope: Construct, props: SweepDefinitionProps): sfn.DistributedMap {
  return new sfn.DistributedMap(scope, SWEEP_STATES.map, {
    comment: 'Batches of ids to the scheduled-refresh function, each with its share of the write and rotation budgets',
    label: SWEEP_STATES.map,
    itemReader: new sfn.S3JsonLItemReader({ bucket: props.bucket, key: sfn.JsonPath.stringAt('$.key') }),
    itemBatcher: new sfn.ItemBatcher({
      maxItemsPerBatchPath: '$.plan.batchSize',
      batchInput: {
        'writesPerSecond.$': '$.plan.perWorker.writesPerSecond',
        'rotationsPerSecond.$': '$.plan.perWorker.rotationsPerSecond',
        'batchGetPerSecond.$': '$.plan.perWorker.batchGetPerSecond',
        // Where the list step's holders index is: the worker reads it (its role may read only such
        // objects), never a presigned URL, which would put a credential in the execution's data.
        holders: { 'bucket.$': '$.holders.bucket', 'key.$': '$.holders.key' },
      },
    }),
    // The plan's, so that concurrency times each worker's share is the settings' budget.
    maxConcurrencyPath: '$.plan.maxConcurrency',
    toleratedFailurePercentage: props.toleratedFailurePercentage,
    mapExecutionType: sfn.StateMachineType.STANDARD,
    resultWriterV2: new sfn.ResultWriterV2({ bucket: props.bucket, prefix: SWEEP_BUCKET_PREFIXES.results }),
    resultPath: '$.results',
  });
}

/** One batch: the scheduled-refresh function with `{"Items": [...], "BatchInput": {...}}` as its event. */
function sweepBatch(scope: Construct, workerFunction: lambda.IFunction): sfn.TaskStateBase {
  const payload = (field: string) => sfn.JsonPath.numberAt(`$.Payload.${field}`);
  return new tasks.LambdaInvoke(scope, SWEEP_STATES.worker, {
    lambdaFunction: workerFunction,
    payload: sfn.TaskInput.fromJsonPathAt('$'),
    // Counts only: the failed secrets are in the worker's logs and the Failures metric.
    resultSelector: {
      checked: payload('checked'),
      refreshed: payload('refreshed'),
      rotated: payload('rotated'),
      revoked: payload('revoked'),
      expiring: payload('expiring'),
      skipped: payload('skipped'),
      revokeFailures: payload('revokeFailures'),
      failures: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt('$.Payload.failed')),
    },
    retryOnServiceExceptions: false,
  }).addRetry(LAMBDA_RETRY);
}
