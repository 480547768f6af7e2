/**
 * Time source for everything that compares against "now" (expiry windows, grace periods), so the
 * local run and tests can move time forward without sleeping. Production uses the system clock.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, UTC. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Real time plus an adjustable offset: it keeps ticking, and `advance` jumps ahead. */
export class OffsetClock implements Clock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}

let current: Clock = systemClock;

/** The clock handlers use. Only local runs and tests replace it. */
export function currentClock(): Clock {
  return current;
}

export function setClock(clock: Clock): void {
  current = clock;
}
