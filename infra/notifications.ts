/**
 * Where alarms go: an existing topic, and/or an email subscribed to it or to a topic created here.
 * A created topic is encrypted with a key of its own that CloudWatch (of this account) may use:
 * CloudWatch cannot publish to a topic under the AWS managed SNS key.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { PRODUCT } from '../core/names.js';

export interface AlarmTopicProps {
  readonly topic?: sns.ITopic;
  readonly email?: string;
}

/** The topic alarms go to; undefined when neither a topic nor an email is given. */
export function alarmTopic(scope: Construct, props: AlarmTopicProps): sns.ITopic | undefined {
  let topic = props.topic;
  if (!topic && props.email) {
    const topicKey = new kms.Key(scope, 'AlarmTopicKey', {
      description: `Encrypts the ${PRODUCT} alarm topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
      }),
    );
    topic = new sns.Topic(scope, 'AlarmTopic', { displayName: `${PRODUCT} alarms`, masterKey: topicKey, enforceSSL: true });
  }
  if (topic && props.email) topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  return topic;
}
