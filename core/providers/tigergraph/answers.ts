/**
 * Pure readers of TigerGraph answers: numbers and strings that arrive in either form, the 3.x
 * expiry guards, the 4.x lifetime-unit test and the REST++ refusal test. No I/O.
 */
import { asRecord } from '../../http/failures.js';
import type { HttpResult } from '../../http/transport.js';

export function stringField(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export function numberField(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

/**
 * 3.x `expiration` is unix seconds. Guards: a value above 1e12 is milliseconds; a value below
 * 1e9 (before 2001) cannot be a timestamp and is the lifetime itself (the 3.2 refresh bug), so
 * it counts from now.
 */
export function expiry3(expiration: number, nowMs: number): Date {
  if (expiration > 1e12) return new Date(expiration);
  if (expiration >= 1e9) return new Date(expiration * 1000);
  return new Date(nowMs + expiration * 1000);
}

/** True when a JWT that should live `lifetime` seconds lives about lifetime/1000 seconds instead. */
export function readAsMilliseconds(span: number | undefined, lifetime: number): boolean {
  if (span === undefined || lifetime < 10) return false;
  return span <= lifetime / 1000 + 2 && span < lifetime / 10;
}

/** REST++ refusing a token: REST-10016/10019, or 401/403 (the status varies by version). */
export function isRefusal(res: HttpResult): boolean {
  const code = asRecord(res.body)?.code;
  if (typeof code === 'string' && (code === 'REST-10016' || code === 'REST-10019')) return true;
  return res.status === 401 || res.status === 403;
}
