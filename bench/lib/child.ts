/**
 * Runs a child "Lambda" process: Node 22 (this process's execPath) on a compiled child script.
 * The child reports one JSON object on file descriptor 3, so its stdout stays free for the
 * handler's own logs. Those go to a file (or /dev/null), never through a pipe to this process:
 * Node writes to pipes synchronously on Linux, so a pipe would make the child wait whenever this
 * process is busy serving the endpoints.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, statSync } from 'node:fs';

export interface ChildRun<T> {
  result: T;
  /** Spawn to exit, as seen by the parent. */
  wallMs: number;
  exitCode: number | null;
  /** Bytes the child wrote to stdout (its logs); 0 when they went to /dev/null. */
  stdoutBytes: number;
  stderr: string;
}

export interface ChildOptions {
  env: NodeJS.ProcessEnv;
  args?: string[];
  /** Node flags before the script, e.g. ['--cpu-prof']. */
  nodeArgs?: string[];
  timeoutMs?: number;
  cwd?: string;
  /** File that receives the child's stdout (created or truncated); default /dev/null. */
  stdoutFile?: string;
}

export class ChildFailure extends Error {
  override name = 'ChildFailure';
}

export function runChild<T>(script: string, options: ChildOptions): Promise<ChildRun<T>> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const stdoutFd = options.stdoutFile ? openSync(options.stdoutFile, 'w') : 'ignore';
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...(options.args ?? [])], {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', stdoutFd, 'pipe', 'pipe'],
    });
    if (typeof stdoutFd === 'number') closeSync(stdoutFd);
    let report = '';
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 8_000) stderr += chunk.toString('utf8');
    });
    const fd3 = child.stdio[3] as NodeJS.ReadableStream | null;
    fd3?.on('data', (chunk: Buffer) => {
      report += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      const stdoutBytes = options.stdoutFile ? statSync(options.stdoutFile).size : 0;
      if (!report.trim()) {
        reject(new ChildFailure(`child ${script} exited (${exitCode ?? signal}) without a report; stderr: ${stderr.slice(0, 2000)}`));
        return;
      }
      try {
        resolve({ result: JSON.parse(report) as T, wallMs, exitCode, stdoutBytes, stderr });
      } catch {
        reject(new ChildFailure(`child ${script} wrote an unreadable report: ${report.slice(0, 500)}`));
      }
    });
  });
}
