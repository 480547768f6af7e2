/**
 * Test helpers for the consumer library: an in-memory Secrets Manager client (GetSecretValue only)
 * whose AWSCURRENT can be swapped, whose reads can be held open or failed, and which counts calls.
 */
import type { GetSecretValueCommand, GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import type { SecretsClient } from '../../consumer/index.js';

/** A token no message may ever contain. */
export const TOKEN = 'tok-SECRET-VALUE-4f1b2c3d4e5f60718293a4b5c6d7e8f9';

export function secretJson(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    host: 'https://tg.example.com',
    credentialSecretId: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:app/tg/credentials-AbCdEf',
    tigergraphVersion: 'auto',
    providerVersion: '3',
    token: TOKEN,
    expiresAt: '2030-01-01T00:00:00.000Z',
    issuedAt: '2029-12-01T00:00:00.000Z',
    ...fields,
  });
}

export class FakeSecrets implements SecretsClient {
  calls = 0;
  /** Requests as received (SecretId, VersionStage). */
  requests: Array<{ SecretId?: string; VersionStage?: string }> = [];
  private version = 0;
  private value: string | undefined;
  private versionId = 'v0';
  private failures: unknown[] = [];
  private gate: Promise<void> | undefined;
  private release: (() => void) | undefined;
  /** AWSPENDING (a rotation in flight), when a test sets one; else reading it is ResourceNotFoundException, as on AWS. */
  private pending: { versionId: string; value: string } | undefined;

  constructor(secretString: string | undefined = secretJson()) {
    this.set(secretString);
  }

  /** A new AWSCURRENT version. */
  set(secretString: string | undefined): string {
    this.value = secretString;
    this.versionId = `v${++this.version}`;
    return this.versionId;
  }

  /** AWSPENDING's value (a rotation minted and stored it), or undefined: none. */
  setPending(secretString: string | undefined, versionId = 'v-pending'): void {
    this.pending = secretString === undefined ? undefined : { versionId, value: secretString };
  }

  /** Reads of AWSCURRENT only (the refused-version fallback reads AWSPENDING too). */
  get currentReads(): number {
    return this.requests.filter((r) => r.VersionStage !== 'AWSPENDING').length;
  }

  /** The next read(s) fail with these errors, in order. */
  failNext(...errors: unknown[]): void {
    this.failures.push(...errors);
  }

  /** Holds reads until open() is called. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release?.();
    this.gate = undefined;
  }

  async send(command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput> {
    this.calls++;
    this.requests.push({ SecretId: command.input.SecretId, VersionStage: command.input.VersionStage });
    const failure = this.failures.shift();
    const gate = this.gate;
    if (gate) await gate;
    if (failure !== undefined) throw failure;
    if (command.input.VersionStage === 'AWSPENDING') {
      if (!this.pending) throw Object.assign(new Error("Secrets Manager can't find the specified secret value for staging label: AWSPENDING"), { name: 'ResourceNotFoundException' });
      return { $metadata: {}, VersionId: this.pending.versionId, SecretString: this.pending.value, ARN: `arn:${command.input.SecretId}`, Name: command.input.SecretId };
    }
    return { $metadata: {}, VersionId: this.versionId, SecretString: this.value, ARN: `arn:${command.input.SecretId}`, Name: command.input.SecretId };
  }
}

/** A fake clock in milliseconds. */
export function fakeNow(start = Date.parse('2029-12-15T00:00:00.000Z')) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    set: (ms: number) => {
      t = ms;
    },
  };
}

/** Everything a thrown value exposes as text: message, stack, String() and JSON. */
export function allText(error: unknown): string {
  const e = error as Error;
  let json = '';
  try {
    json = JSON.stringify(error);
  } catch {
    json = '';
  }
  return [String(error), e?.message, e?.stack, json].join('\n');
}
