/** Pure readers of TigerGraph answers (core/providers/tigergraph/answers.ts): fields in either form, the 3.x expiry guards, the 4.x unit test, REST++ refusals. */
import { describe, expect, it } from 'vitest';
import type { HttpResult } from '../../../core/http/transport.js';
import { expiry3, isRefusal, numberField, readAsMilliseconds, stringField } from '../../../core/providers/tigergraph/answers.js';

describe('stringField and numberField', () => {
  it('a non-empty string, else undefined', () => {
    expect(stringField('x')).toBe('x');
    for (const v of ['', 1, null, undefined, {}]) expect(stringField(v)).toBeUndefined();
  });

  it('a finite number, or a decimal string (signed, padded) read as one', () => {
    expect(numberField(12)).toBe(12);
    expect(numberField('12')).toBe(12);
    expect(numberField(' -3.5 ')).toBe(-3.5);
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, '1e3', '12a', '', '.5', '1.', null, true]) expect(numberField(v)).toBeUndefined();
  });
});

describe('expiry3', () => {
  const now = Date.parse('2030-01-01T00:00:00.000Z');

  it('seconds from 1e9 on, milliseconds above 1e12, and a lifetime counted from now below 1e9', () => {
    expect(expiry3(1e9, now).getTime()).toBe(1e12);
    expect(expiry3(1e12, now).getTime()).toBe(1e15);
    expect(expiry3(1e12 + 1, now).getTime()).toBe(1e12 + 1);
    expect(expiry3(1e9 - 1, now).getTime()).toBe(now + (1e9 - 1) * 1000);
  });
});

describe('readAsMilliseconds', () => {
  it('a span of about a thousandth of the lifetime (within 2 s) is a lifetime read as milliseconds', () => {
    expect(readAsMilliseconds(3_600, 3_600_000)).toBe(true);
    expect(readAsMilliseconds(3_602, 3_600_000)).toBe(true);
    expect(readAsMilliseconds(3_603, 3_600_000)).toBe(false);
    expect(readAsMilliseconds(3_600_000, 3_600_000)).toBe(false);
  });

  it('never for an unknown span, a lifetime under 10 s, or a span not under a tenth of the lifetime', () => {
    expect(readAsMilliseconds(undefined, 3_600_000)).toBe(false);
    expect(readAsMilliseconds(0, 9)).toBe(false);
    expect(readAsMilliseconds(1, 10)).toBe(false);
    expect(readAsMilliseconds(0, 10)).toBe(true);
    expect(readAsMilliseconds(2, 20)).toBe(false);
  });
});

describe('isRefusal', () => {
  const res = (status: number, body: unknown) => ({ status, body }) as unknown as HttpResult;

  it('REST-10016 or REST-10019 whatever the status, or 401/403', () => {
    expect(isRefusal(res(200, { code: 'REST-10016' }))).toBe(true);
    expect(isRefusal(res(500, { code: 'REST-10019' }))).toBe(true);
    expect(isRefusal(res(401, {}))).toBe(true);
    expect(isRefusal(res(403, 'text'))).toBe(true);
  });

  it('not another code or status', () => {
    expect(isRefusal(res(200, { code: 'REST-10015' }))).toBe(false);
    expect(isRefusal(res(404, { code: 10016 }))).toBe(false);
    expect(isRefusal(res(500, undefined))).toBe(false);
  });
});
