/**
 * Shared by the tests that start in-process fakes (test/providers/*): fakes started per test and
 * closed after each, plain-fetch calls to them, and catching a rejection.
 */
import { afterEach } from 'vitest';

/**
 * Registers per-test cleanup (call at the top of a file or describe) and returns `start`, wrapped:
 * every fake it starts is closed after the test that started it.
 */
export function closedAfterEach<O extends unknown[], F extends { close(): Promise<void> }>(
  start: (...options: O) => Promise<F>,
): (...options: O) => Promise<F> {
  const started: F[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((f) => f.close()));
  });
  return async (...options) => {
    const fake = await start(...options);
    started.push(fake);
    return fake;
  };
}

/** Awaits a rejection and returns the error (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the promise to reject');
}

/** A Basic Authorization header value. */
export const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

/** One fetch: the status, the body as a JSON object (undefined when it is not JSON) and as text. */
export async function call(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> | undefined; text: string }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}
