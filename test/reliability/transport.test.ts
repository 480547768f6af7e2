/**
 * Transport security, end to end through the handlers: plain http:// is refused unless the
 * connection itself says allowInsecureHttp: true (and then only for that connection); TLS
 * verification cannot be switched off, not by NODE_TLS_REJECT_UNAUTHORIZED=0, not by a field in
 * the token secret; a private CA given as caCertificate works for a whole rotation, a sweep and a
 * revoke against an HTTPS fake TigerGraph, and only that CA and only for the certified name.
 */
import { createHash } from 'node:crypto';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { generate } from 'selfsigned';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeTigerGraph, type FakeTigerGraph } from '../../local/fakes/tigergraph/index.js';
import type { LocalStack } from '../../local/stack.js';
import { BLOCK_LIST_REVOKES, DAY, invoke, putSettings, retiredOf, rotateSecret, startStack, sweepSettled, tokenOf, withStage } from './helpers.js';

/** How on-demand `delete` names a token: its SHA-256 in hex (the event never carries the token). */
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

let stack: LocalStack;
let counter = 0;
const started: FakeTigerGraph[] = [];

interface Pem {
  key: string;
  cert: string;
}

async function certificate(altNames: Array<{ type: 2; value: string } | { type: 7; ip: string }>, commonName = '127.0.0.1'): Promise<Pem> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

let loopbackCert: Pem;
let otherCa: Pem;
let wrongNameCert: Pem;

beforeAll(async () => {
  stack = await startStack({}, { TG_HTTP_MAX_ATTEMPTS: '2' });
  await putSettings(stack, { refreshBeforeSeconds: 3 * DAY, revokeGraceSeconds: 3600, concurrency: 2, ...BLOCK_LIST_REVOKES });
  [loopbackCert, otherCa, wrongNameCert] = await Promise.all([
    certificate([{ type: 7, ip: '127.0.0.1' }]),
    certificate([{ type: 7, ip: '127.0.0.1' }]),
    certificate([{ type: 2, value: 'tg.example.com' }], 'tg.example.com'),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all(started.map((f) => f.close()));
  await stack.close();
});
beforeEach(() => {
  stack.tg3.setFaults({});
  stack.tg4.setFaults({});
});

async function httpsFake(version: 3 | 4, tls: Pem = loopbackCert): Promise<FakeTigerGraph> {
  const fake = await startFakeTigerGraph({
    version,
    tls,
    clock: stack.clock,
    secrets: [stack.tigergraphSecret],
    users: { [stack.tigergraphUser.username]: stack.tigergraphUser.password },
  });
  started.push(fake);
  return fake;
}

/** A token secret pointing at `fake` (any fields overridable), after its first RotateSecret. */
async function secretFor(fake: { url: string; port: number }, version: 3 | 4, fields: Record<string, unknown>) {
  const arn = await stack.createTokenSecret(`transport/tg${version}/${++counter}`, {
    version,
    fields: { host: fake.url.replace(/:\d+$/, ''), restppPort: fake.port, gsqlPort: fake.port, lifetimeSeconds: 2 * DAY, ...fields },
  });
  const snap = stack.aws.inspectSecret(arn)!;
  return { arn, current: withStage(snap, 'AWSCURRENT')[0]! };
}

describe.each([3, 4] as const)('plain http:// (TigerGraph %s.x)', (version) => {
  const tg = () => (version === 3 ? stack.tg3 : stack.tg4);

  it.each([
    ['allowInsecureHttp: false', { allowInsecureHttp: false }],
    ['allowInsecureHttp absent', { allowInsecureHttp: undefined }],
  ])('is refused with %s before a single byte reaches TigerGraph', async (_name, fields) => {
    const before = tg().stats().total;
    const minted = tg().minted;
    const { arn, current } = await secretFor(tg(), version, fields);
    const error = stack.aws.lastRotationError(arn);
    expect(error?.step).toBe('createSecret');
    expect(error?.message).toMatch(/plain http:\/\/.*allowInsecureHttp/);
    expect(tg().stats().total).toBe(before); // the credential never crossed the wire
    expect(tg().minted).toBe(minted);
    expect(current.secretString).not.toContain('"token"');
  });

  it('allowInsecureHttp must be the boolean true: "true" is a ValidationError naming the field', async () => {
    const before = tg().stats().total;
    const { arn } = await secretFor(tg(), version, { allowInsecureHttp: 'true' });
    expect(stack.aws.lastRotationError(arn)?.message).toMatch(/allowInsecureHttp: expected boolean/);
    expect(tg().stats().total).toBe(before);
  });

  it('is allowed per connection only: a permitted secret on the same server does not open the door for another', async () => {
    const allowed = await secretFor(tg(), version, { allowInsecureHttp: true });
    expect(stack.aws.lastRotationError(allowed.arn)).toBeUndefined();
    const token = tokenOf(withStage(stack.aws.inspectSecret(allowed.arn)!, 'AWSCURRENT')[0])!;
    expect(tg().isLive(token)).toBe(true);

    // Same host and port, version and connection caches warm: still refused.
    const refused = await secretFor(tg(), version, { allowInsecureHttp: false });
    expect(stack.aws.lastRotationError(refused.arn)?.message).toMatch(/allowInsecureHttp/);

    // A secret that had the permission and lost it (an operator turned it off) is refused by every handler.
    const revoked = await secretFor(tg(), version, { allowInsecureHttp: true });
    const value = JSON.parse(withStage(stack.aws.inspectSecret(revoked.arn)!, 'AWSCURRENT')[0]!.secretString!) as Record<string, unknown>;
    await stack.secretsManager.send(new PutSecretValueCommand({ SecretId: revoked.arn, SecretString: JSON.stringify({ ...value, allowInsecureHttp: false }) }));
    const before = tg().stats().total;
    for (const action of ['refresh', 'request', 'delete'] as const) {
      // delete names the current token by its digest, with force: it would revoke it if the server could be reached.
      const event = { action, secretId: revoked.arn, ...(action === 'delete' ? { tokenSha256: sha256(tokenOf(withStage(stack.aws.inspectSecret(revoked.arn)!, 'AWSCURRENT')[0])!), force: true } : {}) };
      const error = await invoke.onDemand(event).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      if (action === 'request') {
        // RotateSecret answers; the rotation itself fails, and request (which waits for the
        // outcome) reports that failure with its reason.
        expect(error).toMatchObject({ name: 'RotationFailedError', message: expect.stringMatching(/createSecret ConfigError: .*plain http:\/\/.*allowInsecureHttp/) });
        expect(stack.aws.lastRotationError(revoked.arn)?.message).toMatch(/allowInsecureHttp/);
      } else {
        expect(error).toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/plain http:\/\/.*allowInsecureHttp/) });
      }
    }
    expect(tg().stats().total - before).toBe(0); // nothing was sent on its behalf
    stack.clock.advance(DAY + 3_700); // past the refresh point of both 2-day tokens (half their life, plus jitter)
    const summary = await sweepSettled(stack, { secretIds: [revoked.arn, allowed.arn] });
    expect(summary.failed).toEqual([{ secretId: revoked.arn, error: expect.stringMatching(/^refresh: .*plain http:\/\/.*allowInsecureHttp/) }]);
    expect(summary.refreshed + summary.rotated).toBe(1); // the permitted one carried on
    expect(tg().stats().total - before).toBeGreaterThan(0);
    expect(tg().isLive(tokenOf(withStage(stack.aws.inspectSecret(allowed.arn)!, 'AWSCURRENT')[0])!)).toBe(true);
  });
});

describe.each([3, 4] as const)('HTTPS with a private CA (TigerGraph %s.x)', (version) => {
  it('caCertificate carries a full rotation, an on-demand request, a sweep and a revoke end to end', async () => {
    const fake = await httpsFake(version);
    expect(fake.url.startsWith('https://127.0.0.1:')).toBe(true);
    // 30-day tokens: replaced ones have more than routineRevokeMinRemainingSeconds (4 days here) left,
    // so the sweep revokes them on 4.x too (shorter-lived 4.x leftovers are left to expire).
    const { arn } = await secretFor(fake, version, { allowInsecureHttp: false, caCertificate: loopbackCert.cert, lifetimeSeconds: 30 * DAY });
    expect(stack.aws.lastRotationError(arn)).toBeUndefined();
    const firstVersion = withStage(stack.aws.inspectSecret(arn)!, 'AWSCURRENT')[0]!;
    const first = tokenOf(firstVersion)!;
    expect(fake.isLive(first)).toBe(true);

    await rotateSecret(stack, arn);
    expect(stack.aws.lastRotationError(arn)).toBeUndefined();
    expect(await invoke.onDemand({ action: 'request', secretId: arn })).toMatchObject({ state: 'finished' });
    const snap = stack.aws.inspectSecret(arn)!;
    const current = tokenOf(withStage(snap, 'AWSCURRENT')[0])!;
    const previous = tokenOf(withStage(snap, 'AWSPREVIOUS')[0])!;
    expect(new Set([first, previous, current]).size).toBe(3);
    expect(fake.isLive(current)).toBe(true);
    // Two rotations within one grace period: the first token lost its AWSPREVIOUS label, so the
    // current value lists its version as retired; it stays valid until the sweep settles.
    expect(retiredOf(withStage(snap, 'AWSCURRENT')[0])).toContain(firstVersion.versionId);
    expect(fake.isLive(first)).toBe(true);

    stack.clock.advance(3601); // past the grace period: the sweep revokes both replaced tokens over the private-CA connection
    const settled = await sweepSettled(stack, { secretIds: [arn] });
    expect(settled).toMatchObject({ checked: 1, revoked: 2, expiring: 0, revokeFailures: 0, refreshed: 0, rotated: 0, failed: [] });
    expect(fake.isLive(previous)).toBe(false);
    expect(fake.isLive(first)).toBe(false);
    expect(fake.isLive(current)).toBe(true);
    // Deleting it by digest while the secret still tracks it (a retired version) is idempotent: already gone.
    expect(await invoke.onDemand({ action: 'delete', secretId: arn, tokenSha256: sha256(first) })).toEqual({ deleted: false, outcome: 'already-gone' });

    stack.clock.advance(27 * DAY); // within refreshBeforeSeconds (3 days, plus jitter) of expiry
    const summary = await sweepSettled(stack, { secretIds: [arn] });
    expect(summary).toMatchObject({ checked: 1, failed: [] });
    expect(summary.refreshed + summary.rotated).toBe(1);
    expect(stack.aws.lastRotationError(arn)).toBeUndefined();
    expect(fake.isLive(tokenOf(withStage(stack.aws.inspectSecret(arn)!, 'AWSCURRENT')[0])!)).toBe(true);
    // Deleting it by its version stays idempotent after later rotations: already gone.
    expect(await invoke.onDemand({ action: 'delete', secretId: arn, versionId: firstVersion.versionId })).toEqual({ deleted: false, outcome: 'already-gone' });
    expect(fake.isLive(first)).toBe(false);
  });

  it.each([
    ['no caCertificate', () => ({})],
    ['another CA', () => ({ caCertificate: otherCa.cert })],
    ['fields that look like a TLS opt-out', () => ({ rejectUnauthorized: false, insecure: true, tls: { rejectUnauthorized: false }, verifyTls: false })],
    ['allowInsecureHttp: true on an https:// host', () => ({ allowInsecureHttp: true })],
  ])('is refused with %s: a TLS error, no request sent, nothing minted', async (_name, fields) => {
    const fake = await httpsFake(version);
    const { arn, current } = await secretFor(fake, version, { allowInsecureHttp: false, ...fields() });
    const error = stack.aws.lastRotationError(arn);
    expect(error?.step).toBe('createSecret');
    expect(error?.message).toMatch(/TLS with https:\/\/127\.0\.0\.1:\d+ failed/);
    expect(error?.message).toMatch(/caCertificate/);
    expect(fake.stats().total).toBe(0); // the handshake failed: no HTTP request, no credential sent
    expect(fake.minted).toBe(0);
    expect(current.secretString).not.toContain('"token"');
  });

  it('a certificate for another name is refused even with its CA (the host name is checked)', async () => {
    const fake = await httpsFake(version, wrongNameCert);
    const { arn } = await secretFor(fake, version, { allowInsecureHttp: false, caCertificate: wrongNameCert.cert });
    expect(stack.aws.lastRotationError(arn)?.message).toMatch(/TLS with .* failed \((ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)\)/);
    expect(fake.stats().total).toBe(0);
  });
});

describe('NODE_TLS_REJECT_UNAUTHORIZED=0', () => {
  it('makes a default undici client accept an untrusted certificate, but not ours', async () => {
    const fake = await httpsFake(3);
    const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const control = new Agent();
    try {
      // Control: the variable really is in force in this process.
      const res = await request(`${fake.url}/echo`, { dispatcher: control });
      await res.body.text();
      expect(res.statusCode).toBe(401); // answered over TLS: the self-signed certificate was accepted
      const seen = fake.stats().total;

      const { arn, current } = await secretFor(fake, 3, { allowInsecureHttp: false });
      expect(stack.aws.lastRotationError(arn)?.message).toMatch(/TLS with .* failed/);
      expect(fake.stats().total).toBe(seen); // our client sent nothing
      expect(fake.minted).toBe(0);
      expect(current.secretString).not.toContain('"token"');
    } finally {
      if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
      await control.close();
    }
  });
});

describe.each([3, 4] as const)('the leaked-token procedures of SECURITY.md (TigerGraph %s.x)', (version) => {
  const tg = () => (version === 3 ? stack.tg3 : stack.tg4);
  const currentToken = (arn: string) => tokenOf(withStage(stack.aws.inspectSecret(arn)!, 'AWSCURRENT')[0])!;

  it('request, then delete: the leaked token is dead at once, the new one works', async () => {
    const { arn } = await secretFor(tg(), version, { allowInsecureHttp: true });
    const leaked = currentToken(arn);
    await invoke.onDemand({ action: 'request', secretId: arn });
    // On demand, the replaced token is revoked at once, whatever its remaining life (no routine policy).
    expect(await invoke.onDemand({ action: 'delete', secretId: arn })).toEqual({ deleted: true, outcome: 'revoked' });
    expect(tg().isLive(leaked)).toBe(false);
    expect(tg().isLive(currentToken(arn))).toBe(true);
  });

  it('delete by the token\'s digest and force, then request: dead at once even while current', async () => {
    const { arn } = await secretFor(tg(), version, { allowInsecureHttp: true });
    const leaked = currentToken(arn);
    await expect(invoke.onDemand({ action: 'delete', secretId: arn, tokenSha256: sha256(leaked) })).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/^force:/) });
    expect(tg().isLive(leaked)).toBe(true);
    expect(await invoke.onDemand({ action: 'delete', secretId: arn, tokenSha256: sha256(leaked), force: true })).toEqual({ deleted: true, outcome: 'revoked' });
    expect(tg().isLive(leaked)).toBe(false);
    await invoke.onDemand({ action: 'request', secretId: arn });
    expect(tg().isLive(currentToken(arn))).toBe(true);
  });

  it('a token replaced twice within the grace period: the sweep revokes it too; deleting it by digest or version finds it gone', async () => {
    const { arn } = await secretFor(tg(), version, { allowInsecureHttp: true, lifetimeSeconds: 30 * DAY });
    const leakedVersion = withStage(stack.aws.inspectSecret(arn)!, 'AWSCURRENT')[0]!.versionId;
    const leaked = currentToken(arn);
    await invoke.onDemand({ action: 'request', secretId: arn });
    await invoke.onDemand({ action: 'request', secretId: arn });
    // It lost its AWSPREVIOUS label but stays tracked: the current value lists its version as retired.
    expect(retiredOf(withStage(stack.aws.inspectSecret(arn)!, 'AWSCURRENT')[0])).toContain(leakedVersion);
    expect(tg().isLive(leaked)).toBe(true);
    stack.clock.advance(3601);
    expect(await sweepSettled(stack, { secretIds: [arn] })).toMatchObject({ revoked: 2, revokeFailures: 0, failed: [] });
    expect(tg().isLive(leaked)).toBe(false);
    expect(await invoke.onDemand({ action: 'delete', secretId: arn, tokenSha256: sha256(leaked) })).toEqual({ deleted: false, outcome: 'already-gone' });
    expect(await invoke.onDemand({ action: 'delete', secretId: arn, versionId: leakedVersion })).toEqual({ deleted: false, outcome: 'already-gone' });
    expect(tg().isLive(leaked)).toBe(false);
    expect(tg().isLive(currentToken(arn))).toBe(true);
  });

  it('request, then delete by the leaked version: the event carries no token, the leaked token is dead at once', async () => {
    const { arn } = await secretFor(tg(), version, { allowInsecureHttp: true, lifetimeSeconds: 30 * DAY });
    const leakedVersion = withStage(stack.aws.inspectSecret(arn)!, 'AWSCURRENT')[0]!.versionId;
    const leaked = currentToken(arn);
    await expect(invoke.onDemand({ action: 'delete', secretId: arn, versionId: leakedVersion })).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/^force:/) });
    expect(await invoke.onDemand({ action: 'request', secretId: arn })).toMatchObject({ state: 'finished' });
    expect(await invoke.onDemand({ action: 'delete', secretId: arn, versionId: leakedVersion })).toEqual({ deleted: true, outcome: 'revoked' });
    expect(tg().isLive(leaked)).toBe(false);
    expect(tg().isLive(currentToken(arn))).toBe(true);
  });
});
