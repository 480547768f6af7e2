/**
 * A rotation's outcome as Secrets Manager shows it (issue 22): on AWS, RotateSecret only starts a
 * rotation, so whoever started one learns how it ended from the secret itself: the new version
 * became AWSCURRENT (finished), or the rotation function's failure record names the version
 * (failed), or neither yet (running). A record that names the version but was there before the
 * rotation was (re-)started (`staleFailure`) is the old outcome, not this one.
 *
 * The sweep starts rotations without waiting for them, then looks at the ones it started before it
 * returns (`rotationOutcomes`), so a rotation that fails at once (an outage of the token API, a
 * credential the deployment did not bind) is listed in `failed`, and one still running is counted
 * as pending rather than as rotated.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { Deps } from '../deps.js';
import { ROTATION_ERROR_TAG } from '../names.js';
import { AWSCURRENT, type SecretDescription } from '../secrets/store.js';

export type RotationOutcome = { state: 'finished' } | { state: 'failed'; reason: string } | { state: 'running' };

export function rotationOutcome(description: Pick<SecretDescription, 'versions' | 'tags'>, versionId: string, staleFailure?: string): RotationOutcome {
  if ((description.versions[versionId] ?? []).includes(AWSCURRENT)) return { state: 'finished' };
  const failure = description.tags[ROTATION_ERROR_TAG];
  if (failure?.startsWith(`${versionId} `) && failure !== staleFailure) return { state: 'failed', reason: failure.slice(versionId.length + 1) };
  return { state: 'running' };
}

/** A rotation a sweep started. */
export interface StartedRotation {
  secretId: string;
  versionId: string;
  /** The failure record that already named this version when it was re-driven. */
  staleFailure?: string;
}

export interface OutcomeOptions {
  /** Longest real time to keep looking for outcomes, in ms; 0: one look. */
  waitMs: number;
  /** DescribeSecret calls at once. */
  concurrency: number;
  /** Longest delay between two looks at the rotations still running (they start at 250 ms and double). */
  maxPollMs?: number;
}

/**
 * Looks at each started rotation until it finished or failed, or `waitMs` is spent; resolves each
 * rotation's outcome ('running' when the wait ran out). A look that fails leaves it 'running'.
 */
export async function rotationOutcomes(started: readonly StartedRotation[], deps: Pick<Deps, 'store'>, options: OutcomeOptions): Promise<Map<StartedRotation, RotationOutcome>> {
  const outcomes = new Map<StartedRotation, RotationOutcome>(started.map((s) => [s, { state: 'running' } as RotationOutcome]));
  const limit = pLimit(options.concurrency);
  const begun = performance.now();
  let unresolved = [...started];
  for (let round = 0; unresolved.length > 0; round++) {
    await Promise.all(
      unresolved.map((s) =>
        limit(async () => {
          try {
            outcomes.set(s, rotationOutcome(await deps.store.describe(s.secretId), s.versionId, s.staleFailure));
          } catch {
            // Unknown for now: looked at again in the next round, or reported pending.
          }
        }),
      ),
    );
    unresolved = unresolved.filter((s) => outcomes.get(s)?.state === 'running');
    const left = options.waitMs - (performance.now() - begun);
    if (unresolved.length === 0 || left <= 0) break;
    await sleep(Math.min(left, 250 * 2 ** round, options.maxPollMs ?? 4_000));
  }
  return outcomes;
}
