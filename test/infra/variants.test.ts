/**
 * The optional parts: VPC placement (IPv4 and IPv6 egress), alarm notifications (created or existing
 * topic), an imported credential secret with its own KMS key, tracing, discovery by tag, the
 * deployment roles of the write fence, and the consumer grant; each environment-agnostic and in a
 * concrete account and region (test/infra/helpers.ts ENVIRONMENTS).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Aws, CliCredentialsStackSynthesizer, type CfnResource, type Environment, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../core/names.js';
import { parseConfig } from '../../infra/config.js';
import { TgTokenRotationStack } from '../../infra/stack.js';
import {
  acknowledgedAt,
  acknowledgments,
  documentedPolicyRows,
  ENVIRONMENTS,
  logicalId,
  nagViolations,
  resolve,
  roleActions,
  roleStatements,
  REPO_ROOT,
  synthesize,
  SYNTH_TIMEOUT_MS,
  templatePolicyRows,
  TEST_ACCOUNT,
  TEST_REGION,
} from './helpers.js';

const SECURITY_MD = readFileSync(path.join(REPO_ROOT, 'SECURITY.md'), 'utf8');

const IMPORTED = `arn:aws:secretsmanager:${TEST_REGION}:${TEST_ACCOUNT}:secret:tg/prod/credentials-AbCdEf`;
const IMPORTED_KEY = `arn:aws:kms:${TEST_REGION}:${TEST_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
/** The condition of a grant through Secrets Manager, with the stack's region as the template holds it. */
const viaSecretsManager = (stack: Stack, arns: unknown[]) => ({
  StringEquals: {
    'kms:ViaService': resolve(stack, `secretsmanager.${stack.region}.amazonaws.com`),
    'kms:EncryptionContext:SecretARN': arns,
  },
});

describe.each(ENVIRONMENTS)('%s', (_name, env: Environment | undefined) => {
  describe('VPC with IPv6, created alarm topic, imported credential secret and key, tracing, source maps, tag discovery, consumer grant', () => {
    let stack: TgTokenRotationStack;
    let template: Template;
    let consumer: iam.Role;
    let fns: () => TgTokenRotationStack['rotation']['rotationFunction'][];

    beforeAll(() => {
      ({ stack, template } = synthesize(
        {
          stackName: 'Variant',
          connections: [
            {
              name: 'prod',
              host: 'https://tg.example.com:8443',
              tigergraphVersion: '3',
              restppPort: 9443,
              rotationIntervalHours: 4,
              credentialSecretArn: IMPORTED,
              credentialSecretKmsKeyArn: IMPORTED_KEY,
            },
            { name: 'dev', host: 'https://dev.example.com' },
            { name: 'lab', provider: 'ica', host: 'https://ica.example.com:8444', lifetimeSeconds: 43200, rotationIntervalHours: 8 },
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
          sourceMaps: true,
          discoverSecretsByTag: true,
          vpc: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'], ipv6Egress: true },
        },
        {
          ...(env ? { env } : {}),
          extend: (s) => {
            consumer = new iam.Role(s, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
            s.rotation.grantReadToken(consumer, 'prod');
          },
        },
      ));
      const r = stack.rotation;
      fns = () => [r.rotationFunction, r.scheduledRefreshFunction, r.onDemandFunction, r.connectionSettingsFunction];
    }, SYNTH_TIMEOUT_MS);

    it('places every function in the subnets with a security group allowing out only the ports in use, IPv4 and IPv6', () => {
      const sg = resolve(stack, stack.rotation.securityGroup!.securityGroupId);
      template.allResourcesProperties('AWS::Lambda::Function', {
        VpcConfig: { SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'], SecurityGroupIds: [sg] },
      });
      // 443 for the AWS APIs; prod (3.x, host port 8443, REST++ 9443); dev (auto: 9000 on 3.x, 14240); lab (ICA on the host's port).
      const ports = [443, 8443, 8444, 9000, 9443, 14240];
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        VpcId: 'vpc-0123456789abcdef0',
        SecurityGroupIngress: Match.absent(),
        SecurityGroupEgress: ports.flatMap((port) => [
          { CidrIp: '0.0.0.0/0', Description: `TCP ${port} out`, FromPort: port, IpProtocol: 'tcp', ToPort: port },
          { CidrIpv6: '::/0', Description: `TCP ${port} out (IPv6)`, FromPort: port, IpProtocol: 'tcp', ToPort: port },
        ]),
      });
    });

    it('gives the functions the network-interface actions inline instead of AWSLambdaVPCAccessExecutionRole (no logs on *)', () => {
      for (const fn of fns()) {
        const role = template.toJSON().Resources[logicalId(stack, fn.role!)];
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
        expect(roleStatements(stack, template, fn.role!)).toContainEqual({
          Action: [
            'ec2:AssignPrivateIpAddresses',
            'ec2:CreateNetworkInterface',
            'ec2:DeleteNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:UnassignPrivateIpAddresses',
          ],
          Effect: 'Allow',
          Resource: '*',
        });
        expect(roleActions(stack, template, fn.role!).filter((a) => a.startsWith('logs:'))).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      }
    });

    it('acknowledges every wildcard per role, with the reason for each (network interfaces, X-Ray, batch reads, ListSecrets)', () => {
      template.allResourcesProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
      const acks = acknowledgments(stack);
      expect([...acks.keys()].sort()).toEqual(['AwsSolutions-IAM5[Resource::*]', 'AwsSolutions-L1', 'AwsSolutions-SMG4', 'AwsSolutions-SQS3']);
      expect(acknowledgedAt(stack, 'AwsSolutions-IAM5[Resource::*]').sort()).toEqual(
        ['ConnectionSettingsRole', 'OnDemandRole', 'RotationRole', 'ScheduledRefreshRole'].map((r) => `Test/Rotation/${r}`),
      );
      const reasons = acks.get('AwsSolutions-IAM5[Resource::*]')!;
      expect(reasons.every((reason) => reason.includes('ec2:DescribeNetworkInterfaces') && reason.includes('X-Ray'))).toBe(true);
      expect(reasons.filter((reason) => reason.includes('ListSecrets') && reason.includes('BatchGetSecretValue'))).toHaveLength(4);
      // Only the created (dev, lab) credential secrets carry the SMG4 acknowledgment.
      expect(acks.get('AwsSolutions-SMG4')).toHaveLength(2);
    });

    it('passes cdk-nag with these options too', () => {
      expect(nagViolations(stack)).toEqual([]);
    });

    it('finds the fleet by tag: ListSecrets on * for the four fleet readers, FLEET_DISCOVERY=tag, no ids in the environment or the schedule', () => {
      const r = stack.rotation;
      for (const fn of [r.scheduledRefreshFunction, r.onDemandFunction, r.rotationFunction, r.connectionSettingsFunction]) {
        expect(roleStatements(stack, template, fn.role!)).toContainEqual({ Action: 'secretsmanager:ListSecrets', Effect: 'Allow', Resource: '*' });
      }
      for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
        const vars = fn.Properties.Environment.Variables as Record<string, unknown>;
        expect(vars[ENV.FLEET_DISCOVERY]).toBe('tag');
        // Only the secrets under the stack's name prefix, in its account and region, are acted on.
        expect(vars[ENV.OWNED_SECRET_NAME_PREFIX]).toBe('tg-token-rotation/');
        expect(vars[ENV.MANAGED_SECRET_IDS]).toBeUndefined();
        expect(vars[ENV.LOCAL_RUN]).toBeUndefined();
      }
      template.hasResourceProperties('AWS::Scheduler::Schedule', { Target: { Input: Match.absent() } });
    });

    it('lets Secrets Manager invoke the rotation function only for secrets under the name prefix (tag discovery: one permission, ArnLike)', () => {
      template.resourceCountIs('AWS::Lambda::Permission', 1);
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'secretsmanager.amazonaws.com',
        SourceAccount: resolve(stack, stack.account),
        SourceArn: resolve(stack, `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:tg-token-rotation/*`),
      });
    });

    it('binds the imported credential by its complete ARN and the created ones by name, each to its own origins', () => {
      const values = Object.values(template.findResources('AWS::Lambda::Function')).map((fn) => fn.Properties.Environment.Variables[ENV.CREDENTIAL_BINDINGS] as unknown);
      expect(new Set(values.map((v) => JSON.stringify(v))).size).toBe(1);
      const bindings = JSON.parse(values[0] as string) as unknown;
      expect(bindings).toEqual([
        // 3.x with an explicit REST++ port: REST++ on 9443 at the root, GSQL on the host's port.
        { credential: IMPORTED, origins: ['https://tg.example.com:9443', 'https://tg.example.com:8443'], tokenSecrets: ['tg-token-rotation/prod/token'] },
        // "auto": both versions' origins (3.x REST++ on 9000; GSQL and 4.x REST++ on 14240).
        { credential: 'tg-token-rotation/dev/credentials', origins: ['https://dev.example.com:9000', 'https://dev.example.com:14240'], tokenSecrets: ['tg-token-rotation/dev/token'] },
        { credential: 'tg-token-rotation/lab/credentials', origins: ['https://ica.example.com:8444/ica/rest'], tokenSecrets: ['tg-token-rotation/lab/token'] },
      ]);
    });

    it('uses the imported credential secret by its complete ARN, decrypts it with its own key for that secret only, and creates none for it', () => {
      template.resourceCountIs('AWS::SecretsManager::Secret', 5); // three tokens, dev and lab credentials
      const r = stack.rotation;
      template.hasResourceProperties('Custom::TokenSecretSettings', {
        SecretId: resolve(stack, r.tokenSecret('prod').secretArn),
        Settings: JSON.stringify({ provider: 'tigergraph', host: 'https://tg.example.com:8443', tigergraphVersion: '3', restppPort: 9443, lifetimeSeconds: 2592000, credentialSecretId: IMPORTED }),
      });
      const created = r.connections.filter((c) => c.credentialSecretCreated).map((c) => resolve(stack, c.credentialSecret.secretArn));
      const tokens = r.connections.map((c) => resolve(stack, c.tokenSecret.secretArn));
      for (const fn of fns()) {
        const statements = roleStatements(stack, template, fn.role!);
        expect(statements).toContainEqual({ Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Effect: 'Allow', Resource: [IMPORTED, ...created] });
        expect(statements).toContainEqual({ Action: 'kms:Decrypt', Condition: viaSecretsManager(stack, [IMPORTED]), Effect: 'Allow', Resource: IMPORTED_KEY });
        // The stack's key: the token secrets and the credential secrets it encrypts, not the imported one.
        expect(statements).toContainEqual({
          Action: 'kms:Decrypt',
          Condition: viaSecretsManager(stack, [...tokens, ...created]),
          Effect: 'Allow',
          Resource: resolve(stack, r.key.keyArn),
        });
      }
      template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(4 hours)' } });
    });

    it('writes the configured settings, schedule rate, log retention and level', () => {
      template.hasResourceProperties('AWS::SSM::Parameter', {
        Name: '/custom/settings',
        Value: '{"refreshBeforeSeconds":7200,"revokeGraceSeconds":600,"concurrency":3,"sweepIntervalSeconds":900}',
      });
      template.allResourcesProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ SETTINGS_PARAMETER_NAME: '/custom/settings', LOG_LEVEL: 'DEBUG' }) },
      });
      template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(15 minutes)' });
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'MinSecondsToExpiry', Threshold: 3600, Period: 1800 });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'RevokeFailures', Period: 1800 });
    });

    it('creates a KMS-encrypted, SSL-only alarm topic with the email subscribed, and wires every alarm to it', () => {
      const topicRef = resolve(stack, stack.rotation.alarmTopic!.topicArn);
      template.resourceCountIs('AWS::SNS::Topic', 1);
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
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
              Condition: { StringEquals: { 'aws:SourceAccount': resolve(stack, stack.account) } },
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Resource: '*',
            },
          ]),
        },
      });
    });

    it('lets CloudWatch publish to the created topic for this account’s alarms that notify it, by ARN, and nothing else; TLS only', () => {
      // The topic policy replaces SNS's default one: without this Allow every alarm action fails
      // ("is not authorized to perform: SNS:Publish"), and nobody hears of any alarm.
      const topicRef = resolve(stack, stack.rotation.alarmTopic!.topicArn);
      const notifying = Object.entries(template.findResources('AWS::CloudWatch::Alarm'))
        .filter(([, alarm]) => JSON.stringify(alarm.Properties.AlarmActions).includes(JSON.stringify(topicRef)))
        .map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
      expect(notifying.length).toBe(stack.rotation.alarms.length);
      const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
      expect(policies).toHaveLength(1);
      expect(policies[0]!.Properties.Topics).toEqual([topicRef]);
      expect(policies[0]!.Properties.PolicyDocument.Statement).toEqual([
        { Sid: 'AllowPublishThroughSSLOnly', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Effect: 'Deny', Principal: '*', Resource: topicRef },
        {
          Sid: 'CloudWatchAlarmsPublish',
          Action: 'sns:Publish',
          Condition: { StringEquals: { 'aws:SourceAccount': resolve(stack, stack.account) }, ArnEquals: { 'aws:SourceArn': notifying } },
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Resource: topicRef,
        },
      ]);
    });

    it('SECURITY.md lists the alarm topic policy statement by statement', () => {
      const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
      const topicId = (resolve(stack, stack.rotation.alarmTopic!.topicArn) as { Ref: string }).Ref;
      expect(documentedPolicyRows(SECURITY_MD, 'alarm topic', [])).toEqual(templatePolicyRows(policy!.Properties.PolicyDocument.Statement, { [topicId]: 'topic' }));
    });

    it('sourceMaps: every function runs with NODE_OPTIONS=--enable-source-maps (its map is deployed: synth.test.ts, test/package)', () => {
      for (const fn of fns()) {
        const [, props] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id === stack.getLogicalId(fn.node.defaultChild as CfnResource))!;
        expect(props.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
      }
    });

    it('grantReadToken: read one token secret and decrypt through Secrets Manager for that secret only, nothing more', () => {
      const prod = resolve(stack, stack.rotation.tokenSecret('prod').secretArn);
      expect(roleStatements(stack, template, consumer)).toEqual([
        { Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Effect: 'Allow', Resource: prod },
        { Action: 'kms:Decrypt', Condition: viaSecretsManager(stack, [prod]), Effect: 'Allow', Resource: resolve(stack, stack.rotation.key.keyArn) },
      ]);
      expect(() => stack.rotation.tokenSecret('nope')).toThrow('No connection named "nope" (have: prod, dev, lab)');
    });
  });

  describe('existing alarm topic', () => {
    it('sends alarms to the given topic and creates none', { timeout: SYNTH_TIMEOUT_MS }, () => {
      const topicArn = `arn:aws:sns:${TEST_REGION}:${TEST_ACCOUNT}:ops-alarms`;
      const { template } = synthesize({ connections: [{ name: 'prod', host: 'https://tg.example.com' }], alarmTopicArn: topicArn }, env ? { env } : {});
      template.resourceCountIs('AWS::SNS::Topic', 0);
      template.resourceCountIs('AWS::SNS::Subscription', 0);
      // The user's topic keeps its own policy (README.md: it must let CloudWatch publish).
      template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
      template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topicArn] });
    });

    it('without alarmEmail or alarmTopicArn, no alarm has an action: nobody is notified', { timeout: SYNTH_TIMEOUT_MS }, () => {
      const { template } = synthesize({ connections: [{ name: 'prod', host: 'https://tg.example.com' }] }, env ? { env } : {});
      template.resourceCountIs('AWS::SNS::Topic', 0);
      expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThan(0);
      template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.absent() });
    });
  });

  describe('the write fence and the roles CloudFormation deploys with', () => {
    /** The resolved statements of a token secret's resource policy, without synthesizing the app. */
    const fence = (stack: TgTokenRotationStack, secret: secretsmanager.ISecret) =>
      (stack.resolve((secret.node.findChild('Policy') as secretsmanager.ResourcePolicy).document.toJSON()) as { Statement: Array<Record<string, unknown>> }).Statement;
    const build = (config: Record<string, unknown>, synthesizer?: CliCredentialsStackSynthesizer) =>
      new TgTokenRotationStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test', {
        config: parseConfig({ connections: [{ name: 'prod', host: 'https://tg.example.com' }], ...config }),
        ...(env ? { env } : {}),
        ...(synthesizer ? { synthesizer } : {}),
      });

    it('lets the configured deployment roles reconfigure (never write) the token secret', () => {
      const roles = [`arn:aws:iam::${TEST_ACCOUNT}:role/pipeline-cfn`, `arn:aws:iam::${TEST_ACCOUNT}:role/break-glass`];
      const stack = build({ deploymentRoleArns: roles });
      const [values, config] = fence(stack, stack.rotation.tokenSecret('prod'));
      const writers = [stack.rotation.rotationFunction, stack.rotation.scheduledRefreshFunction, stack.rotation.onDemandFunction, stack.rotation.connectionSettingsFunction].map(
        (fn) => stack.resolve(fn.role!.roleArn),
      );
      expect(values!.Condition).toEqual({ ArnNotEquals: { 'aws:PrincipalArn': writers } });
      expect(config!.Condition).toEqual({ ArnNotEquals: { 'aws:PrincipalArn': [...writers, ...roles] } });
    });

    it('without a known deployment role (another synthesizer), lets through what CloudFormation does with the deployer’s credentials', () => {
      const stack = build({}, new CliCredentialsStackSynthesizer());
      const [, config] = fence(stack, stack.rotation.tokenSecret('prod'));
      expect(config!.Condition).toMatchObject({
        'ForAllValues:StringNotEquals': { 'aws:CalledVia': ['cloudformation.amazonaws.com'] },
      });
    });
  });
});
