/**
 * Section 5: a full four-step rotation, no added latency, in process: RotateSecret until the
 * rotation has finished (the local endpoint runs the real rotation handler's four steps in the
 * background after answering, as AWS does, and `rotationsSettled` resolves when they are done)
 * against a baseline of one GetSecretValue round trip, interleaved in the same run.
 */
import { GetSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { startLocalStack } from '../../local/stack.js';
import { type SectionResult } from '../lib/results.js';
import { ratio, summarize, type Summary } from '../lib/stats.js';
import type { Table } from '../lib/table.js';

export interface RotationData {
  runs: number;
  baseline: { operation: 'GetSecretValue round trip'; ms: Summary };
  rotations: Array<{ version: 3 | 4; ms: Summary; ratio: number }>;
}

export async function runRotation(ctx: { smoke: boolean; log: (m: string) => void }): Promise<SectionResult<RotationData>> {
  const runs = ctx.smoke ? 3 : 30;
  const warmup = ctx.smoke ? 1 : 5;
  const stack = await startLocalStack();
  try {
    const arns = { 3: await stack.createTokenSecret('bench/rotation/tg3', { version: 3 }), 4: await stack.createTokenSecret('bench/rotation/tg4', { version: 4 }) };
    const samples: Record<'get' | 3 | 4, number[]> = { get: [], 3: [], 4: [] };
    const time = async (fn: () => Promise<unknown>) => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };
    ctx.log(`rotation: ${warmup} warm-up + ${runs} timed rotations (RotateSecret until settled) per version, interleaved with GetSecretValue`);
    for (let i = 0; i < warmup + runs; i++) {
      for (const v of [3, 4] as const) {
        const get = await time(() => stack.secretsManager.send(new GetSecretValueCommand({ SecretId: arns[v] })));
        const rot = await time(async () => {
          await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arns[v] }));
          await stack.aws.rotationsSettled(arns[v]);
        });
        const failure = stack.aws.lastRotationError(arns[v]);
        if (failure) throw new Error(`rotation ${v}.x failed: ${JSON.stringify(failure)}`);
        if (i >= warmup) {
          samples.get.push(get);
          samples[v].push(rot);
        }
      }
    }
    const baseline = summarize(samples.get);
    const rotations = ([3, 4] as const).map((version) => {
      const ms = summarize(samples[version]);
      return { version, ms, ratio: ratio(ms.median, baseline.median, 1) };
    });
    const table: Table = {
      title: 'Full rotation in process (RotateSecret, then the four steps through the real handler until settled; no added latency), ms',
      columns: ['operation', 'median', 'p90', 'x GetSecretValue median'],
      rows: [
        ['GetSecretValue round trip (baseline)', baseline.median, baseline.p90, 1],
        ...rotations.map((r) => [`full rotation, TigerGraph ${r.version}.x`, r.ms.median, r.ms.p90, r.ratio] as Array<string | number>),
      ],
      notes: [`${runs} timed runs each after ${warmup} warm-up; warm process (TigerGraph version and connections cached), as a warm rotation Lambda.`],
    };
    return { data: { runs, baseline: { operation: 'GetSecretValue round trip', ms: baseline }, rotations }, tables: [table], goals: [], findings: [] };
  } finally {
    await stack.close();
  }
}
