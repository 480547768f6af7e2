/**
 * Runs a child "Lambda" process: Node 22 (this process's execPath) on a compiled child script.
 * The child reports one JSON object on file descriptor 3, so its stdout stays free for the
 * handler's own logs (drained and counted here, as CloudWatch would receive them).
 */
import { spawn } from 'node:child_process';

export interface ChildRun<T> {
  result: T;
  /** Spawn to exit, as seen by the parent. */
  wallMs: number;
  exitCode: number | null;
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
}

export class ChildFailure extends Error {
  override name = 'ChildFailure';
}

export function runChild<T>(script: string, options: ChildOptions): Promise<ChildRun<T>> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...(options.args ?? [])], {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let report = '';
    let stderr = '';
    let stdoutBytes = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
    });
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
