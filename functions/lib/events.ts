/**
 * The functions' side of change events (core/events.ts): PutEvents on the bus the deploy named
 * (ENV.EVENT_BUS). A put that fails, or an entry EventBridge refuses, is logged and counted (the
 * `ChangeEventsNotDelivered` metric), never thrown: an event is a report of a change that has
 * happened, and must not undo or fail it.
 *
 * PutEvents is one signed awsJson1_1 call (`AWSEvents.PutEvents`) on the Secrets Manager client's
 * stack (signed-request.ts), not @aws-sdk/client-eventbridge: that client was 15.8 kB of each of
 * rotation, scheduled-refresh and on-demand for this one call (bench/RESULTS.md section 1).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import { putEventsEntry, type ChangeEvent, type ChangeEventSink } from '../../core/events.js';
import { ENV, METRICS_NAMESPACE, serviceName, type FunctionName } from '../../core/names.js';
import { secretsManagerClient } from './runtime.js';
import { awsJsonRequest, type AwsClientStack, type RetryOptions } from './signed-request.js';

/** The metric a delivery failure adds to (one per event not delivered). */
export const EVENTS_NOT_DELIVERED_METRIC = 'ChangeEventsNotDelivered';

/** What the sink counts with: Powertools' Metrics, or a test's stand-in. */
export interface FailureCounter {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): unknown;
  publishStoredMetrics(): void;
}

interface PutEventsOutput {
  FailedEntryCount?: number;
  Entries?: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }>;
}

export class EventBridgeSink implements ChangeEventSink {
  /** Events not delivered by this sink (also published as EVENTS_NOT_DELIVERED_METRIC). */
  failures = 0;

  constructor(
    private readonly client: AwsClientStack,
    private readonly eventBusName: string,
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly counter: FailureCounter,
    private readonly retry?: RetryOptions,
  ) {}

  async put(event: ChangeEvent): Promise<void> {
    try {
      const entry = putEventsEntry(event, this.eventBusName);
      const { body } = await awsJsonRequest(
        this.client,
        // awsJson1_1 timestamps are epoch seconds.
        { service: 'events', serviceId: 'EventBridge', target: 'AWSEvents.PutEvents', input: { Entries: [{ ...entry, Time: entry.Time.getTime() / 1000 }] } },
        this.retry,
      );
      const out = JSON.parse(body) as PutEventsOutput;
      const refused = out.Entries?.find((e) => e.ErrorCode);
      if ((out.FailedEntryCount ?? 0) > 0 || refused) throw new Error(`${refused?.ErrorCode ?? 'FailedEntry'}: ${refused?.ErrorMessage ?? 'EventBridge did not accept the event'}`);
    } catch (e) {
      this.failures++;
      this.logger.warn('change event not delivered', {
        detailType: event.detailType,
        secretArn: event.detail.secretArn,
        eventBus: this.eventBusName,
        error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
      });
      this.counter.addMetric(EVENTS_NOT_DELIVERED_METRIC, MetricUnit.Count, 1);
      this.counter.publishStoredMetrics();
    }
  }
}

let metrics: Metrics | undefined;

/** The sink of this container, when the deploy named a bus; none otherwise (no events are put). */
export function eventSink(logger: Pick<Logger, 'warn'>, fn: FunctionName): ChangeEventSink | undefined {
  const bus = process.env[ENV.EVENT_BUS];
  if (!bus) return undefined;
  metrics ??= new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE, serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName(fn) });
  // The endpoint is read per request (AWS_ENDPOINT_URL_EVENTBRIDGE, AWS_ENDPOINT_URL), so local runs that move ports need no new client.
  return new EventBridgeSink(secretsManagerClient(), bus, logger, metrics);
}
