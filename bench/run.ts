/**
 * `npm run bench`: bundle size, cold start, calls per operation, sweep throughput, rotation
 * latency and hostile error bodies, each next to a baseline measured in the same run. Prints Markdown tables on stdout
 * (progress goes to stderr) and writes bench/results.json.
 *
 *   npm run bench                          # everything (a few minutes on 2 cores)
 *   npm run bench -- --smoke               # tiny sizes: plumbing and shapes only (CI)
 *   npm run bench -- --only sweep --sizes 100,1000
 *   npm run bench -- --only sweep --sizes 10000 --budget-scale 1   # due sweep at AWS's defaults (~13 min)
 *   npm run bench -- --only errors          # 1 MiB hostile error bodies through each failure parser
 */
import './lib/quiet.js';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeAllAgents } from '../core/http/transport.js';
import { parseArgs, REPO_ROOT, UsageError, type BenchOptions, type SectionName } from './lib/options.js';
import type { BenchResults, Goal, MachineInfo, SectionResult, SourceInfo } from './lib/results.js';
import { renderTable } from './lib/table.js';
import { runBundleSize } from './sections/bundle-size.js';
import { runCalls } from './sections/calls.js';
import { runColdStart } from './sections/cold-start.js';
import { runErrorParsing } from './sections/error-parsing.js';
import { runFleetIndex } from './sections/fleet-index.js';
import { runRotation } from './sections/rotation.js';
import { runSweep } from './sections/sweep.js';

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    nodeExecPath: process.execPath,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    cpus: os.availableParallelism?.() ?? cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    totalMemoryMB: Math.round(os.totalmem() / 1048576),
  };
}

export function sourceInfo(): SourceInfo {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' });
  const head = git('rev-parse', 'HEAD');
  const status = git('status', '--porcelain', '--', 'core', 'functions', 'local', 'infra', 'package.json', 'package-lock.json');
  return {
    commit: head.status === 0 ? head.stdout.trim() : 'unknown',
    uncommitted: status.status === 0 ? status.stdout.split('\n').filter(Boolean).map((l) => l.slice(3)) : [],
  };
}

function runSection(name: SectionName, options: BenchOptions): Promise<SectionResult<unknown>> {
  const ctx = { workDir: options.workDir, smoke: options.smoke, log };
  switch (name) {
    case 'bundle':
      return runBundleSize(ctx);
    case 'cold-start':
      return runColdStart({ ...ctx, ...(options.coldRuns ? { runs: options.coldRuns } : {}) });
    case 'calls':
      return runCalls(ctx);
    case 'sweep':
      return runSweep({ ...ctx, ...(options.sweepSizes ? { sizes: options.sweepSizes } : {}), ...(options.budgetScale ? { budgetScale: options.budgetScale } : {}), ...(options.memorySizes ? { memorySizes: options.memorySizes } : {}) });
    case 'rotation':
      return runRotation(ctx);
    case 'errors':
      return runErrorParsing(ctx);
    case 'fleet-index':
      return runFleetIndex(ctx);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const started = performance.now();
  const machine = machineInfo();
  const major = Number(process.versions.node.split('.')[0]);
  log(`Node ${process.version} (${process.execPath}), ${machine.cpus} CPUs, sections: ${options.sections.join(', ')}${options.smoke ? ' (smoke)' : ''}`);
  if (major !== 22) log(`WARNING: Lambda runs nodejs22.x but this is Node ${process.version}; run through npm (node_modules/.bin/node is Node 22)`);
  await mkdir(options.workDir, { recursive: true });

  const results: BenchResults = {
    schemaVersion: 1,
    generatedAt: new Date().toISOString(),
    smoke: options.smoke,
    sections: options.sections,
    machine,
    source: sourceInfo(),
    load: { start: os.loadavg().map((n) => Math.round(n * 100) / 100), end: [] },
    durationMs: 0,
    results: {},
    goals: [],
    findings: [],
  };
  const out: string[] = [
    `# tg-token-rotation bench${options.smoke ? ' (smoke: tiny sizes, numbers not meaningful)' : ''}`,
    '',
    `Node ${process.version}, ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.platform} ${machine.arch}, ${machine.totalMemoryMB} MB RAM. ${results.generatedAt}`,
    `Code: ${results.source.commit.slice(0, 10)}${results.source.uncommitted.length ? ` with uncommitted changes in ${results.source.uncommitted.join(', ')}` : ''}.`,
  ];
  try {
    for (const name of options.sections) {
      const t0 = performance.now();
      const section = await runSection(name, options);
      log(`${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      results.results[name] = section.data;
      results.goals.push(...section.goals);
      results.findings.push(...section.findings.map((finding) => ({ section: name, finding })));
      for (const t of section.tables) out.push('', renderTable(t));
    }
  } finally {
    await closeAllAgents();
  }
  results.durationMs = Math.round(performance.now() - started);
  results.load.end = os.loadavg().map((n) => Math.round(n * 100) / 100);

  const goalRows = results.goals.map((g: Goal) => [g.section, g.name, g.value, `${g.target} ${g.unit}`, g.met ? 'met' : 'MISSED'] as Array<string | number>);
  if (goalRows.length) {
    out.push('', renderTable({ title: 'Goals', columns: ['section', 'measure', 'value', 'goal', 'status'], rows: goalRows }));
  }
  if (results.findings.length) {
    out.push('', '### Findings', '', ...results.findings.map((f) => `- [${f.section}] ${f.finding}`));
  }
  out.push('', `Load average (1/5/15 min) at start ${results.load.start.join(' / ')}, at end ${results.load.end.join(' / ')}; ${machine.cpus} CPUs.`);
  out.push('', `Total bench time ${(results.durationMs / 1000).toFixed(1)} s. Results: ${path.relative(process.cwd(), options.resultsPath) || options.resultsPath}`);
  await mkdir(path.dirname(options.resultsPath), { recursive: true });
  await writeFile(options.resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
