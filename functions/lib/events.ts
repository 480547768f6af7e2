/**
 * The functions' side of change events (core/events.ts): PutEvents on the bus the deploy named
 * (ENV.EVENT_BUS), one client per container. A put that fails, or an entry EventBridge refuses, is
 * logged and counted (the `ChangeEventsNotDelivered` metric), never thrown: an event is a report of
 * a change that has happened, and must not undo or fail it.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import { putEventsEntry, type ChangeEvent, type ChangeEventSink } from '../../core/events.js';
import { ENV, METRICS_NAMESPACE, serviceName, type FunctionName } from '../../core/names.js';

/** The metric a delivery failure adds to (one per event not delivered). */
export const EVENTS_NOT_DELIVERED_METRIC = 'ChangeEventsNotDelivered';

/** What the sink counts with: Powertools' Metrics, or a test's stand-in. */
export interface FailureCounter {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): unknown;
  publishStoredMetrics(): void;
}

export class EventBridgeSink implements ChangeEventSink {
  /** Events not delivered by this sink (also published as EVENTS_NOT_DELIVERED_METRIC). */
  failures = 0;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly counter: FailureCounter,
  ) {}

  async put(event: ChangeEvent): Promise<void> {
    try {
      const out = await this.client.send(new PutEventsCommand({ Entries: [putEventsEntry(event, this.eventBusName)] }));
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

let shared: { client: EventBridgeClient; endpoint: string | undefined; metrics: Metrics } | undefined;

/** The sink of this container, when the deploy named a bus; none otherwise (no events are put). */
export function eventSink(logger: Pick<Logger, 'warn'>, fn: FunctionName): ChangeEventSink | undefined {
  const bus = process.env[ENV.EVENT_BUS];
  if (!bus) return undefined;
  // Local runs may start endpoints on new ports within one process: the client follows the variables.
  const endpoint = process.env.AWS_ENDPOINT_URL_EVENTBRIDGE ?? process.env.AWS_ENDPOINT_URL;
  if (!shared || shared.endpoint !== endpoint) {
    shared = {
      client: new EventBridgeClient({ maxAttempts: Number(process.env.AWS_MAX_ATTEMPTS ?? 3) }),
      endpoint,
      metrics: new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE, serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName(fn) }),
    };
  }
  return new EventBridgeSink(shared.client, bus, logger, shared.metrics);
}
