import { describe, expect, it } from 'vitest';
import { runNpm, WHOLE_TOKEN } from './run-npm.js';

describe('npm start', () => {
  it('runs the whole flow for every provider locally, exits 0, and never prints a whole token', async () => {
    const { code, stdout, stderr } = await runNpm(['start'], { timeoutMs: 120_000 });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    for (const line of [
      /createSecret\s+-> created\s+\(local\/tigergraph3\)/,
      /finishSecret\s+-> finished\s+\(local\/tigergraph4\)/,
      /finishSecret\s+-> finished\s+\(local\/trifacta\)/,
      /finishSecret\s+-> finished\s+\(local\/ica-apikey\)/,
      /ok\s+ICA \(password\): a new JWT replaced the old one/,
      /ok\s+ICA \(password\): the replaced JWT still works/,
      /ok\s+TigerGraph 3\.x token refreshed in place/,
      /ok\s+TigerGraph 4\.x token replaced by a rotation/,
      /ok\s+Trifacta token replaced by a rotation/,
      /ok\s+the replaced Trifacta token is now revoked/,
      /ok\s+the replaced 4\.x token .* is left to expire/,
      /ok\s+every AWSCURRENT token is accepted by its server/,
      /pause: \{"paused":true,"reason":"incident 4711: TigerGraph upgrade"/,
      /local\/tigergraph4\s+none\s+-\s+paused\s+renewal held back: paused until/,
      /ok\s+the plan wrote nothing and called no token API/,
      /ok\s+the paused connection was left alone/,
      /ok\s+the sweep renewed what the plan said it would/,
      /rollback local\/trifacta: \{"rolledBack":true/,
      /ok\s+AWSCURRENT holds the previous token again, and its server accepts it/,
      /rollback local\/tigergraph3: refused: secretId: .* cannot be rolled back: AWSPREVIOUS holds the same token/,
      /Connection Paused\s+tigergraph4\s+-\s+incident 4711: TigerGraph upgrade/,
      /Token Rolled Back\s+trifacta\s+\w{8}\s+the new token lacks the analyst role/,
      /ok\s+no event carries a token/,
      /checks: all passed/,
    ]) {
      expect(stdout).toMatch(line);
    }
    expect(stdout).not.toMatch(/FAIL/);
    expect(stdout).toMatch(/…/); // tokens appear masked
    expect(stdout).not.toMatch(WHOLE_TOKEN);
  });
});
