/** Runs an npm script as a child process (as a newcomer would) and collects its output. */
import { run, type RunResult } from '../helpers/child-process.js';

export type { RunResult };

export async function runNpm(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  const env = { ...process.env, ...options.env };
  // The child decides its own log level; the test runner's SILENT default must not leak in.
  delete env.POWERTOOLS_LOG_LEVEL;
  delete env.AWS_ENDPOINT_URL;
  delete env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  Object.assign(env, options.env);
  const result = await run('npm', ['run', '--silent', ...args], { env, timeoutMs: options.timeoutMs ?? 60_000 });
  return { ...result, stderr: result.stderr.split('\n').filter((l) => !l.startsWith('npm warn')).join('\n') };
}

/** A TigerGraph 3.x token or secret (32 lowercase alphanumerics), a JWT (4.x, ICA), or any long base64url run (Trifacta tokens are 43 such characters). */
export const WHOLE_TOKEN = /\b[a-z0-9]{32}\b|eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+|[A-Za-z0-9][A-Za-z0-9_-]{38,}[A-Za-z0-9]/;
