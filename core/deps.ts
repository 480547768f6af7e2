/**
 * What every operation of core/ needs from outside, passed in by functions/ (or a test): the
 * Secrets Manager store, the provider opener, the clock and an optional structured log. core/
 * reads no environment variables; functions/ build this from the Lambda environment.
 */
import type { Clock } from './clock.js';
import type { ChangeEventSink } from './events.js';
import type { ProviderOpener } from './providers/open.js';
import type { SecretStore } from './secrets/store.js';

export type LogFn = (message: string, fields: Record<string, unknown>) => void;

export interface Deps {
  store: SecretStore;
  providers: ProviderOpener;
  clock: Clock;
  /** Structured progress events; never given token, secret or credential values. */
  log?: LogFn;
  /** Where change events go (core/events.ts); none: no events are put. */
  events?: ChangeEventSink;
  /** Ties the change events of one invocation together (the Lambda request id; a rotation's version id). */
  correlationId?: string;
}
