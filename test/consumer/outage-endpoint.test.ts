/**
 * Secrets Manager down, over HTTP: the local endpoint answers every GetSecretValue with 500
 * (InternalServiceError) or 400 ThrottlingException (local/aws/faults.ts) while an app calls its
 * token API through tokenFetch every 10 s of fake time (TokenSourceOptions.now). The token API is a
 * node:http server on 127.0.0.1 that accepts the token only before its expiresAt (on the same fake
 * clock), and counts what it receives.
 *   - 30 minutes down, the token valid throughout: 0 failed calls, and the reads the endpoint saw
 *     are the back-off's few dozen, not one per call; once it is back, the next version is used.
 *   - down past the token's expiresAt: calls fail with SecretReadError naming the expiry from
 *     expiresAt minus the margin on, and the token API never sees the token from then on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTokenSource, SecretReadError, tokenFetch } from '../../consumer/index.js';
import { DEFAULT_EXPIRY_MARGIN_MS, READ_RETRY_MAX_MS } from '../../consumer/source.js';
import type { FaultConfig } from '../../local/aws/faults.js';
import { startLocalAws, type LocalAws } from '../../local/aws/index.js';
import { fakeNow, ROTATED, TOKEN } from './helpers.js';

const STEP_MS = 10_000;
const MIN = 60_000;

let aws: LocalAws;
/** The app's client: one attempt per read, so the SDK's own retries (real sleeps) do not slow the test. */
let sm: SecretsManagerClient;
let api: Server;
let apiUrl: string;
const clock = fakeNow();
/** Until when (fake ms) the token API accepts each token. */
const validUntil = new Map<string, number>();
/** Requests that carried a token at or past its expiry minus the margin. */
let lateUses = 0;
let counter = 0;

const OUTAGES: Array<[string, FaultConfig]> = [
  ['500 InternalServiceError', { failNext: { operation: 'GetSecretValue', errorType: 'InternalServiceError', count: 1_000_000 } }],
  ['ThrottlingException', { throttleRate: 1, throttleOperations: ['GetSecretValue'] }],
];

beforeAll(async () => {
  aws = await startLocalAws();
  sm = new SecretsManagerClient({ endpoint: aws.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
  api = createServer((req, res) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const until = validUntil.get(token);
    if (until !== undefined && clock.now() >= until - DEFAULT_EXPIRY_MARGIN_MS) lateUses++;
    req.resume();
    if (until !== undefined && clock.now() < until) res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    else res.writeHead(401, { 'content-type': 'application/json' }).end('{"exception":{"name":"UnauthorizedException"}}');
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterEach(() => aws.setFaults({}));
afterAll(async () => {
  sm?.destroy();
  api?.closeAllConnections();
  await new Promise<void>((resolve) => (api ? api.close(() => resolve()) : resolve()));
  await aws?.close();
});

const secretString = (token: string, expiresAt: number) =>
  JSON.stringify({ provider: 'trifacta', host: apiUrl, allowInsecureHttp: true, credentialSecretId: 'cred', token, expiresAt: new Date(expiresAt).toISOString() });

/** A token secret whose token the API accepts until `expiresAt`, and an app reading it. */
async function app(expiresAt: number) {
  const name = `outage/${++counter}`;
  validUntil.set(TOKEN, expiresAt);
  await sm.send(new CreateSecretCommand({ Name: name, SecretString: secretString(TOKEN, expiresAt) }));
  const source = createTokenSource({ secretId: name, client: sm, now: clock.now, allowInsecureHttp: true });
  lateUses = 0;
  return { name, source, call: tokenFetch(source) };
}

/** Calls every STEP_MS for `ms` of fake time; each outcome is the HTTP status or the error. */
async function callFor(call: ReturnType<typeof tokenFetch>, ms: number): Promise<Array<number | unknown>> {
  const outcomes: Array<number | unknown> = [];
  for (let t = 0; t < ms; t += STEP_MS) {
    outcomes.push(await call('/jobGroups').then((r) => r.status, (e: unknown) => e));
    clock.advance(STEP_MS);
  }
  return outcomes;
}

describe.each(OUTAGES)('Secrets Manager answering %s', (label, faults) => {
  it('for 30 minutes while the token stays valid: 0 failed calls, a few dozen reads, the new version once it is back', async () => {
    const { name, call } = await app(clock.now() + 2 * 3600_000);
    expect(await callFor(call, MIN)).toEqual(Array(6).fill(200));
    aws.setFaults(faults);
    aws.resetRequestLog();
    const during = await callFor(call, 30 * MIN);
    const readsDuring = aws.countCalls('GetSecretValue');
    console.log(`${label}, 30 minutes: ${during.length} calls, ${during.filter((o) => o !== 200).length} failed, ${readsDuring} GetSecretValue answered by the endpoint`);
    expect(during.filter((o) => o !== 200)).toEqual([]);
    expect(during).toHaveLength(180);
    // One read when the cache aged out, then background retries: 1, 2, 4 ... 60 s apart (jittered).
    expect(readsDuring).toBeGreaterThanOrEqual(20);
    expect(readsDuring).toBeLessThanOrEqual(80);

    aws.setFaults({});
    validUntil.set(ROTATED, clock.now() + 2 * 3600_000);
    await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: secretString(ROTATED, clock.now() + 2 * 3600_000) }));
    validUntil.delete(TOKEN);
    // The next background read comes within READ_RETRY_MAX_MS: from then on the rotated token.
    const after = await callFor(call, READ_RETRY_MAX_MS + 2 * STEP_MS);
    expect(after.at(-1)).toBe(200);
    expect(after.filter((o) => o !== 200).length).toBeLessThanOrEqual(1 + READ_RETRY_MAX_MS / STEP_MS);
  });

  it('past the token’s expiresAt: a SecretReadError naming the expiry, and the token API never sees the expiring token', async () => {
    const expiresAt = clock.now() + 20 * MIN;
    const { call } = await app(expiresAt);
    await callFor(call, MIN);
    aws.setFaults(faults);
    const outcomes = await callFor(call, 30 * MIN);
    const firstError = outcomes.findIndex((o) => o !== 200);
    // Served while valid (about 19 minutes of calls), then errors only: none a refusal, none a stale call.
    expect(firstError).toBeGreaterThan(100);
    expect(outcomes.slice(0, firstError).every((o) => o === 200)).toBe(true);
    for (const error of outcomes.slice(firstError)) {
      expect(error).toBeInstanceOf(SecretReadError);
      expect(error).toMatchObject({ cachedExpiresAt: new Date(expiresAt) });
      expect((error as Error).message).toContain(`expires at ${new Date(expiresAt).toISOString()}`);
    }
    expect(lateUses).toBe(0);
  });
});
