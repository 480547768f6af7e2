/**
 * The local EventBridge: PutEvents (AWS JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`) onto the
 * `default` bus or a bus created with `createEventBus`, keeping every accepted event in memory for
 * tests and `npm start` to read. Nothing is routed: there are no rules or targets.
 *
 * As EventBridge does: 1-10 entries a call (ValidationException otherwise); each entry is accepted
 * or refused on its own, the call answering `FailedEntryCount` and, per entry, an `EventId` or an
 * `ErrorCode` and `ErrorMessage`: `InvalidArgument` for a missing Source, DetailType or Detail, a
 * Detail over 256 KB, or a bus this endpoint does not have (the code AWS answers for an unknown bus
 * is not documented), `MalformedDetail` for a Detail that is not a JSON object. EventBusName takes
 * a name or an ARN of this region and account. Time defaults to the endpoint's clock.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { AwsServiceError, validation } from './errors.js';
import { Input, type JsonObject } from './util.js';

export interface ReceivedEvent {
  id: string;
  eventBusName: string;
  source: string;
  detailType: string;
  /** The Detail, parsed. */
  detail: Record<string, unknown>;
  time: Date;
  resources: string[];
}

export interface EventBridgeOptions {
  clock: Clock;
  region: string;
  accountId: string;
}

const MAX_ENTRIES = 10;
const MAX_DETAIL_BYTES = 256 * 1024;

export class EventBridgeStore {
  private readonly buses = new Set(['default']);
  private readonly received: ReceivedEvent[] = [];

  constructor(private readonly options: EventBridgeOptions) {}

  supports(operation: string): boolean {
    return operation === 'PutEvents';
  }

  handle(operation: string, body: JsonObject): JsonObject {
    if (operation !== 'PutEvents') throw new AwsServiceError('UnknownOperationException', `Unknown operation ${operation}`);
    const entries = new Input(body).optObjectList('Entries');
    if (!entries || entries.length < 1 || entries.length > MAX_ENTRIES) {
      throw validation(`1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`);
    }
    const results = entries.map((entry) => this.accept(entry));
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  }

  /** A bus PutEvents may name from now on. */
  createEventBus(name: string): void {
    this.buses.add(name);
  }

  /** Every event accepted so far, oldest first. */
  events(): readonly ReceivedEvent[] {
    return this.received;
  }

  clear(): void {
    this.received.length = 0;
  }

  private accept(entry: Input): JsonObject {
    const source = entry.optString('Source');
    const detailType = entry.optString('DetailType');
    const detailText = entry.optString('Detail');
    if (!source || !detailType || detailText === undefined) return refused('InvalidArgument', 'Parameters Source, DetailType and Detail are required.');
    if (Buffer.byteLength(detailText) > MAX_DETAIL_BYTES) return refused('InvalidArgument', 'Detail is larger than 256 KB.');
    let detail: unknown;
    try {
      detail = JSON.parse(detailText);
    } catch {
      return refused('MalformedDetail', 'Detail is malformed.');
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return refused('MalformedDetail', 'Detail is malformed.');
    const bus = this.busName(entry.optString('EventBusName') ?? 'default');
    if (!bus) return refused('InvalidArgument', `Event bus ${entry.optString('EventBusName') ?? ''} does not exist.`);
    const time = entry.optNumber('Time');
    const event: ReceivedEvent = {
      id: randomUUID(),
      eventBusName: bus,
      source,
      detailType,
      detail: detail as Record<string, unknown>,
      time: new Date(time !== undefined ? time * 1000 : this.options.clock.now()),
      resources: entry.optStringList('Resources') ?? [],
    };
    this.received.push(event);
    return { EventId: event.id };
  }

  /** The bus a name or ARN names, if this endpoint has it. */
  private busName(nameOrArn: string): string | undefined {
    const prefix = `arn:aws:events:${this.options.region}:${this.options.accountId}:event-bus/`;
    const name = nameOrArn.startsWith('arn:') ? (nameOrArn.startsWith(prefix) ? nameOrArn.slice(prefix.length) : undefined) : nameOrArn;
    return name !== undefined && this.buses.has(name) ? name : undefined;
  }
}

function refused(code: string, message: string): JsonObject {
  return { ErrorCode: code, ErrorMessage: message };
}
