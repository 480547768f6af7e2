/**
 * On-demand `delete` end to end (issue 21): the handler, real SDK over HTTP against the local
 * endpoint, the TigerGraph 3.x fake counting the revokes it receives. A token is named by
 * `versionId` or `tokenSha256`; an event carrying the raw token is refused before anything is
 * revoked, and the token it carried appears in nothing the handler logs or answers.
 *
 * Logging is on here (the runner's default is SILENT), with POWERTOOLS_LOGGER_LOG_EVENT=true as a
 * careless deployment might set it: the handler is imported only after that, since its logger reads
 * the variables when it is created.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { lambdaContext } from '../../local/lambda-context.js';

type Handler = (typeof import('../../functions/on-demand/handler.js'))['handler'];

let stack: LocalStack;
let handler: Handler;
let counter = 0;
/** Everything written to stdout and stderr while a handler ran. */
let written: string[] = [];

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
  vi.stubEnv('POWERTOOLS_LOGGER_LOG_EVENT', 'true');
  process.env.TG_HTTP_TIMEOUT_MS = '1000';
  process.env.TG_HTTP_BASE_DELAY_MS = '5';
  ({ handler } = await import('../../functions/on-demand/handler.js'));
  stack = await startLocalStack();
  await stack.putSettings({ revokeGraceSeconds: 3600 });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await stack?.close();
});
afterEach(() => vi.restoreAllMocks());

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Invokes the handler, capturing what it writes; resolves its answer or the error it threw. */
async function invoke(event: Record<string, unknown>): Promise<{ result?: unknown; error?: Error; output: string }> {
  written = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  }
  try {
    const result = await handler(event, lambdaContext('on-demand') as Parameters<Handler>[1]);
    return { result, output: written.join('') };
  } catch (error) {
    return { error: error as Error, output: written.join('') };
  } finally {
    vi.restoreAllMocks();
  }
}

/** A 3.x secret rotated once: its current token, the one it replaced, and their versions. */
async function rotatedSecret() {
  const arn = await stack.createTokenSecret(`it/delete/${++counter}`, { version: 3 });
  const read = async () => {
    const out = await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
    return { versionId: out.VersionId as string, token: (JSON.parse(out.SecretString as string) as { token: string }).token };
  };
  const old = await read();
  const requested = await invoke({ action: 'request', secretId: arn });
  expect(requested.error).toBeUndefined();
  const current = await read();
  expect(current.token).not.toBe(old.token);
  return { arn, old, current };
}

const revokesAtFake = () => stack.tg3.stats().delete;

describe('delete by tokenSha256', () => {
  it('revokes the token with that digest at its server, and only that one', async () => {
    const s = await rotatedSecret();
    const before = revokesAtFake();
    const { result, error } = await invoke({ action: 'delete', secretId: s.arn, tokenSha256: sha256(s.old.token) });
    expect(error).toBeUndefined();
    expect(result).toEqual({ deleted: true, outcome: 'revoked' });
    expect(revokesAtFake() - before).toBe(1);
    expect(stack.tg3.isLive(s.old.token)).toBe(false);
    expect(stack.tg3.isLive(s.current.token)).toBe(true);
  });

  it('an unknown digest is a ValidationError naming tokenSha256, and nothing reaches the server', async () => {
    const s = await rotatedSecret();
    const before = stack.tg3.stats().total;
    const { error } = await invoke({ action: 'delete', secretId: s.arn, tokenSha256: sha256(`${s.old.token}\n`) });
    expect(error).toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/^tokenSha256: no version of .* holds a token with this SHA-256/) });
    expect(stack.tg3.stats().total).toBe(before);
    expect(stack.tg3.isLive(s.old.token)).toBe(true);
  });
});

describe('an event that carries the raw token', () => {
  it.each([
    ['the replaced token', false],
    ['the replaced token, with force', true],
  ])('(%s) is a ValidationError naming versionId and tokenSha256; nothing is revoked; the token is in no log line and no answer', async (_name, force) => {
    const s = await rotatedSecret();
    const before = stack.tg3.stats();
    const { result, error, output } = await invoke({ action: 'delete', secretId: s.arn, token: s.old.token, ...(force ? { force } : {}) });
    expect(result).toBeUndefined();
    expect(error).toMatchObject({ name: 'ValidationError', field: 'token' });
    expect(error?.message).toMatch(/token: a raw token is not accepted/);
    expect(error?.message).toContain('versionId');
    expect(error?.message).toContain('tokenSha256');
    // Counted at the fake: no revoke, and no request of any kind.
    expect(stack.tg3.stats()).toEqual(before);
    expect(stack.tg3.isLive(s.old.token)).toBe(true);
    // Logging is live (a control invocation logs), so the checks below can fail; the Lambda
    // runtime logs a thrown error's message and stack, so those are searched too.
    expect((await invoke({ action: 'status', secretId: s.arn })).output).toMatch(/on-demand done/);
    for (const text of [output, error?.message, error?.stack, JSON.stringify(error), String(error)]) {
      expect(text ?? '').not.toContain(s.old.token);
    }
  });

  it('the answers of the delete that works (by digest) hold no token either, and neither do its log lines', async () => {
    const s = await rotatedSecret();
    const { result, output } = await invoke({ action: 'delete', secretId: s.arn, tokenSha256: sha256(s.old.token) });
    expect(result).toEqual({ deleted: true, outcome: 'revoked' });
    expect(output).toMatch(/on-demand done/);
    for (const token of [s.old.token, s.current.token]) {
      expect(JSON.stringify(result)).not.toContain(token);
      expect(output).not.toContain(token);
    }
  });
});
