/** How a child process hands its one JSON report to the parent: file descriptor 3 (see bench/lib/child.ts). */
import { writeSync } from 'node:fs';

export function report(value: unknown): void {
  writeSync(3, JSON.stringify(value));
}

export function errorSummary(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Unknown', message: String(error) };
}
