/** Runs an npm script as a child process (as a newcomer would) and collects its output. */
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runNpm(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...options.env };
    // The child decides its own log level; the test runner's SILENT default must not leak in.
    delete env.POWERTOOLS_LOG_LEVEL;
    delete env.AWS_ENDPOINT_URL;
    delete env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    Object.assign(env, options.env);
    const child = spawn('npm', ['run', '--silent', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`npm run ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: stderr.split('\n').filter((l) => !l.startsWith('npm warn')).join('\n') });
    });
  });
}

/** 3.x tokens and TigerGraph secrets are 32 lowercase alphanumerics; 4.x tokens are JWTs. */
/** A TigerGraph 3.x token, a JWT, or any long base64url run (Trifacta tokens are 43 such characters). */
export const WHOLE_TOKEN = /\b[a-z0-9]{32}\b|eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+|[A-Za-z0-9][A-Za-z0-9_-]{38,}[A-Za-z0-9]/;
