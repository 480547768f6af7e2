/** A LineSink (core/operations/fleet-list.ts) that collects lines, optionally waiting on each write (a slow sink). */
import type { LineSink } from '../../core/operations/fleet-list.js';

export class Lines implements LineSink {
  readonly lines: string[] = [];
  constructor(private readonly wait?: (index: number) => Promise<void>) {}
  async write(line: string): Promise<void> {
    this.lines.push(line);
    await this.wait?.(this.lines.length - 1);
  }
  /** Everything written, as one text. */
  text(): string {
    return this.lines.join('');
  }
  /** The `secretId` of each line, for sinks of fleet lines. */
  ids(): string[] {
    return this.lines.map((l) => (JSON.parse(l) as { secretId: string }).secretId);
  }
}
