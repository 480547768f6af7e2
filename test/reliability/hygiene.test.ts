/**
 * Secret hygiene: the handlers run with logging ON (POWERTOOLS_LOG_LEVEL=DEBUG, Powertools' event
 * logging and metrics on) in a fresh child process (hygiene-scenario.ts), through healthy runs and
 * every kind of failure, for every provider (TigerGraph 3.x and 4.x, Trifacta, ICA), against
 * fakes that quote refused tokens and secrets back. No token a server ever handed out, no
 * TigerGraph secret, password, API key or Basic-auth value appears in any log line, error message,
 * handler result or tag (all of which the child writes to stdout/stderr).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const scenario = fileURLToPath(new URL('./hygiene-scenario.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tg-hygiene-'));
const outFile = join(dir, 'sensitive.json');

let stdout = '';
let stderr = '';
let code: number | null = null;
let sensitive: { tokens: string[]; minted: number; tigergraphAnswers: number; mintedElsewhere: { trifacta: number; ica: number }; credentials: string[] };

beforeAll(async () => {
  // The most verbose settings an operator could choose while debugging: DEBUG, metrics on, and
  // Powertools' event logging switched on.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_LOGGER_LOG_EVENT: 'true',
    HYGIENE_OUT: outFile,
    POWERTOOLS_SERVICE_NAME: 'hygiene',
  };
  delete env.POWERTOOLS_METRICS_DISABLED;
  delete env.VITEST; // the child is a plain Node process, not a test worker
  const child = spawn(process.execPath, ['--import', 'tsx', scenario], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code === 0) sensitive = JSON.parse(readFileSync(outFile, 'utf8')) as typeof sensitive;
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** JSON lines from both streams (Powertools writes warnings and errors to stderr). */
const logLines = () =>
  `${stdout}\n${stderr}`
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('secret hygiene with logging on', () => {
  it('the scenario ran to the end and logging was really on', () => {
    expect(code, stderr.slice(-2000)).toBe(0);
    const lines = logLines();
    const messages = new Set(lines.map((l) => l.message));
    for (const expected of [
      'rotation step done',
      'rotation step failed',
      'pending value not stored; minted token revoked where the provider can',
      'on-demand done',
      'on-demand failed',
      'sweep started',
      'secret done',
      'secret failed',
      'sweep finished',
      'Lambda invocation event', // event logging really was on (for the handlers whose events hold no secret)
    ]) {
      expect(messages, `log line "${expected}"`).toContain(expected);
    }
    // Failures were logged with their messages, and the fakes' quoted values were redacted in them.
    const errors = lines.filter((l) => typeof l.errorMessage === 'string').map((l) => l.errorMessage as string);
    expect(errors.length).toBeGreaterThan(10);
    expect(errors.some((m) => m.includes('[redacted]'))).toBe(true);
    // Handler results and errors were printed too.
    expect(lines.filter((l) => 'scenario' in l).length).toBeGreaterThan(40);
    // The failures that carry a quoted secret or token from the fake were among them.
    const logged = new Set(lines.map((l) => l.errorName));
    for (const name of ['BadCredentialError', 'PendingTokenRefusedError', 'TransportError', 'HttpError', 'ValidationError', 'InternalServiceError', 'RotationFailedError']) {
      expect(logged, `a logged ${name}`).toContain(name);
    }
    // The Trifacta and ICA secrets were exercised too, failures included.
    const scenarios = new Set(lines.map((l) => l.scenario).filter((s): s is string => typeof s === 'string'));
    for (const name of ['trifacta', 'icaKey', 'icaPassword']) {
      expect(scenarios, `scenario for ${name}`).toContain(`rotate under fault 0 ${name}`);
      expect(scenarios).toContain(`rotate with failing put ${name}`);
    }
  });

  it('the sweep published the credential ages (issue 22): one CredentialAgeDays per credential secret, and the oldest', () => {
    const emf = logLines().filter((l) => '_aws' in l);
    const perCredential = emf.filter((l) => typeof l.CredentialAgeDays === 'number');
    expect(perCredential.length).toBeGreaterThan(0);
    for (const l of perCredential) expect(String(l.credential)).toMatch(/^arn:aws:secretsmanager:.*:secret:/);
    expect(emf.some((l) => typeof l.OldestCredentialAgeDays === 'number')).toBe(true);
  });

  it('collected what there is to protect: every token minted, the secrets and passwords', () => {
    expect(code).toBe(0);
    // Every mint answer TigerGraph sent the client was collected (the wrappers saw them: a 4.x
    // answer can repeat a token handed out already, which the client sets aside and mints again,
    // so answers are counted and tokens are distinct). No fault here fires after a mint; only a
    // client timeout under load could lose an answer, and a token the process never received
    // cannot leak from it.
    expect(sensitive.tigergraphAnswers).toBeLessThanOrEqual(sensitive.minted);
    expect(sensitive.tigergraphAnswers).toBeGreaterThanOrEqual(25);
    // About 30 TigerGraph tokens; the throttled phase draws from Math.random in the child, so the
    // exact count varies by a few between runs. The bounds only prove the scenario did real work.
    expect(sensitive.minted).toBeGreaterThanOrEqual(25);
    expect(sensitive.mintedElsewhere.trifacta).toBeGreaterThanOrEqual(5);
    expect(sensitive.mintedElsewhere.ica).toBeGreaterThanOrEqual(8);
    expect(sensitive.tokens.length).toBeGreaterThanOrEqual(25 + 5 + 8);
    expect(sensitive.credentials.every((c) => c.length >= 16)).toBe(true);
  });

  it('no token, secret, password or Basic-auth value appears in any log line, error message or result', () => {
    expect(code).toBe(0);
    const output = `${stdout}\n${stderr}`;
    const leaked = [...sensitive.tokens, ...sensitive.credentials].filter((value) => output.includes(value));
    expect(leaked.map((v) => `${v.slice(0, 4)}… (${v.length} chars)`)).toEqual([]);
    // A JWT's signature alone is the part that makes it usable: none of those either.
    const signatures = sensitive.tokens.filter((t) => t.split('.').length === 3).map((t) => t.split('.')[2]!);
    expect(signatures.length).toBeGreaterThan(5);
    expect(signatures.filter((s) => output.includes(s))).toEqual([]);
  });
});
