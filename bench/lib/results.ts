/** The shape of bench/results.json (what the smoke test checks and what RESULTS.md is built from). */
import type { Table } from './table.js';
import type { SectionName } from './options.js';

export interface Goal {
  section: SectionName;
  /** What is measured, e.g. "rotation bundle size / baseline". */
  name: string;
  value: number;
  /** e.g. "<= 1.3" or "< 500000". */
  target: string;
  unit: string;
  met: boolean;
}

export function goal(section: SectionName, name: string, value: number, op: '<=' | '<' | '>=', limit: number, unit: string): Goal {
  const met = op === '<=' ? value <= limit : op === '<' ? value < limit : value >= limit;
  return { section, name, value, target: `${op} ${limit}`, unit, met: Number.isFinite(value) && met };
}

/** What one section hands back to bench/run.ts. */
export interface SectionResult<T> {
  data: T;
  tables: Table[];
  goals: Goal[];
  /** Findings for the maintainers (calls above the minimum, missed goals and their causes). */
  findings: string[];
}

export interface MachineInfo {
  node: string;
  nodeExecPath: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  totalMemoryMB: number;
}

/** The code measured: other work may be in progress in the same checkout. */
export interface SourceInfo {
  commit: string;
  /** Files under core/, functions/, local/, infra/ that differ from the commit when the bench ran. */
  uncommitted: string[];
}

export interface BenchResults {
  schemaVersion: 1;
  generatedAt: string;
  smoke: boolean;
  sections: SectionName[];
  machine: MachineInfo;
  source: SourceInfo;
  /** os.loadavg() (1, 5, 15 min) when the bench started and ended: other work on the machine skews timings. */
  load: { start: number[]; end: number[] };
  durationMs: number;
  results: Partial<Record<SectionName, unknown>>;
  goals: Goal[];
  findings: Array<{ section: SectionName; finding: string }>;
}
