/**
 * Defaults of the deployment that are not shared with the functions (those are in core/: settings,
 * names, bounds). The JSON config (config.ts) and the construct (construct.ts) both use these, so
 * a config that leaves a field out deploys what a construct user who leaves the prop out gets.
 */
import { Duration } from 'aws-cdk-lib';
import { METRICS_NAMESPACE } from '../core/names.js';

export const DEPLOYMENT_DEFAULTS = {
  /** How often the scheduled refresh runs. */
  scheduleRate: Duration.hours(1),
  /** How often Secrets Manager rotates a token. */
  rotationInterval: Duration.days(7),
  /** The MinSecondsToExpiry alarm's threshold. */
  minSecondsToExpiryAlarmThreshold: Duration.days(1),
  /** The credential-age alarm's threshold: a credential secret unchanged this long (issue 22). */
  credentialMaxAge: Duration.days(365),
  /** Memory of the scheduled refresh (CPU-bound in the AWS SDK: bench/RESULTS.md). */
  scheduledRefreshMemoryMB: 1024,
  /** Memory of every other function. */
  functionMemoryMB: 256,
  logRetentionDays: 30,
  logLevel: 'INFO',
  /** The CloudFormation stack of the CDK app (infra/app.ts): the product's PascalCase name, as its metrics namespace. */
  stackName: METRICS_NAMESPACE,
} as const;
