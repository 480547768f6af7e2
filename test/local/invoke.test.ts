/** Every sample event runs through `npm run invoke`: valid ones succeed, invalid ones fail clearly. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import { runNpm, WHOLE_TOKEN } from './run-npm.js';

// Each case starts `npm run invoke` (npm, tsx, a local stack): two at a time, so on a busy
// two-core runner none waits on twenty others; the timeout covers the wait in the queue.
const oneAtATime = pLimit(2);
const invokeNpm = (args: string[]) => oneAtATime(() => runNpm(args));
const QUEUED_TIMEOUT_MS = 240_000;

const folders = ['rotation', 'scheduled-refresh', 'on-demand'] as const;
const valid = folders.flatMap((fn) => readdirSync(join('events', fn)).map((f) => [fn, join('events', fn, f)] as const));

const invalid: Record<string, { fn: string; field: RegExp }> = {
  'on-demand-missing-secret-id.json': { fn: 'on-demand', field: /secretId/ },
  'on-demand-unknown-action.json': { fn: 'on-demand', field: /action: expected one of/ },
  'on-demand-bad-lifetime.json': { fn: 'on-demand', field: /lifetimeSeconds/ },
  'rotation-unknown-step.json': { fn: 'rotation', field: /Step: expected one of/ },
  'rotation-missing-token.json': { fn: 'rotation', field: /ClientRequestToken/ },
  'scheduled-secret-ids-not-a-list.json': { fn: 'scheduled-refresh', field: /secretIds: expected array/ },
  'on-demand-raw-token.json': { fn: 'on-demand', field: /token: a raw token is not accepted.*versionId.*tokenSha256/ },
  'on-demand-version-and-digest.json': { fn: 'on-demand', field: /tokenSha256: expected either versionId or tokenSha256/ },
  'on-demand-pause-without-reason.json': { fn: 'on-demand', field: /reason: expected a non-empty string saying why \(required for "pause"\)/ },
};

describe('sample events', () => {
  it('has a sample for each rotation step, both scheduled shapes and each on-demand action', () => {
    expect(valid.map(([, f]) => f).sort()).toEqual(
      expect.arrayContaining([
        'events/rotation/createSecret.json',
        'events/rotation/finishSecret.json',
        'events/scheduled-refresh/eventbridge-scheduled-event.json',
        'events/scheduled-refresh/scheduler-secret-ids.json',
        'events/on-demand/status.json',
        'events/on-demand/request.json',
        'events/on-demand/refresh.json',
        'events/on-demand/delete.json',
        'events/on-demand/status-fleet.json',
        'events/on-demand/status-trifacta.json',
        'events/on-demand/refresh-ica.json',
        'events/scheduled-refresh/distributed-map-batch.json',
        'events/on-demand/pause.json',
        'events/on-demand/resume.json',
        'events/on-demand/plan.json',
        'events/on-demand/plan-fleet.json',
        'events/on-demand/rollback.json',
      ]),
    );
    expect(readdirSync('events/invalid').sort()).toEqual(Object.keys(invalid).sort());
  });

  it.concurrent.each(valid)('%s %s succeeds through npm run invoke', { timeout: QUEUED_TIMEOUT_MS }, async (fn, file) => {
    const { code, stdout, stderr } = await invokeNpm(['invoke', '--', fn, file]);
    expect(stderr).not.toMatch(/Error:/);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as Record<string, unknown>;
    if (fn === 'scheduled-refresh') expect(result).toMatchObject({ failed: [], skipped: 0 });
    if (fn === 'rotation') expect(result).toMatchObject({ step: expect.any(String), outcome: expect.any(String) });
    if (file.endsWith('rollback.json')) expect(result).toMatchObject({ rolledBack: true });
    if (file.endsWith('pause.json')) expect(result).toMatchObject({ paused: true, secondsLeft: 14_400 });
    expect(stdout).not.toMatch(WHOLE_TOKEN);
  });

  it.concurrent.each(Object.entries(invalid))('%s fails with a ValidationError naming the field', { timeout: QUEUED_TIMEOUT_MS }, async (file, { fn, field }) => {
    const { code, stdout, stderr } = await invokeNpm(['invoke', '--', fn, join('events/invalid', file)]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/ValidationError: /);
    expect(stderr).toMatch(field);
    expect(stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  it('explains bad usage without a stack trace', async () => {
    const unknown = await runNpm(['invoke', '--', 'rotate', 'events/on-demand/status.json']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/expected one of rotation, scheduled-refresh, on-demand/);
    const missing = await runNpm(['invoke', '--', 'on-demand', 'events/nope.json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read event file events\/nope.json/);
  });
});
