/**
 * The optional parts: VPC placement, alarm notifications (created or existing topic), an imported
 * credential secret, tracing, and the consumer grant.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TgTokenRotationStack } from '../../infra/stack.js';
import { acknowledgments, logicalId, nagViolations, resolve, roleStatements, synthesize } from './helpers.js';

const IMPORTED = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tg/prod/credentials-AbCdEf';

describe('VPC, created alarm topic, imported credential secret, tracing, consumer grant', () => {
  let stack: TgTokenRotationStack;
  let template: Template;
  let consumer: iam.Role;

  beforeAll(() => {
    ({ stack, template } = synthesize(
      {
        stackName: 'Variant',
        connections: [
          { name: 'prod', host: 'https://tg.example.com:8443', tigergraphVersion: '3', restppPort: 9443, rotationIntervalHours: 4, credentialSecretArn: IMPORTED },
          { name: 'dev', host: 'https://dev.example.com' },
        ],
        scheduleRateMinutes: 15,
        refreshBeforeSeconds: 7200,
        revokeGraceSeconds: 600,
        concurrency: 3,
        settingsParameterName: '/custom/settings',
        minSecondsToExpiryAlarmThreshold: 3600,
        alarmEmail: 'ops@example.com',
        logRetentionDays: 90,
        logLevel: 'DEBUG',
        tracing: true,
        vpc: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'] },
      },
      (s) => {
        consumer = new iam.Role(s, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
        s.rotation.grantReadToken(consumer, 'prod');
      },
    ));
  });

  it('places every function in the subnets with a security group allowing only HTTPS and the TigerGraph ports out', () => {
    const sg = resolve(stack, stack.rotation.securityGroup!.securityGroupId);
    template.allResourcesProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'], SecurityGroupIds: [sg] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      VpcId: 'vpc-0123456789abcdef0',
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [443, 8443, 9000, 9443, 14240].map((port) => ({
        CidrIp: '0.0.0.0/0',
        Description: `TCP ${port} out`,
        FromPort: port,
        IpProtocol: 'tcp',
        ToPort: port,
      })),
    });
  });

  it('adds the VPC execution managed policy (acknowledged) and X-Ray permissions (acknowledged)', () => {
    const role = template.toJSON().Resources[logicalId(stack, stack.rotation.rotationFunction.role!)];
    expect(role.Properties.ManagedPolicyArns).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole']] },
    ]);
    template.allResourcesProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    expect([...acknowledgments(stack).keys()].sort()).toEqual([
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-L1',
      'AwsSolutions-SMG4',
      'AwsSolutions-SQS3',
    ]);
    // Only the created (dev) credential secret carries the SMG4 acknowledgment.
    expect(acknowledgments(stack).get('AwsSolutions-SMG4')).toHaveLength(1);
  });

  it('passes cdk-nag with these options too', () => {
    expect(nagViolations(stack)).toEqual([]);
  });

  it('uses the imported credential secret by its complete ARN and creates none for it', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 3); // prod token, dev token, dev credentials
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'tg-token-rotation/prod/token',
      SecretString: `{"host":"https://tg.example.com:8443","tigergraphVersion":"3","restppPort":9443,"lifetimeSeconds":2592000,"credentialSecretId":"${IMPORTED}"}`,
    });
    const credentialRead = roleStatements(stack, template, stack.rotation.rotationFunction.role!).find(
      (s) => s.Action === 'secretsmanager:GetSecretValue',
    );
    expect(credentialRead).toEqual({
      Action: 'secretsmanager:GetSecretValue',
      Effect: 'Allow',
      Resource: [IMPORTED, resolve(stack, stack.rotation.connections[1]!.credentialSecret.secretArn)],
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(4 hours)' } });
  });

  it('writes the configured settings, schedule rate, log retention and level', () => {
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/custom/settings',
      Value: '{"refreshBeforeSeconds":7200,"revokeGraceSeconds":600,"concurrency":3}',
    });
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SETTINGS_PARAMETER_NAME: '/custom/settings', LOG_LEVEL: 'DEBUG' }) },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(15 minutes)' });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'MinSecondsToExpiry', Threshold: 3600, Period: 1800 });
  });

  it('creates a KMS-encrypted, SSL-only alarm topic with the email subscribed, and wires every alarm to it', () => {
    const topicRef = resolve(stack, stack.rotation.alarmTopic!.topicArn);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: topicRef });
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topicRef] });
    // The topic key lets CloudWatch (of this account) publish; it is not the secrets' key.
    template.resourceCountIs('AWS::KMS::Key', 2);
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Resource: '*',
          },
        ]),
      },
    });
  });

  it('grantReadToken: read one token secret and decrypt through Secrets Manager, nothing more', () => {
    expect(roleStatements(stack, template, consumer)).toEqual([
      {
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Effect: 'Allow',
        Resource: resolve(stack, stack.rotation.tokenSecret('prod').secretArn),
      },
      {
        Action: 'kms:Decrypt',
        Condition: {
          StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
        },
        Effect: 'Allow',
        Resource: resolve(stack, stack.rotation.key.keyArn),
      },
    ]);
    expect(() => stack.rotation.tokenSecret('nope')).toThrow('No TigerGraph connection named "nope" (have: prod, dev)');
  });
});

describe('existing alarm topic', () => {
  it('sends alarms to the given topic and creates none', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:ops-alarms';
    const { template } = synthesize({ connections: [{ name: 'prod', host: 'https://tg.example.com' }], alarmTopicArn: topicArn });
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topicArn] });
  });
});
