import { describe, expect, it } from 'vitest';
import { runNpm, WHOLE_TOKEN } from './run-npm.js';

describe('npm start', () => {
  it('runs the whole flow locally, exits 0, and never prints a whole token', async () => {
    const { code, stdout, stderr } = await runNpm(['start'], { timeoutMs: 90_000 });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    for (const line of [
      /createSecret\s+-> created\s+\(local\/tigergraph3\)/,
      /finishSecret\s+-> finished\s+\(local\/tigergraph4\)/,
      /summary: \{"checked":2,"refreshed":1,"rotated":1,/,
      /ok\s+3\.x token refreshed in place/,
      /ok\s+4\.x token replaced by a rotation/,
      /ok\s+the replaced 4\.x token is now revoked/,
      /ok\s+every AWSCURRENT token is accepted by TigerGraph/,
      /checks: all passed/,
    ]) {
      expect(stdout).toMatch(line);
    }
    expect(stdout).not.toMatch(/FAIL/);
    expect(stdout).toMatch(/…/); // tokens appear masked
    expect(stdout).not.toMatch(WHOLE_TOKEN);
  });
});
