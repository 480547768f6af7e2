/**
 * Section 2: cold start. Fresh Node 22 processes import each bundle (as the Lambda runtime's init
 * does) and handle one event against the local endpoints served by this process; the baseline
 * bundle handles one GetSecretValue. Runs are interleaved round-robin so drift hits all targets
 * alike. Where time goes is attributed two ways: import without --enable-source-maps, and the
 * import cost of each large package bundled on its own the same way.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { build } from 'esbuild';
import { CreateSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import pLimit from 'p-limit';
import { esbuildOptionsFor, functionEntry, LAMBDA_BUNDLING, LAMBDA_BUNDLING_WITH_SOURCE_MAPS, PROJECT_ROOT } from '../../infra/bundling.js';
import { ENV, TOKEN_SECRET_SETTINGS_TYPE } from '../../core/names.js';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import type { ColdStartReport } from '../child/cold-start.js';
import { buildAllBundles, buildChildScripts, FUNCTION_NAMES, type BundleName, type Bundles } from '../lib/bundles.js';
import { runChild } from '../lib/child.js';
import { findProfile, summarizeCpuProfile, type CpuShare } from '../lib/cpu-profile.js';
import { deployedMemoryMB, lambdaEnv, lambdaRuntimeNodeArgs } from '../lib/lambda-env.js';
import { goal, type Goal, type SectionResult } from '../lib/results.js';
import { median, ratio, round, summarize, type Summary } from '../lib/stats.js';
import type { Table } from '../lib/table.js';

export const MAX_RATIO = 1.3;

/**
 * The import-cost ladder: bundles that add the functions' third-party imports one at a time, each
 * importing exactly what the project's code imports (so tree-shaking matches), built with the
 * functions' bundling settings. Each rung's median import time minus the previous rung's is what
 * that package adds to a cold start.
 */
export const IMPORT_LADDER: ReadonlyArray<{ name: string; code: string }> = [
  { name: '(empty bundle)', code: '' },
  {
    name: '@aws-sdk/client-secrets-manager (the calls core/secrets/store.ts makes)',
    code: "import { SecretsManagerClient, BatchGetSecretValueCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretsCommand, PutSecretValueCommand, RotateSecretCommand, TagResourceCommand, UntagResourceCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';\nkeep.push(SecretsManagerClient, BatchGetSecretValueCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretsCommand, PutSecretValueCommand, RotateSecretCommand, TagResourceCommand, UntagResourceCommand, UpdateSecretVersionStageCommand);",
  },
  {
    name: 'zod/mini (the schema builders core/secrets/token-secret.ts and core/settings.ts use)',
    code: "import * as z from 'zod/mini';\nkeep.push(z.object, z.string, z.number, z.boolean, z.enum, z.optional, z._default, z.array, z.union, z.safeParse);",
  },
  {
    name: 'node:https + node:http (the TigerGraph transport, built in)',
    code: "import { Agent, request } from 'node:https';\nimport * as http from 'node:http';\nkeep.push(Agent, request, http.request);",
  },
  {
    name: '@aws-lambda-powertools/logger (+ middleware)',
    code: "import { Logger } from '@aws-lambda-powertools/logger';\nimport { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';\nkeep.push(Logger, injectLambdaContext);",
  },
  { name: '@middy/core', code: "import middy from '@middy/core';\nkeep.push(middy);" },
  {
    name: '@aws-lambda-powertools/metrics (+ middleware; scheduled-refresh and rotation)',
    code: "import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';\nimport { logMetrics } from '@aws-lambda-powertools/metrics/middleware';\nkeep.push(Metrics, MetricUnit, logMetrics);",
  },
  {
    name: 'the signed SSM GetParameter (functions/lib/ssm-parameter.ts; was @middy/ssm + @aws-sdk/client-ssm)',
    code: "import { getParameterValue } from './functions/lib/ssm-parameter.ts';\nkeep.push(getParameterValue);",
  },
];

export interface LadderRung {
  name: string;
  /** Cumulative bundle size (minified JS). */
  bytes: number;
  /** Median import of the cumulative bundle. */
  importMs: number;
  /** What this rung adds over the previous one. */
  addedMs: number;
  addedBytes: number;
}

export interface TargetResult {
  name: BundleName;
  event: string;
  runs: number;
  importMs: Summary;
  handleMs: Summary;
  totalMs: Summary;
  bootMs: Summary;
  processWallMs: Summary;
  /** total median / baseline total median. */
  ratio: number;
  importRatio: number;
  handleRatio: number;
  /** Import median without --enable-source-maps (attribution runs). */
  importNoSourceMapsMs: number;
  maxRssMB: number;
  errors: number;
}

export interface ColdStartData {
  node: string;
  runsPerTarget: number;
  warmupRounds: number;
  nodeOptions: string;
  targets: Record<BundleName, TargetResult>;
  /**
   * The rotation bundle rebuilt with sourcesContent flipped from the deployed setting (deployed:
   * false, so the variant embeds the sources as NodejsFunction does by default): its .map size and
   * median import with --enable-source-maps, next to the deployed build's, in the same rounds.
   */
  sourcesContentVariant: { mapBytes: number; deployedMapBytes: number; importMs: number; deployedImportMs: number };
  /** Import cost of the functions' dependencies, added one at a time (see IMPORT_LADDER). */
  importLadder: LadderRung[];
  /** One extra cold start per bundle under --cpu-prof: CPU (import + first invocation) charged to the nearest package. */
  cpuProfiles: Record<BundleName, { totalMs: number; byCaller: CpuShare[] }>;
}

interface Target {
  name: BundleName;
  describe: string;
  eventFor(run: number): string;
  /** Environment on top of the Lambda one (e.g. the S3 endpoint). */
  env?: Record<string, string>;
}

/**
 * S3 PutObject for fleet-list (it writes the fleet list; path style), which the local AWS endpoint
 * does not serve: every PUT is accepted and counted. (connection-settings answers the local
 * endpoint's CloudFormation, which confirms its events and receives its answers.)
 */
interface Responder {
  url: string;
  /** S3 objects written. */
  objects: () => number;
  close: () => Promise<void>;
}

async function startResponder(): Promise<Responder> {
  let objects = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method !== 'PUT') {
        res.writeHead(405).end();
        return;
      }
      objects++;
      res.writeHead(200, { ETag: '"bench"' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects: () => objects,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function prepareTargets(stack: LocalStack, runsNeeded: number, responderUrl: string): Promise<Target[]> {
  await stack.putSettings(DEFAULT_SETTINGS);
  const baseline = await stack.secretsManager.send(
    new CreateSecretCommand({ Name: 'bench/cold/baseline', SecretString: JSON.stringify({ hello: 'world', padding: 'x'.repeat(400) }) }),
  );
  const onDemand = await stack.createTokenSecret('bench/cold/on-demand', { version: 3 });
  const scheduled = await stack.createTokenSecret('bench/cold/scheduled', { version: 3 });
  const limit = pLimit(4);
  // Rotation: each run needs its own fresh AWSPENDING version (RotateSecret with the invoker off).
  // Connection settings: each run updates its own secret, so every run writes.
  const rotationArns = await Promise.all(
    Array.from({ length: runsNeeded }, (_, i) => limit(() => stack.createTokenSecret(`bench/cold/rotation-${i}`, { version: 3 }))),
  );
  const settingsArns = await Promise.all(
    Array.from({ length: runsNeeded }, (_, i) => limit(() => stack.createTokenSecret(`bench/cold/settings-${i}`, { version: 3 }))),
  );
  await stack.aws.rotationsSettled();
  stack.aws.setRotationInvoker(undefined);
  const pending = await Promise.all(
    rotationArns.map((arn) =>
      limit(async () => {
        const out = await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn }));
        return { arn, versionId: out.VersionId as string };
      }),
    ),
  );
  // The deployment's settings of each connection secret: its current JSON without the token fields.
  const settingsOf = (arn: string): Record<string, unknown> => {
    const current = stack.aws.inspectSecret(arn)?.versions.find((v) => v.stages.includes('AWSCURRENT'));
    const json = JSON.parse(current?.secretString ?? '{}') as Record<string, unknown>;
    for (const field of ['token', 'expiresAt', 'issuedAt', 'refreshedAt', 'providerVersion', 'retiredVersionIds']) delete json[field];
    return json;
  };
  const cfnStackId = stack.aws.cloudFormation.createStack('bench-cold-start');
  const targets: Target[] = [
    { name: 'baseline', describe: 'GetSecretValue of one secret', eventFor: () => JSON.stringify({ secretId: baseline.ARN }) },
    {
      name: 'rotation',
      describe: 'createSecret step on a fresh AWSPENDING version (RotateSecret with the invoker off); 3.x, version auto-detected',
      eventFor: (run) => {
        const p = pending[run];
        if (!p) throw new Error(`no pending rotation prepared for run ${run}`);
        return JSON.stringify({ SecretId: p.arn, ClientRequestToken: p.versionId, Step: 'createSecret' });
      },
    },
    {
      name: 'scheduled-refresh',
      describe: '{"secretIds": [one not-due 3.x secret]}; settings from SSM',
      eventFor: () => JSON.stringify({ secretIds: [scheduled] }),
    },
    { name: 'on-demand', describe: '{"action": "status"}', eventFor: () => JSON.stringify({ action: 'status', secretId: onDemand }) },
    {
      name: 'connection-settings',
      describe: 'custom resource Update changing lifetimeSeconds only (write over the current version, no rotation), confirmed by the local CloudFormation; answer PUT to the local endpoint',
      eventFor: (run) => {
        const arn = settingsArns[run];
        if (!arn) throw new Error(`no connection secret prepared for run ${run}`);
        const settings = settingsOf(arn);
        // Each run its own resource, marked UPDATE_IN_PROGRESS by the request as a deploy would.
        const logicalId = `BenchConnectionSettings${run}`;
        stack.aws.cloudFormation.setResource(cfnStackId, logicalId, { resourceType: TOKEN_SECRET_SETTINGS_TYPE, resourceStatus: 'UPDATE_COMPLETE', physicalResourceId: arn });
        return JSON.stringify(
          stack.aws.cloudFormation.request(cfnStackId, logicalId, 'Update', { SecretId: arn, Settings: { ...settings, lifetimeSeconds: 7 * 86_400 } }, { SecretId: arn, Settings: settings }),
        );
      },
      env: { [ENV.STACK_ID]: cfnStackId, [ENV.LOCAL_CFN_RESPONSE_ENDPOINT]: stack.aws.url },
    },
    {
      name: 'fleet-list',
      describe: 'lists the managed secrets by tag (ListSecrets) into one S3 object (PutObject to a local server) and plans the map',
      eventFor: (run) => JSON.stringify({ bucket: 'bench-fleet', key: `fleet/cold-${run}.jsonl` }),
      env: { AWS_ENDPOINT_URL_S3: responderUrl },
    },
  ];
  // Functions come and go (core/names.ts): a target for one that is not built is dropped.
  return targets.filter((t) => t.name === 'baseline' || (FUNCTION_NAMES as readonly string[]).includes(t.name));
}

/** The cumulative import-ladder bundles, built with the functions' bundling settings. */
async function buildLadder(workDir: string, rungs: number): Promise<Array<{ name: string; file: string; bytes: number }>> {
  const out: Array<{ name: string; file: string; bytes: number }> = [];
  let imports = '';
  for (const [i, rung] of IMPORT_LADDER.slice(0, rungs).entries()) {
    imports += rung.code ? `${rung.code}\n` : '';
    const dir = path.join(workDir, 'import-ladder', String(i));
    await mkdir(dir, { recursive: true });
    const outfile = path.join(dir, LAMBDA_BUNDLING.outFile);
    const { entryPoints: _entry, ...options } = esbuildOptionsFor('index.ts', outfile, LAMBDA_BUNDLING_WITH_SOURCE_MAPS);
    const contents = `const keep: unknown[] = [];\n${imports}export const handler = async () => keep.length;\n`;
    await build({ ...options, stdin: { contents, resolveDir: PROJECT_ROOT, sourcefile: `ladder-${i}.ts`, loader: 'ts' } });
    out.push({ name: rung.name, file: outfile, bytes: (await stat(outfile)).size });
  }
  return out;
}

/** A function's bundle as deployed but with sourcesContent flipped (the cost the deployed setting avoids, or would save). */
async function buildWithSourcesContentFlipped(workDir: string, name: 'rotation'): Promise<{ file: string; mapBytes: number }> {
  const outfile = path.join(workDir, 'no-sources-content', name, LAMBDA_BUNDLING.outFile);
  await mkdir(path.dirname(outfile), { recursive: true });
  await build({ ...esbuildOptionsFor(functionEntry(name), outfile, LAMBDA_BUNDLING_WITH_SOURCE_MAPS), sourcesContent: !LAMBDA_BUNDLING.sourcesContent });
  return { file: outfile, mapBytes: (await stat(`${outfile}.map`)).size };
}

/** Rows: the areas that appear in any bundle's top list; columns: CPU ms per bundle. */
function profileTable(names: BundleName[], profiles: ColdStartData['cpuProfiles']): Table {
  const areas = [...new Set(names.flatMap((n) => profiles[n].byCaller.map((c) => c.name)))];
  const msOf = (n: BundleName, area: string) => profiles[n].byCaller.find((c) => c.name === area)?.ms ?? 0;
  areas.sort((a, b) => names.reduce((acc, n) => acc + msOf(n, b) - msOf(n, a), 0));
  return {
    title: 'Where a cold start\'s CPU goes: one run per bundle under --cpu-prof (import + first invocation; self time charged to the nearest package on the stack; ms)',
    columns: ['area', ...names],
    rows: [...areas.map((a) => [a, ...names.map((n) => msOf(n, a))]), ['total sampled', ...names.map((n) => profiles[n].totalMs)]],
    notes: ['Each bundle\'s top 8 areas; 0 = not in that bundle\'s top 8. "node (builtins)"-style rows are Node work not called from bundled code (bootstrap, the harness).'],
  };
}

export async function runColdStart(ctx: {
  workDir: string;
  smoke: boolean;
  runs?: number;
  log: (m: string) => void;
}): Promise<SectionResult<ColdStartData>> {
  const runs = ctx.runs ?? (ctx.smoke ? 1 : 20);
  const warmupRounds = ctx.smoke ? 0 : 2;
  const ladderRuns = Math.min(runs, ctx.smoke ? 1 : 12);
  const bundles: Bundles = await buildAllBundles(ctx.workDir);
  const scripts = await buildChildScripts(ctx.workDir);
  const stack = await startLocalStack();
  const s3 = await startResponder();
  try {
    ctx.log(`cold-start: preparing ${runs + warmupRounds + 1} pending rotations, connection secrets and the other targets`);
    const targets = await prepareTargets(stack, runs + warmupRounds + 1, s3.url);
    const samples = new Map<BundleName, ColdStartReport[]>();
    const walls = new Map<BundleName, number[]>();
    const errors = new Map<BundleName, string[]>();
    let rotationRun = 0;
    const once = async (t: Target, run: number, record: boolean, options: { importOnly?: boolean; sourceMaps?: boolean; nodeArgs?: string[] } = {}) => {
      const res = await runChild<ColdStartReport>(scripts['cold-start'], {
        env: { ...lambdaEnv({ functionName: t.name, endpoint: stack.aws.url, enableSourceMaps: options.sourceMaps !== false }), ...t.env },
        // As the Lambda runtime starts the function (its heap flags for the deployed memory).
        nodeArgs: [...lambdaRuntimeNodeArgs(deployedMemoryMB(t.name)), ...(options.nodeArgs ?? [])],
        args: [bundles[t.name].file, t.eventFor(run), t.name, ...(options.importOnly ? ['--import-only'] : [])],
        timeoutMs: 60_000,
      });
      if (!res.result.ok) errors.set(t.name, [...(errors.get(t.name) ?? []), `${res.result.error?.name}: ${res.result.error?.message}`]);
      if (record) {
        samples.set(t.name, [...(samples.get(t.name) ?? []), res.result]);
        walls.set(t.name, [...(walls.get(t.name) ?? []), res.wallMs]);
      }
      return res.result;
    };

    // Smoke: the first two rungs only (the plumbing, not the numbers).
    const ladder = await buildLadder(ctx.workDir, ctx.smoke ? 2 : IMPORT_LADDER.length);
    const flipped = await buildWithSourcesContentFlipped(ctx.workDir, 'rotation');
    const leanSamples: number[] = [];
    const ladderSamples = ladder.map(() => [] as number[]);
    const noMaps = new Map<BundleName, number[]>();
    ctx.log(
      `cold-start: ${warmupRounds} warm-up rounds, then ${runs} rounds of: ${targets.length} bundles (import + invocation), ` +
        `the same imports without source maps, and (first ${ladderRuns} rounds) ${ladder.length} import-ladder bundles; all fresh processes, interleaved`,
    );
    for (let round = 0; round < warmupRounds + runs; round++) {
      // Rotate the order each round so no target always runs first after a pause.
      const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target);
      const recorded = round >= warmupRounds;
      for (const t of order) await once(t, t.name === 'rotation' ? rotationRun : round, recorded);
      rotationRun++;
      if (!recorded) continue;
      for (const t of order) {
        const r = await once(t, 0, false, { importOnly: true, sourceMaps: false });
        noMaps.set(t.name, [...(noMaps.get(t.name) ?? []), r.importMs]);
      }
      const leanRun = await runChild<ColdStartReport>(scripts['cold-start'], {
        env: lambdaEnv({ functionName: 'rotation', endpoint: stack.aws.url }),
        args: [flipped.file, '{}', 'rotation', '--import-only'],
        timeoutMs: 60_000,
      });
      leanSamples.push(leanRun.result.importMs);
      if (round - warmupRounds < ladderRuns) {
        for (let j = 0; j < ladder.length; j++) {
          const k = (j + round) % ladder.length;
          const res = await runChild<ColdStartReport>(scripts['cold-start'], {
            env: lambdaEnv({ functionName: 'import-ladder', endpoint: stack.aws.url }),
            args: [(ladder[k] as { file: string }).file, '{}', 'import-ladder', '--import-only'],
            timeoutMs: 60_000,
          });
          ladderSamples[k]?.push(res.result.importMs);
        }
      }
    }
    const importLadder: LadderRung[] = ladder.map((rung, k) => {
      const importMs = round(median(ladderSamples[k] ?? []));
      const prev = k > 0 ? median(ladderSamples[k - 1] ?? []) : 0;
      const prevBytes = k > 0 ? (ladder[k - 1]?.bytes ?? 0) : 0;
      return { name: rung.name, bytes: rung.bytes, importMs, addedMs: round(importMs - prev), addedBytes: rung.bytes - prevBytes };
    });

    ctx.log('cold-start: one more cold start per bundle under --cpu-prof');
    const cpuProfiles = {} as ColdStartData['cpuProfiles'];
    for (const t of targets) {
      const dir = await mkdtemp(path.join(ctx.workDir, 'cold-prof-'));
      try {
        await once(t, rotationRun, false, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'] });
        const cpu = await summarizeCpuProfile(await findProfile(dir), bundles[t.name].file, 8);
        cpuProfiles[t.name] = { totalMs: cpu.totalMs, byCaller: cpu.byCaller };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }

    // The custom resource answers CloudFormation, not its caller: a FAILED answer is its error.
    for (const a of stack.aws.cloudFormation.answers().filter((x) => x.body.Status !== 'SUCCESS')) {
      errors.set('connection-settings', [...(errors.get('connection-settings') ?? []), `answered CloudFormation ${String(a.body.Status)}: ${String(a.body.Reason ?? '')}`]);
    }
    const resultFor = (t: Target): Omit<TargetResult, 'ratio' | 'importRatio' | 'handleRatio'> => {
      const s = samples.get(t.name) ?? [];
      return {
        name: t.name,
        event: t.describe,
        runs: s.length,
        importMs: summarize(s.map((r) => r.importMs)),
        handleMs: summarize(s.map((r) => r.handleMs)),
        totalMs: summarize(s.map((r) => r.importMs + r.handleMs)),
        bootMs: summarize(s.map((r) => r.bootMs)),
        processWallMs: summarize(walls.get(t.name) ?? []),
        importNoSourceMapsMs: summarize(noMaps.get(t.name) ?? []).median,
        maxRssMB: round(Math.max(0, ...s.map((r) => r.maxRssKB)) / 1024, 1),
        errors: (errors.get(t.name) ?? []).length,
      };
    };
    const base = resultFor(targets[0] as Target);
    const targetResults = {} as Record<BundleName, TargetResult>;
    for (const t of targets) {
      const r = resultFor(t);
      targetResults[t.name] = {
        ...r,
        ratio: ratio(r.totalMs.median, base.totalMs.median),
        importRatio: ratio(r.importMs.median, base.importMs.median),
        handleRatio: ratio(r.handleMs.median, base.handleMs.median),
      };
    }

    const sourcesContentVariant: ColdStartData['sourcesContentVariant'] = {
      mapBytes: flipped.mapBytes,
      deployedMapBytes: bundles.rotation.mapBytes,
      importMs: round(median(leanSamples)),
      deployedImportMs: targetResults.rotation.importMs.median,
    };
    const measured = FUNCTION_NAMES.filter((n) => targetResults[n] !== undefined);
    const goals: Goal[] = measured.map((n) => goal('cold-start', `${n} cold start (import + first invocation) / baseline`, targetResults[n].ratio, '<=', MAX_RATIO, 'x'));
    const findings: string[] = [];
    for (const [name, errs] of errors) findings.push(`cold-start: ${name} failed ${errs.length} time(s): ${errs[0]}`);
    const unmeasured = FUNCTION_NAMES.filter((n) => targetResults[n] === undefined);
    if (unmeasured.length) findings.push(`cold-start: no target (event) for ${unmeasured.join(', ')}; add one to prepareTargets in bench/sections/cold-start.ts.`);
    const missed = measured.filter((n) => targetResults[n].ratio > MAX_RATIO);
    if (missed.length) {
      const top = importLadder.slice(1).sort((a, b) => b.addedMs - a.addedMs).slice(0, 3);
      findings.push(
        `Cold start misses <= ${MAX_RATIO}x for ${missed.join(', ')}: ` +
          missed
            .map((n) => {
              const r = targetResults[n];
              return `${n} import ${r.importMs.median} ms vs ${base.importMs.median} ms (${r.importRatio}x), first invocation ${r.handleMs.median} ms vs ${base.handleMs.median} ms (${r.handleRatio}x)`;
            })
            .join('; ') +
          `. Largest import costs added by dependencies: ${top.map((r) => `${r.name} +${r.addedMs} ms`).join(', ')}; ` +
          `--enable-source-maps adds ${missed.map((n) => `${n} ${round(targetResults[n].importMs.median - targetResults[n].importNoSourceMapsMs)} ms`).join(', ')} to the import (baseline ${round(base.importMs.median - base.importNoSourceMapsMs)} ms).`,
      );
    }

    const table: Table = {
      title: `Cold start: ${runs} fresh Node ${process.versions.node} processes per bundle, NODE_OPTIONS=--enable-source-maps (ms; median / p90)`,
      columns: ['bundle', 'event', 'import', 'first invocation', 'import + invocation', 'x baseline', 'import x', 'invocation x', 'import w/o source maps', 'max RSS MB'],
      rows: targets.map((t) => {
        const r = targetResults[t.name];
        return [
          t.name,
          t.describe,
          `${r.importMs.median} / ${r.importMs.p90}`,
          `${r.handleMs.median} / ${r.handleMs.p90}`,
          `${r.totalMs.median} / ${r.totalMs.p90}`,
          r.ratio,
          r.importRatio,
          r.handleRatio,
          r.importNoSourceMapsMs,
          r.maxRssMB,
        ];
      }),
      notes: [
        `Node boot before the import (same for every bundle): median ${base.bootMs.median} ms; whole process (spawn to exit), baseline median ${base.processWallMs.median} ms.`,
        `Goal: import + first invocation <= ${MAX_RATIO}x the baseline median.`,
        `Source maps: the rotation bundle rebuilt with sourcesContent: ${!LAMBDA_BUNDLING.sourcesContent} has a ${round(flipped.mapBytes / 1e6, 2)} MB map instead of ${round(bundles.rotation.mapBytes / 1e6, 2)} MB; its import with --enable-source-maps: median ${round(median(leanSamples))} ms (as deployed: ${targetResults.rotation.importMs.median} ms; without source maps: ${targetResults.rotation.importNoSourceMapsMs} ms).`,
      ],
    };
    const pkgTable: Table = {
      title: `Where import time goes: the functions' dependencies added one at a time (cumulative bundles, same bundling, --enable-source-maps), median of ${ladderRuns}`,
      columns: ['+ dependency', 'bundle kB', 'import ms', 'adds ms', 'adds kB'],
      rows: importLadder.map((r) => [r.name, round(r.bytes / 1000, 1), r.importMs, r.addedMs, round(r.addedBytes / 1000, 1)]),
      notes: ['The last rung is every third-party import of scheduled-refresh without the project code. rotation imports metrics but not SSM; on-demand SSM but not metrics; connection-settings neither.'],
    };
    return {
      data: {
        node: process.version,
        runsPerTarget: runs,
        warmupRounds,
        nodeOptions: '--enable-source-maps',
        targets: targetResults,
        sourcesContentVariant,
        importLadder,
        cpuProfiles,
      },
      tables: [table, pkgTable, profileTable(targets.map((t) => t.name), cpuProfiles)],
      goals,
      findings,
    };
  } finally {
    await s3.close();
    await stack.close();
  }
}
