/**
 * TgTokenRotationStack: the TigerGraphTokenRotation construct driven by a validated config
 * (infra/config.ts), plus the outputs an operator needs after deploying.
 */
import { CfnOutput, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { TokenRotationConfig } from './config.js';
import { TigerGraphTokenRotation } from './construct.js';

export interface TgTokenRotationStackProps extends StackProps {
  /** A config validated by parseConfig/loadConfig. */
  readonly config: TokenRotationConfig;
  /** Repository root holding functions/ and package-lock.json. @default the directory above infra/ */
  readonly projectRoot?: string;
}

export class TgTokenRotationStack extends Stack {
  readonly rotation: TigerGraphTokenRotation;

  constructor(scope: Construct, id: string, props: TgTokenRotationStackProps) {
    super(scope, id, {
      description: 'tg-token-rotation: keeps TigerGraph tokens rotated in AWS Secrets Manager',
      ...props,
    });
    const { config } = props;

    let vpc: ec2.IVpc | undefined;
    let vpcSubnets: ec2.SubnetSelection | undefined;
    if (config.vpc) {
      // From attributes, not Vpc.fromLookup: synth stays offline and needs no account context.
      vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', { vpcId: config.vpc.vpcId, availabilityZones: Fn.getAzs() });
      vpcSubnets = { subnets: config.vpc.subnetIds.map((subnetId) => ec2.Subnet.fromSubnetId(this, subnetId, subnetId)) };
    }

    this.rotation = new TigerGraphTokenRotation(this, 'Rotation', {
      connections: config.connections.map((c) => ({
        name: c.name,
        host: c.host,
        tigergraphVersion: c.tigergraphVersion,
        restppPort: c.restppPort,
        gsqlPort: c.gsqlPort,
        graph: c.graph,
        lifetimeSeconds: c.lifetimeSeconds,
        rotationInterval: Duration.hours(c.rotationIntervalHours),
        credentialSecret: c.credentialSecretArn
          ? secretsmanager.Secret.fromSecretCompleteArn(this, `${c.name}CredentialSecret`, c.credentialSecretArn)
          : undefined,
      })),
      secretNamePrefix: config.secretNamePrefix,
      scheduleRate: Duration.minutes(config.scheduleRateMinutes),
      refreshBeforeSeconds: config.refreshBeforeSeconds,
      revokeGraceSeconds: config.revokeGraceSeconds,
      concurrency: config.concurrency,
      scheduledRefreshMemoryMB: config.scheduledRefreshMemoryMB,
      settingsParameterName: config.settingsParameterName,
      minSecondsToExpiryAlarmThreshold: Duration.seconds(config.minSecondsToExpiryAlarmThreshold),
      alarmTopic: config.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn) : undefined,
      alarmEmail: config.alarmEmail,
      vpc,
      vpcSubnets,
      logRetention: config.logRetentionDays as logs.RetentionDays,
      logLevel: config.logLevel,
      tracing: config.tracing,
      projectRoot: props.projectRoot,
    });

    const r = this.rotation;
    new CfnOutput(this, 'RotationFunctionName', { value: r.rotationFunction.functionName });
    new CfnOutput(this, 'ScheduledRefreshFunctionName', { value: r.scheduledRefreshFunction.functionName });
    new CfnOutput(this, 'OnDemandFunctionName', { value: r.onDemandFunction.functionName });
    new CfnOutput(this, 'SettingsParameterName', { value: r.settingsParameter.parameterName });
    for (const c of r.connections) {
      const id = c.name.replace(/[^A-Za-z0-9]/g, '');
      new CfnOutput(this, `${id}TokenSecretArn`, {
        description: `Token secret of ${c.name}: what consumers read`,
        value: c.tokenSecret.secretArn,
      });
      if (c.credentialSecretCreated) {
        new CfnOutput(this, `${id}CredentialSecretArn`, {
          description: `Credential secret of ${c.name}: set it to {"secret": "..."} before the first rotation`,
          value: c.credentialSecret.secretArn,
        });
      }
    }
  }
}
