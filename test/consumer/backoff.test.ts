/**
 * A caller looping on a refused token (issue 21): GetSecretValue calls counted at the local
 * Secrets Manager endpoint, the token API a node:http server on 127.0.0.1 that refuses every token
 * but the one rotated in. The consumer runs on a fake clock (TokenSourceOptions.now), so seconds
 * of back-off cost no real time; each call moves the clock on by STEP_MS.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTokenSource, tokenFetch, TokenRefusedError, type TokenFetch } from '../../consumer/index.js';
import { DEFAULT_REFUSAL_BACKOFF_MS, REFUSAL_BACKOFF_JITTER } from '../../consumer/source.js';
import { startLocalAws, type LocalAws } from '../../local/aws/index.js';
import { fakeNow, TOKEN } from './helpers.js';

const ROTATED = 'tok-ROTATED-VALUE-7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d';
/** Fake time between two calls of the loop; not a divisor of the back-off, so no read lands on a boundary. */
const STEP_MS = 130;
const CALLS = 200;

let aws: LocalAws;
let sm: SecretsManagerClient;
let api: Server;
let apiUrl: string;
/** Requests the token API received, by the token they carried. */
const seen = new Map<string, number>();
let counter = 0;

beforeAll(async () => {
  aws = await startLocalAws();
  sm = new SecretsManagerClient({ endpoint: aws.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
  api = createServer((req, res) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    seen.set(token, (seen.get(token) ?? 0) + 1);
    req.resume();
    if (token === ROTATED) res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    else res.writeHead(401, { 'content-type': 'application/json' }).end('{"exception":{"name":"UnauthorizedException"}}');
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(async () => {
  sm?.destroy();
  api?.closeAllConnections();
  await new Promise<void>((resolve) => (api ? api.close(() => resolve()) : resolve()));
  await aws?.close();
});
beforeEach(() => seen.clear());

const secretString = (token: string) => JSON.stringify({ provider: 'trifacta', host: apiUrl, allowInsecureHttp: true, credentialSecretId: 'cred', token, expiresAt: null });

async function loop(options: { refusalBackoffMs?: number; pendingWaitMs?: number } = {}) {
  const name = `backoff/${++counter}`;
  await sm.send(new CreateSecretCommand({ Name: name, SecretString: secretString(TOKEN) }));
  const clock = fakeNow();
  const source = createTokenSource({ secretId: name, client: sm, now: clock.now, allowInsecureHttp: true, ...options });
  aws.resetRequestLog();
  // reads: of AWSCURRENT (the refused version is re-read); pendingReads: of AWSPENDING, which a
  // re-read that finds the refused version still current looks at too (a rotation may hold the live token).
  return {
    name,
    clock,
    source,
    call: tokenFetch(source) as TokenFetch,
    reads: () => source.stats().reads,
    pendingReads: () => source.stats().pendingReads,
    calls: () => aws.countCalls('GetSecretValue'),
  };
}

describe('a caller looping on a refused token', () => {
  it(`makes at most ceil(elapsed / back-off) + 1 reads of AWSCURRENT, each with at most 4 of AWSPENDING (${CALLS} calls over ${(CALLS - 1) * STEP_MS} ms of fake time)`, async () => {
    const { clock, call, reads, pendingReads, calls } = await loop();
    const started = clock.now();
    for (let i = 0; i < CALLS; i++) {
      if (i > 0) clock.advance(STEP_MS);
      await expect(call('/jobGroups')).rejects.toBeInstanceOf(TokenRefusedError);
    }
    const elapsed = clock.now() - started;
    const limit = Math.ceil(elapsed / DEFAULT_REFUSAL_BACKOFF_MS) + 1;
    expect(reads()).toBeLessThanOrEqual(limit);
    // Not fewer than one per longest (jittered) period either: the source does keep re-reading.
    expect(reads()).toBeGreaterThanOrEqual(1 + Math.floor(elapsed / (DEFAULT_REFUSAL_BACKOFF_MS * (1 + REFUSAL_BACKOFF_JITTER))));
    // No rotation holds another token: AWSPENDING is looked at (up to 4 times within 500 ms) after each re-read, no more.
    expect(pendingReads()).toBeLessThanOrEqual(4 * reads());
    expect(calls()).toBe(reads() + pendingReads());
    // One attempt per call, and a retry only after a re-read.
    expect(seen.get(TOKEN)).toBeLessThanOrEqual(CALLS + reads());
  });

  it('without the back-off (refusalBackoffMs 0) the same loop reads once per call: the storm it prevents', async () => {
    const { clock, call, reads } = await loop({ refusalBackoffMs: 0, pendingWaitMs: 0 });
    for (let i = 0; i < CALLS; i++) {
      clock.advance(STEP_MS);
      await expect(call('/jobGroups')).rejects.toBeInstanceOf(TokenRefusedError);
    }
    expect(reads()).toBeGreaterThanOrEqual(CALLS);
  });

  it('picks up a rotation made in the middle within one back-off period, and then calls succeed', async () => {
    const { name, clock, call, reads } = await loop();
    for (let i = 0; i < 60; i++) {
      clock.advance(STEP_MS);
      await expect(call('/jobGroups')).rejects.toBeInstanceOf(TokenRefusedError);
    }
    await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: secretString(ROTATED) }));
    const rotatedAt = clock.now();
    let recoveredAt: number | undefined;
    while (recoveredAt === undefined && clock.now() - rotatedAt < 4 * DEFAULT_REFUSAL_BACKOFF_MS) {
      clock.advance(STEP_MS);
      const res = await call('/jobGroups').catch((e: unknown) => e);
      if (res instanceof Response && res.ok) recoveredAt = clock.now();
    }
    expect(recoveredAt).toBeDefined();
    expect(recoveredAt! - rotatedAt).toBeLessThanOrEqual(DEFAULT_REFUSAL_BACKOFF_MS * (1 + REFUSAL_BACKOFF_JITTER) + STEP_MS);
    const readsThen = reads();
    for (let i = 0; i < 20; i++) {
      clock.advance(STEP_MS);
      expect((await call('/jobGroups')).status).toBe(200);
    }
    expect(reads()).toBe(readsThen); // the cache serves the new token
    expect(seen.get(ROTATED)).toBe(21);
  });
});
