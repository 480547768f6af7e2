/**
 * The scheduled refresh's schedule (EventBridge Scheduler) and the two failure queues: the schedule's
 * dead-letter queue and the on-demand function's asynchronous-failure destination. Both queues are
 * encrypted with the stack's key: whoever sends to them (the scheduler's role, the on-demand role:
 * Lambda delivers a failed asynchronous invocation with the function's role) gets kms:GenerateDataKey
 * and kms:Decrypt on the key through SQS only. The key policy lets IAM policies of the account grant
 * that (its root statement), so no key policy statement is added for them.
 *
 * The schedule is the L1 resource (CfnSchedule), written out: aws-cdk-lib's L2 `Schedule` exists
 * only from 2.186.0, the L1 in every version the construct supports (package.json peerDependencies).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PRODUCT } from '../core/names.js';
import { acknowledgeFinding } from './nag.js';

export function createFailureQueue(scope: Construct, id: string, key: kms.IKey): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledgeFinding(queue, 'AwsSolutions-SQS3', 'This queue is itself a dead-letter queue; its messages are inspected by the operator.');
  return queue;
}

/** Lets `grantee` send to `queue`: sqs:SendMessage, and the queue's key through SQS. */
export function grantSendToQueue(grantee: iam.IGrantable, queue: sqs.IQueue): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
  if (queue.encryptionMasterKey) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [queue.encryptionMasterKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(queue).region}.amazonaws.com` } },
      }),
    );
  }
}

export interface RefreshScheduleProps {
  /** The scheduled-refresh function, or the sweep state machine (the Distributed Map engine). */
  readonly target: lambda.IFunction | sfn.IStateMachine;
  readonly deadLetterQueue: sqs.IQueue;
  readonly rate: Duration;
  /** The event; undefined: none (the function finds the fleet itself). */
  readonly input?: Record<string, unknown>;
}

/**
 * The schedule and its role. The role may invoke only the target function (not its versions or
 * aliases), or start executions of only the target state machine, and send only to the dead-letter
 * queue; only the Scheduler of this account may assume it.
 */
export function createRefreshSchedule(scope: Construct, props: RefreshScheduleProps): scheduler.CfnSchedule {
  const { target, deadLetterQueue, input } = props;
  const stateMachine = 'stateMachineArn' in target ? target : undefined;
  const role = new iam.Role(scope, 'SchedulerRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description: stateMachine ? `EventBridge Scheduler: start the ${PRODUCT} sweep state machine` : `EventBridge Scheduler: invoke the ${PRODUCT} scheduled refresh`,
  });
  const targetArn = stateMachine ? stateMachine.stateMachineArn : (target as lambda.IFunction).functionArn;
  role.addToPolicy(new iam.PolicyStatement({ actions: [stateMachine ? 'states:StartExecution' : 'lambda:InvokeFunction'], resources: [targetArn] }));
  grantSendToQueue(role, deadLetterQueue);
  // At the path the L2 Schedule gave its resource (ScheduledRefresh/Resource), so the logical id,
  // and with it the deployed schedule, stays the same.
  return new scheduler.CfnSchedule(new Construct(scope, 'ScheduledRefresh'), 'Resource', {
    description: `Runs the ${PRODUCT} scheduled refresh`,
    scheduleExpression: events.Schedule.rate(props.rate).expressionString,
    scheduleExpressionTimezone: 'Etc/UTC',
    state: 'ENABLED',
    flexibleTimeWindow: { mode: 'OFF' },
    // A target written out rather than aws-scheduler-targets' LambdaInvoke, whose grantInvoke also
    // allows `<function-arn>:*` (and StepFunctionsStartExecution, for the same control).
    target: {
      arn: targetArn,
      roleArn: role.roleArn,
      ...(input ? { input: Stack.of(scope).toJsonString(input) } : {}),
      // A missed run is retried for up to an hour; the next run comes anyway.
      retryPolicy: { maximumRetryAttempts: 5, maximumEventAgeInSeconds: 3600 },
      deadLetterConfig: { arn: deadLetterQueue.queueArn },
    },
  });
}
