/**
 * local/fakes/shared: the code the fake token APIs (tigergraph/, trifacta/, ica/) run alike, so
 * each fake holds only its own protocol, quirks and extra faults.
 * - http.ts: the HTTP scaffold (listen, optional TLS, client errors, latency timers, close, the
 *   capped request body, JSON/text answers, Authorization parsing, the latency-then-fault step,
 *   request counts per operation, the controls every fake has).
 * - faults.ts: the fault-injection machinery (the mulberry32 `prng` and the generic FaultPlan:
 *   latency, counted then seeded-rate drops, errors and malformed bodies, an ops filter).
 * Not a fake itself, and nothing here knows a provider.
 */
export { FaultPlan, prng, type CommonFaults, type FaultAction } from './faults.js';
export { refusedWhileFresh } from './fresh.js';
export {
  basicCredentials,
  bearerToken,
  injectedFault,
  jsonBody,
  MAX_BODY,
  readBody,
  RequestStats,
  sendJson,
  sendText,
  startFakeServer,
  type FakeControls,
  type FakeExchange,
  type FakeHttp,
  type FakeListenOptions,
  type FakeServer,
  type OpStats,
} from './http.js';
