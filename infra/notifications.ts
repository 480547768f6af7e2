/**
 * Where alarms go: an existing topic, and/or an email subscribed to it or to a topic created here.
 * Without either, the alarms notify nobody (they still show on the dashboard and in the console).
 *
 * A created topic is encrypted with a key of its own that CloudWatch (of this account) may use:
 * CloudWatch cannot publish to a topic under the AWS managed SNS key. It is TLS-only (enforceSSL),
 * which gives it a topic policy; a topic policy replaces SNS's default one (which lets the account
 * publish), and without an Allow for cloudwatch.amazonaws.com every alarm action fails with "is not
 * authorized to perform: SNS:Publish" in the alarm's history
 * (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger). So the policy
 * allows CloudWatch to publish for this account's alarms that notify it, by ARN (confused deputy).
 * A topic given by the user is left as it is: README.md says what its policy and key need.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { PRODUCT } from '../core/names.js';

export interface AlarmTopicProps {
  readonly topic?: sns.ITopic;
  readonly email?: string;
  /** The alarms that notify the topic: a created topic lets CloudWatch publish for these. */
  readonly alarms: readonly cloudwatch.IAlarm[];
}

/** The topic alarms go to; undefined when neither a topic nor an email is given. */
export function alarmTopic(scope: Construct, props: AlarmTopicProps): sns.ITopic | undefined {
  const topic = props.topic ?? (props.email ? createAlarmTopic(scope, props.alarms) : undefined);
  if (topic && props.email) topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  return topic;
}

function createAlarmTopic(scope: Construct, alarms: readonly cloudwatch.IAlarm[]): sns.Topic {
  const account = Stack.of(scope).account;
  const topicKey = new kms.Key(scope, 'AlarmTopicKey', {
    description: `Encrypts the ${PRODUCT} alarm topic`,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // Account only: naming the alarms here would make a cycle (alarm -> topic -> key -> alarm).
  topicKey.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': account } },
    }),
  );
  const topic = new sns.Topic(scope, 'AlarmTopic', { displayName: `${PRODUCT} alarms`, masterKey: topicKey, enforceSSL: true });
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': account }, ArnEquals: { 'aws:SourceArn': alarms.map((a) => a.alarmArn) } },
    }),
  );
  return topic;
}
