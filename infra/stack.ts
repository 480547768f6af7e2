/**
 * TgTokenRotationStack: the TokenRotation construct driven by a validated config (infra/config.ts),
 * plus the outputs an operator needs after deploying.
 */
import { CfnOutput, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { PRODUCT } from '../core/names.js';
import { checkEnvironment, type TokenRotationConfig } from './config.js';
import { TokenRotation, type ConnectionProps, type TokenRotationProps } from './construct.js';
import { knownEnvironment } from './rules.js';
import { credentialShapes } from './providers.js';

export interface TgTokenRotationStackProps extends StackProps {
  /** A config validated by parseConfig/loadConfig. */
  readonly config: TokenRotationConfig;
  /** Repository root holding functions/ and package-lock.json. @default the directory above infra/ */
  readonly projectRoot?: string;
}

export class TgTokenRotationStack extends Stack {
  readonly rotation: TokenRotation;

  constructor(scope: Construct, id: string, props: TgTokenRotationStackProps) {
    super(scope, id, {
      description: `${PRODUCT}: keeps API tokens (TigerGraph, Trifacta, ICA) rotated in AWS Secrets Manager`,
      ...props,
    });
    // ARNs in another account or region than the stack's, where the stack's environment is known.
    checkEnvironment(props.config, knownEnvironment(this));
    this.rotation = new TokenRotation(this, 'Rotation', this.rotationProps(props.config, props.projectRoot));
    this.addOutputs();
  }

  /** The construct's props the config stands for: it is their serialised form, already checked by the construct's rules. */
  private rotationProps(config: TokenRotationConfig, projectRoot: string | undefined): TokenRotationProps {
    return {
      // The config passed the construct's own rules (parseConfig): its provider fields are the props'.
      connections: config.connections.map(({ rotationIntervalHours, credentialSecretArn, credentialSecretKmsKeyArn, ...c }): ConnectionProps => ({
        ...(c as Omit<ConnectionProps, 'rotationInterval' | 'credentialSecret' | 'credentialSecretKey'>),
        rotationInterval: rotationIntervalHours !== undefined ? Duration.hours(rotationIntervalHours) : undefined,
        credentialSecret: credentialSecretArn ? secretsmanager.Secret.fromSecretCompleteArn(this, `${c.name}CredentialSecret`, credentialSecretArn) : undefined,
        credentialSecretKey: credentialSecretKmsKeyArn ? kms.Key.fromKeyArn(this, `${c.name}CredentialSecretKey`, credentialSecretKmsKeyArn) : undefined,
      })),
      secretNamePrefix: config.secretNamePrefix,
      scheduleRate: Duration.minutes(config.scheduleRateMinutes),
      refreshBeforeSeconds: config.refreshBeforeSeconds,
      revokeGraceSeconds: config.revokeGraceSeconds,
      concurrency: config.concurrency,
      scheduledRefreshMemoryMB: config.scheduledRefreshMemoryMB,
      settingsParameterName: config.settingsParameterName,
      minSecondsToExpiryAlarmThreshold: Duration.seconds(config.minSecondsToExpiryAlarmThreshold),
      credentialMaxAge: Duration.days(config.credentialMaxAgeDays),
      alarmTopic: config.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn) : undefined,
      alarmEmail: config.alarmEmail,
      ...this.network(config),
      ipv6Egress: config.vpc?.ipv6Egress,
      logRetention: config.logRetentionDays as logs.RetentionDays,
      logLevel: config.logLevel,
      tracing: config.tracing,
      discoverSecretsByTag: config.discoverSecretsByTag,
      deploymentRoleArns: config.deploymentRoleArns,
      projectRoot,
      sweepEngine: config.sweepEngine,
      ...(config.distributedMap
        ? {
            distributedMap: {
              batchSize: config.distributedMap.batchSize,
              toleratedFailurePercentage: config.distributedMap.toleratedFailurePercentage,
              runRetention: Duration.days(config.distributedMap.runRetentionDays),
            },
          }
        : {}),
    };
  }

  /** The VPC and subnets of the config, from attributes (not Vpc.fromLookup: synth stays offline and needs no account context). */
  private network(config: TokenRotationConfig): Pick<TokenRotationProps, 'vpc' | 'vpcSubnets'> {
    if (!config.vpc) return {};
    return {
      vpc: ec2.Vpc.fromVpcAttributes(this, 'Vpc', { vpcId: config.vpc.vpcId, availabilityZones: Fn.getAzs() }),
      vpcSubnets: { subnets: config.vpc.subnetIds.map((subnetId) => ec2.Subnet.fromSubnetId(this, subnetId, subnetId)) },
    };
  }

  /** What an operator needs after deploying: the functions, the parameter, the dashboard and each connection's secrets. */
  private addOutputs(): void {
    const r = this.rotation;
    new CfnOutput(this, 'RotationFunctionName', { value: r.rotationFunction.functionName });
    new CfnOutput(this, 'ScheduledRefreshFunctionName', { value: r.scheduledRefreshFunction.functionName });
    new CfnOutput(this, 'OnDemandFunctionName', { value: r.onDemandFunction.functionName });
    new CfnOutput(this, 'SettingsParameterName', { value: r.settingsParameter.parameterName });
    new CfnOutput(this, 'DashboardName', { value: r.dashboard.dashboardName });
    if (r.sweepMap) {
      new CfnOutput(this, 'SweepStateMachineArn', { description: 'The sweep (Distributed Map): one execution per scheduled run', value: r.sweepMap.stateMachine.stateMachineArn });
      new CfnOutput(this, 'SweepBucketName', { description: 'Fleet lists (fleet/) and map results (results/) of the sweep runs', value: r.sweepMap.bucket.bucketName });
    }
    for (const c of r.connections) {
      const id = c.name.replace(/[^A-Za-z0-9]/g, '');
      new CfnOutput(this, `${id}TokenSecretArn`, {
        description: `Token secret of ${c.name}: what consumers read`,
        value: c.tokenSecret.secretArn,
      });
      if (c.credentialSecretCreated) {
        new CfnOutput(this, `${id}CredentialSecretArn`, {
          description: `Credential secret of ${c.name}: set it to ${credentialShapes(c.provider).join(' or ')} before the first rotation`,
          value: c.credentialSecret.secretArn,
        });
      }
    }
  }
}
