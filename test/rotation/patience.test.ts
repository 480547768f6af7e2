/** proveFreshToken's schedule (issue 22): back-off from 0.5 s doubling to 8 s, bounded by the patience and the invocation. */
import { describe, expect, it } from 'vitest';
import { PATIENCE_MARGIN_MS, proveFreshToken } from '../../core/rotation/patience.js';

/** A fake monotonic clock moved only by the waits, and a server that accepts from `acceptAtMs` on. */
function scenario(acceptAtMs: number) {
  let now = 0;
  const waits: number[] = [];
  const tries: number[] = [];
  return {
    waits,
    tries,
    provider: { verify: async () => (tries.push(now), now >= acceptAtMs) },
    patience: (seconds: number, remainingMs?: number) => ({
      seconds,
      now: () => now,
      wait: async (ms: number) => {
        waits.push(ms);
        now += ms;
      },
      ...(remainingMs !== undefined ? { remainingTimeMs: () => remainingMs - now } : {}),
    }),
  };
}
const held = { token: 't', fields: {} };

describe('proveFreshToken', () => {
  it('one call when the token is accepted at once', async () => {
    const s = scenario(0);
    expect(await proveFreshToken(s.provider, held, s.patience(60))).toEqual({ accepted: true, tries: 1, waitedMs: 0 });
  });

  it('backs off 0.5, 1, 2, 4 s until the server accepts (after 5 s here)', async () => {
    const s = scenario(5_000);
    expect(await proveFreshToken(s.provider, held, s.patience(60))).toMatchObject({ accepted: true, tries: 5 });
    expect(s.waits).toEqual([500, 1_000, 2_000, 4_000]);
  });

  it('gives up at the patience, trying one last time on the deadline itself; delays are capped at 8 s', async () => {
    const s = scenario(Number.POSITIVE_INFINITY);
    expect(await proveFreshToken(s.provider, held, s.patience(30))).toMatchObject({ accepted: false, waitedMs: 30_000 });
    expect(s.waits).toEqual([500, 1_000, 2_000, 4_000, 8_000, 8_000, 6_500]);
    expect(s.tries.at(-1)).toBe(30_000);
  });

  it('the invocation’s remaining time less the margin bounds it below the setting', async () => {
    const s = scenario(Number.POSITIVE_INFINITY);
    expect(await proveFreshToken(s.provider, held, s.patience(60, PATIENCE_MARGIN_MS + 3_000))).toMatchObject({ accepted: false, waitedMs: 3_000 });
  });

  it('no patience, or no time left: one try', async () => {
    for (const p of [scenario(1).patience(0), scenario(1).patience(60, PATIENCE_MARGIN_MS - 1)]) {
      const s = scenario(1);
      expect(await proveFreshToken(s.provider, held, { ...p, now: () => 0 })).toMatchObject({ accepted: false, tries: 1 });
    }
  });

  it('a fault other than a refusal is thrown at once (the transport has its own retries)', async () => {
    const provider = { verify: async () => Promise.reject(new Error('socket hang up')) };
    await expect(proveFreshToken(provider, held, { seconds: 60 })).rejects.toThrow('socket hang up');
  });
});
