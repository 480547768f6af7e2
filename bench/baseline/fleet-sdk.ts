/**
 * The sweep's baselines: Secrets Manager calls a sweep makes, done with the bare SDK and nothing
 * else (no parsing, no logging, no settings, no budget), bundled and run exactly like the
 * scheduled-refresh function, so the sweep's calls, CPU and write rate can be stated against them
 * in the same run.
 *
 *   {"mode": "per-secret"}  the sweep's design before batching: ListSecrets by the managed tag, then
 *                           for every secret GetSecretValue AWSCURRENT and GetSecretValue AWSPREVIOUS
 *                           (the revoke check once the grace period has passed), 10 secrets at a time;
 *   {"mode": "batched"}     the current design's read pass with nothing on top: ListSecrets by the
 *                           managed tag, then BatchGetSecretValue 20 ids a call, one call at a time;
 *   {"mode": "write-probe", "ids": [...], "seconds": n, "concurrency": n, "provider"?: {url, secret}, "cyclesPerSecond"?: n}
 *                           the write ceiling of the endpoint as it is (fleet size, machine load),
 *                           and the bare cost of a refresh's calls: for `seconds`, `concurrency`
 *                           workers each repeat a refresh's calls on their own share of `ids`
 *                           (DescribeSecret; the provider call; PutSecretValue of the value read as
 *                           TGSTAGED; UpdateSecretVersionStage moving AWSCURRENT onto it), unpaced.
 *                           The provider call: with `provider` (a TigerGraph 3.x REST++ URL and its
 *                           secret) one POST /requesttoken over node:http with a keep-alive agent and
 *                           its JSON answer parsed, as a refresh's PUT is (a mint rather than a
 *                           refresh, so the probe needs no live token of its own; the same request
 *                           and answer shapes); without it a 20 ms pause. With `cyclesPerSecond`
 *                           the workers start cycles at that rate, as the sweep's write budget
 *                           paces its refreshes: the bare cost of a refresh's calls at the sweep's
 *                           pace (a process woken for each call costs more per call than one kept
 *                           busy).
 *
 * Returns counts only: no value leaves the function.
 */
import * as http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchGetSecretValueCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  type SecretListEntry,
} from '@aws-sdk/client-secrets-manager';
import pLimit from 'p-limit';
import { MANAGED_TAG } from '../../core/names.js';

const client = new SecretsManagerClient({ maxAttempts: Number(process.env.AWS_MAX_ATTEMPTS ?? 5) });

export interface FleetReadEvent {
  mode: 'per-secret' | 'batched' | 'write-probe';
  /** Secrets read at once in per-secret mode (the old sweep's default concurrency), workers in write-probe mode. Default 10. */
  concurrency?: number;
  /** write-probe: the secrets to write (each worker its own share) and for how long. */
  ids?: string[];
  seconds?: number;
  /** write-probe: make the provider call bare (TigerGraph 3.x REST++ base URL and secret) instead of pausing. */
  provider?: { url: string; secret: string };
  /** write-probe: start cycles at this rate across all workers (default: unpaced). */
  cyclesPerSecond?: number;
}

export interface FleetReadResult {
  checked: number;
  /** Secrets Manager calls made, by operation. */
  calls: Record<string, number>;
  /** Bytes of SecretString read (to show the values were really fetched). */
  bytes: number;
  /** write-probe: refresh-like write cycles completed, and provider calls that did not answer REST-0000. */
  refreshes?: number;
  providerErrors?: number;
  /**
   * write-probe: cycles completed and this process's CPU (ms) over the last two thirds of the run,
   * once the SDK's code is compiled and the connections are open: the steady cost per cycle.
   */
  steadyCycles?: number;
  steadyCpuMs?: number;
}

const agent = new http.Agent({ keepAlive: true });

/** One bare TigerGraph 3.x token call: POST /requesttoken, JSON in and out; true when it answered a token. */
function providerCall(provider: { url: string; secret: string }): Promise<boolean> {
  const body = JSON.stringify({ secret: provider.secret, lifetime: 2_592_000 });
  return new Promise((resolve, reject) => {
    const req = http.request(`${provider.url}/requesttoken`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: boolean; token?: string };
          resolve(answer.error === false && typeof answer.token === 'string');
        } catch (e) {
          reject(e as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function* listManaged(count: (op: string) => void): AsyncGenerator<SecretListEntry[]> {
  let nextToken: string | undefined;
  do {
    count('ListSecrets');
    const out = await client.send(
      new ListSecretsCommand({
        Filters: [
          { Key: 'tag-key', Values: [MANAGED_TAG] },
          { Key: 'tag-value', Values: ['true'] },
        ],
        MaxResults: 100,
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    yield (out.SecretList ?? []).filter((s) => (s.Tags ?? []).some((t) => t.Key === MANAGED_TAG && t.Value === 'true'));
    nextToken = out.NextToken;
  } while (nextToken);
}

/** Hands out start times `1000 / rate` ms apart to every worker (none when unpaced). */
function pacer(rate: number | undefined): () => Promise<void> {
  let next = performance.now();
  return async () => {
    if (!rate) return;
    const now = performance.now();
    const at = Math.max(next, now);
    next = at + 1000 / rate;
    if (at > now) await sleep(at - now);
  };
}

/** What the probe's workers share: when to stop, the pace, the provider, and the result they count into. */
interface ProbeRun {
  deadline: number;
  paced: () => Promise<void>;
  provider: FleetReadEvent['provider'];
  count: (op: string) => void;
  result: FleetReadResult & { refreshes: number };
}

/** One worker of the write probe: a refresh's calls, again and again, on its own ids. */
async function probeWorker(ids: string[], probe: ProbeRun): Promise<void> {
  const { deadline, paced, provider, count, result } = probe;
  const values = new Map<string, string>();
  for (const id of ids) {
    count('GetSecretValue');
    const out = await client.send(new GetSecretValueCommand({ SecretId: id }));
    values.set(id, out.SecretString ?? '{}');
  }
  for (let k = 0; performance.now() < deadline; k++) {
    await paced();
    if (performance.now() >= deadline) break;
    const id = ids[k % ids.length] as string;
    count('DescribeSecret');
    const described = await client.send(new DescribeSecretCommand({ SecretId: id }));
    const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) => stages?.includes('AWSCURRENT'))?.[0];
    if (provider) {
      if (!(await providerCall(provider))) result.providerErrors = (result.providerErrors ?? 0) + 1;
    } else {
      await sleep(20);
    }
    count('PutSecretValue');
    const put = await client.send(new PutSecretValueCommand({ SecretId: id, SecretString: values.get(id), VersionStages: ['TGSTAGED'] }));
    count('UpdateSecretVersionStage');
    await client.send(
      new UpdateSecretVersionStageCommand({ SecretId: id, VersionStage: 'AWSCURRENT', MoveToVersionId: put.VersionId, ...(current ? { RemoveFromVersionId: current } : {}) }),
    );
    result.refreshes++;
  }
}

export async function handler(event: FleetReadEvent): Promise<FleetReadResult> {
  const result: FleetReadResult = { checked: 0, calls: {}, bytes: 0 };
  const count = (op: string) => {
    result.calls[op] = (result.calls[op] ?? 0) + 1;
  };
  if (event.mode === 'write-probe') {
    const ids = event.ids ?? [];
    const workers = Math.max(1, Math.min(event.concurrency ?? 10, ids.length));
    const seconds = event.seconds ?? 10;
    const shares = Array.from({ length: workers }, (_, w) => ids.filter((_, i) => i % workers === w));
    const probe: ProbeRun = { deadline: performance.now() + seconds * 1000, paced: pacer(event.cyclesPerSecond), provider: event.provider, count, result: Object.assign(result, { refreshes: 0 }) };
    let warm: { cycles: number; cpu: NodeJS.CpuUsage } | undefined;
    const warmTimer = setTimeout(() => (warm = { cycles: probe.result.refreshes, cpu: process.cpuUsage() }), (seconds * 1000) / 3);
    await Promise.all(shares.map((share) => probeWorker(share, probe)));
    clearTimeout(warmTimer);
    if (warm) {
      const cpu = process.cpuUsage(warm.cpu);
      probe.result.steadyCycles = probe.result.refreshes - warm.cycles;
      probe.result.steadyCpuMs = Math.round((cpu.user + cpu.system) / 1000);
    }
    probe.result.checked = ids.length;
    return probe.result;
  }
  const limit = pLimit(event.concurrency ?? 10);
  for await (const page of listManaged(count)) {
    const arns = page.map((s) => s.ARN).filter((a): a is string => typeof a === 'string');
    if (event.mode === 'batched') {
      for (let i = 0; i < arns.length; i += 20) {
        count('BatchGetSecretValue');
        const out = await client.send(new BatchGetSecretValueCommand({ SecretIdList: arns.slice(i, i + 20) }));
        for (const v of out.SecretValues ?? []) result.bytes += v.SecretString?.length ?? 0;
        result.checked += out.SecretValues?.length ?? 0;
      }
      continue;
    }
    await Promise.all(
      arns.map((arn) =>
        limit(async () => {
          for (const stage of ['AWSCURRENT', 'AWSPREVIOUS']) {
            count('GetSecretValue');
            try {
              const out = await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }));
              result.bytes += out.SecretString?.length ?? 0;
            } catch (e) {
              // No AWSPREVIOUS yet: the old sweep read it all the same.
              if ((e as { name?: string }).name !== 'ResourceNotFoundException') throw e;
            }
          }
          result.checked++;
        }),
      ),
    );
  }
  return result;
}
