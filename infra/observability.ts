/**
 * What operators watch: a CloudWatch dashboard of the fleet, built from the EMF metrics the
 * functions publish (functions/scheduled-refresh/handler.ts, functions/rotation/handler.ts), and the
 * alarms, each linking to the dashboard.
 */
import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, serviceName, type FunctionName } from '../core/names.js';

/** The metrics of the dashboard: name as published, publishing function, statistic. */
export const FLEET_METRICS = {
  MinSecondsToExpiry: { fn: 'scheduled-refresh', statistic: 'Minimum' },
  TokensRotated: { fn: 'scheduled-refresh', statistic: 'Sum' },
  TokensRefreshed: { fn: 'scheduled-refresh', statistic: 'Sum' },
  TokensRevoked: { fn: 'scheduled-refresh', statistic: 'Sum' },
  TokensExpiring: { fn: 'scheduled-refresh', statistic: 'Maximum' },
  Failures: { fn: 'scheduled-refresh', statistic: 'Sum' },
  RevokeFailures: { fn: 'scheduled-refresh', statistic: 'Sum' },
  RotationFailures: { fn: 'rotation', statistic: 'Sum' },
  Throttles: { fn: 'scheduled-refresh', statistic: 'Sum' },
  SweepDuration: { fn: 'scheduled-refresh', statistic: 'Maximum' },
  SecretsChecked: { fn: 'scheduled-refresh', statistic: 'Maximum' },
  SecretsSkipped: { fn: 'scheduled-refresh', statistic: 'Maximum' },
  /** Days since the oldest credential secret last changed (issue 22; per credential: CredentialAgeDays with a `credential` dimension). */
  OldestCredentialAgeDays: { fn: 'scheduled-refresh', statistic: 'Maximum' },
} as const satisfies Record<string, { fn: FunctionName; statistic: string }>;

export type FleetMetricName = keyof typeof FLEET_METRICS;

/**
 * With the Distributed Map engine a run publishes one datapoint per batch, not one per run: the
 * per-run counts are then sums over the batches (Maximum would show the largest batch). The others
 * hold as they are: Minimum, Sum, and SweepDuration's Maximum (now the slowest batch; the whole
 * run is the state machine's ExecutionTime).
 */
export const MAP_STATISTICS: Partial<Record<FleetMetricName, string>> = {
  SecretsChecked: 'Sum',
  SecretsSkipped: 'Sum',
  TokensExpiring: 'Sum',
};

export function fleetMetric(name: FleetMetricName, period: Duration, statistic: string = FLEET_METRICS[name].statistic): cloudwatch.Metric {
  return fleetMetricOf(name, period, statistic);
}

function fleetMetricOf(name: FleetMetricName, period: Duration, statistic: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: serviceName(FLEET_METRICS[name].fn) },
    statistic,
    period,
    ...(statistic === FLEET_METRICS[name].statistic ? {} : { label: `${name} (${statistic})` }),
  });
}

export interface DashboardProps {
  /** One datapoint per scheduled run, ideally: the schedule's rate (at least a minute). */
  readonly period: Duration;
  /** Drawn on the time-to-expiry graph. */
  readonly minSecondsToExpiryThreshold: number;
  /** Drawn on the credential-age graph. */
  readonly credentialMaxAgeDays: number;
  /** The Distributed Map engine's state machine: per-run counts summed over batches, and its executions. */
  readonly sweepStateMachine?: sfn.IStateMachine;
}

export function createDashboard(scope: Construct, props: DashboardProps): cloudwatch.Dashboard {
  const p = props.period;
  const map = props.sweepStateMachine;
  const fleetMetric = (name: FleetMetricName, period: Duration, statistic?: string) =>
    fleetMetricOf(name, period, statistic ?? (map ? MAP_STATISTICS[name] : undefined) ?? FLEET_METRICS[name].statistic);
  const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
    new cloudwatch.GraphWidget({ title, left, width: 12, height: 6, ...extra });
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', { defaultInterval: Duration.days(7) });
  dashboard.addWidgets(
    graph('Tokens by time to expiry: the soonest-expiring token (seconds left)', [fleetMetric('MinSecondsToExpiry', p)], {
      leftAnnotations: [{ value: props.minSecondsToExpiryThreshold, label: 'alarm threshold', color: cloudwatch.Color.RED }],
      leftYAxis: { min: 0 },
    }),
    graph('Rotations, refreshes and revokes', [fleetMetric('TokensRotated', p), fleetMetric('TokensRefreshed', p), fleetMetric('TokensRevoked', p)], {
      right: [fleetMetric('TokensExpiring', p)],
    }),
  );
  dashboard.addWidgets(
    graph('Failures', [fleetMetric('Failures', p), fleetMetric('RevokeFailures', p), fleetMetric('RotationFailures', p)]),
    graph('Secrets Manager throttles (the sweep waited for its write budget)', [fleetMetric('Throttles', p)]),
  );
  dashboard.addWidgets(
    graph(map ? 'Sweep duration per batch (ms)' : 'Sweep duration (ms)', [fleetMetric('SweepDuration', p), fleetMetric('SweepDuration', p, 'Average')]),
    graph('Sweep coverage: secrets checked and skipped per run', [fleetMetric('SecretsChecked', p), fleetMetric('SecretsSkipped', p)]),
  );
  dashboard.addWidgets(
    graph('Credential secrets: days since the oldest last changed', [fleetMetric('OldestCredentialAgeDays', p)], {
      leftAnnotations: [{ value: props.credentialMaxAgeDays, label: 'alarm threshold', color: cloudwatch.Color.RED }],
      leftYAxis: { min: 0 },
    }),
  );
  if (map) {
    const executions = (metric: cloudwatch.Metric) => metric.with({ period: p, statistic: 'Sum' });
    dashboard.addWidgets(
      graph('Sweep state machine: executions', [
        executions(map.metricSucceeded()),
        executions(map.metricFailed()),
        executions(map.metricTimedOut()),
        executions(map.metricAborted()),
      ]),
      graph('Sweep state machine: execution time (ms), the whole run', [map.metricTime({ period: p, statistic: 'Maximum' })]),
    );
  }
  return dashboard;
}

/** The console URL of `dashboard`, for alarm descriptions. */
export function dashboardUrl(dashboard: cloudwatch.Dashboard): string {
  return `https://console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${dashboard.dashboardName}`;
}

export interface AlarmsProps {
  readonly scheduledRefreshFunction: lambda.IFunction;
  /** Covers at least two scheduled runs, so one late run is not a missing datapoint. */
  readonly refreshPeriod: Duration;
  readonly minSecondsToExpiryThreshold: number;
  /** Alarm when a credential secret has not changed for this many days (issue 22). */
  readonly credentialMaxAgeDays: number;
  readonly scheduleDeadLetterQueue: sqs.IQueue;
  readonly onDemandFailureQueue: sqs.IQueue;
  readonly dashboardUrl: string;
  /** The Distributed Map engine's state machine: alarm on failed or timed-out executions. */
  readonly sweepStateMachine?: sfn.IStateMachine;
}

/** The soonest expiry below the threshold, or no report at all. */
function expiryAlarm(scope: Construct, props: AlarmsProps): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, 'MinSecondsToExpiryAlarm', {
    alarmDescription: `The soonest-expiring managed token has less than ${props.minSecondsToExpiryThreshold} s left, or the scheduled refresh stopped reporting. Dashboard: ${props.dashboardUrl}`,
    metric: fleetMetric('MinSecondsToExpiry', props.refreshPeriod, 'Minimum'),
    threshold: props.minSecondsToExpiryThreshold,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    // Missing data is breaching: no datapoint means the scheduled refresh is not running (or has no
    // token to report, e.g. credentials never filled in), and then nobody watches expiry.
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  });
}

export function createAlarms(scope: Construct, props: AlarmsProps): cloudwatch.Alarm[] {
  const alarms: cloudwatch.Alarm[] = [];
  const atLeastOne = (id: string, description: string, metric: cloudwatch.IMetric) => {
    alarms.push(
      new cloudwatch.Alarm(scope, id, {
        alarmDescription: `${description}. Dashboard: ${props.dashboardUrl}`,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  };
  // RotationFailures, not the function's Errors: a credential secret not filled in yet (a fresh
  // deploy) fails the rotation too, and is counted apart by the rotation function. Over the
  // refresh period (two scheduled runs), like the sweep's failures: a rotation that fails again at
  // every sweep's re-drive keeps the alarm in ALARM instead of clearing it five minutes after each
  // failure (issue 22: only the first failure was noticed).
  atLeastOne(
    'RotationErrorsAlarm',
    'A rotation step failed for a reason other than a credential secret not filled in yet (AWSCURRENT is unchanged)',
    fleetMetric('RotationFailures', props.refreshPeriod, 'Sum'),
  );
  atLeastOne(
    'ScheduledRefreshErrorsAlarm',
    'The scheduled refresh function itself failed (crashed or timed out)',
    props.scheduledRefreshFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
  );
  atLeastOne(
    'ScheduledRefreshFailuresAlarm',
    'The scheduled refresh could not refresh, rotate or revoke at least one token',
    fleetMetric('Failures', props.refreshPeriod, 'Sum'),
  );
  atLeastOne(
    'RevokeFailuresAlarm',
    'The scheduled refresh could not revoke at least one replaced token at its server (it stays valid until it expires; the sweep retries)',
    fleetMetric('RevokeFailures', props.refreshPeriod, 'Sum'),
  );
  alarms.push(expiryAlarm(scope, props));
  // Issue 22: the product never rotates a credential secret; this says when one is old.
  alarms.push(
    new cloudwatch.Alarm(scope, 'CredentialAgeAlarm', {
      alarmDescription: `A credential secret (an API key, a password, a TigerGraph secret) has not changed for ${props.credentialMaxAgeDays} days or more: rotate it at its source and update the secret; on-demand status (credential.ageDays) and the CredentialAgeDays metric say which. Dashboard: ${props.dashboardUrl}`,
      metric: fleetMetric('OldestCredentialAgeDays', props.refreshPeriod, 'Maximum'),
      threshold: props.credentialMaxAgeDays,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );
  const queueAlarm = (id: string, queue: sqs.IQueue, what: string) =>
    atLeastOne(id, `${what} (inspect the queue's messages)`, queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }));
  queueAlarm('ScheduleDeadLetterAlarm', props.scheduleDeadLetterQueue, 'EventBridge Scheduler could not invoke the scheduled refresh');
  queueAlarm('OnDemandFailureAlarm', props.onDemandFailureQueue, 'An asynchronous on-demand invocation failed');
  const map = props.sweepStateMachine;
  if (map) {
    const period = Duration.minutes(5);
    atLeastOne(
      'SweepExecutionsFailedAlarm',
      'A sweep (Distributed Map state machine) execution failed or timed out: the list step failed, more batches failed than tolerated, or the sweep did not finish within one schedule period (see the execution and the map run)',
      new cloudwatch.MathExpression({
        label: 'Failed or timed-out sweep executions',
        expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: { failed: map.metricFailed({ period, statistic: 'Sum' }), timedOut: map.metricTimedOut({ period, statistic: 'Sum' }) },
        period,
      }),
    );
  }
  return alarms;
}
