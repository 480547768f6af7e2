/** Command line of `npm run bench`: which sections, full or smoke sizes, where results go. */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SECTIONS = ['bundle', 'cold-start', 'calls', 'sweep', 'rotation', 'errors', 'fleet-index'] as const;
export type SectionName = (typeof SECTIONS)[number];

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');

export interface BenchOptions {
  /** Tiny sizes for CI: shapes and plumbing, not numbers. */
  smoke: boolean;
  sections: SectionName[];
  /** results.json path (default bench/results.json). */
  resultsPath: string;
  /** Scratch directory for bundles and child scripts (default .tmp/bench, gitignored). */
  workDir: string;
  /** Sweep sizes override, e.g. `--sizes 100,1000`. */
  sweepSizes?: number[];
  /**
   * The due sweeps' write and rotation budgets and the local write/RotateSecret quotas, as a
   * multiple of the defaults (40/s budgets under AWS's 50/s quotas). Default 3; 1 runs them at
   * the AWS defaults (10,000 due refreshes then take over 10 minutes).
   */
  budgetScale?: number;
  /** Cold-start processes per target override. */
  coldRuns?: number;
  /**
   * Memory sizes (MB) to run the largest due sweep at once more each, with the heap the Lambda
   * runtime gives that memory, e.g. `--memory-sizes 256,512` (default: only the deployed 1,024).
   */
  memorySizes?: number[];
}

export const USAGE = `usage: npm run bench -- [--smoke] [--only <${SECTIONS.join('|')}>[,...]] [--sizes n,n,...] [--budget-scale n] [--memory-sizes n,n,...] [--cold-runs n] [--results file] [--work-dir dir]`;

export class UsageError extends Error {
  override name = 'UsageError';
}

function positiveInts(flag: string, raw: string | undefined): number[] {
  const values = (raw ?? '').split(',').map((s) => Number(s.trim()));
  if (!raw || values.some((v) => !Number.isInteger(v) || v <= 0)) throw new UsageError(`${flag}: expected positive integers separated by commas`);
  return values;
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = {
    smoke: false,
    sections: [...SECTIONS],
    resultsPath: path.join(BENCH_DIR, 'results.json'),
    workDir: path.join(REPO_ROOT, '.tmp', 'bench'),
  };
  const only: SectionName[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag}: expected a value`);
      return v;
    };
    switch (flag) {
      case '--smoke':
        options.smoke = true;
        break;
      case '--only':
        for (const name of value().split(',')) {
          const s = name.trim();
          if (!(SECTIONS as readonly string[]).includes(s)) throw new UsageError(`--only: unknown section "${s}"; expected one of ${SECTIONS.join(', ')}`);
          if (!only.includes(s as SectionName)) only.push(s as SectionName);
        }
        break;
      case '--results':
        options.resultsPath = path.resolve(value());
        break;
      case '--work-dir':
        options.workDir = path.resolve(value());
        break;
      case '--sizes':
        options.sweepSizes = positiveInts('--sizes', value());
        break;
      case '--budget-scale': {
        const [n] = positiveInts('--budget-scale', value());
        options.budgetScale = n;
        break;
      }
      case '--memory-sizes':
        options.memorySizes = positiveInts('--memory-sizes', value());
        break;
      case '--cold-runs': {
        const [n] = positiveInts('--cold-runs', value());
        options.coldRuns = n;
        break;
      }
      case '--help':
      case '-h':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown argument "${arg}"\n${USAGE}`);
    }
  }
  if (only.length) options.sections = SECTIONS.filter((s) => only.includes(s));
  return options;
}
