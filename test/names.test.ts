/** A function's service name (core/names.ts): the `service` dimension of its metrics and logs. */
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, PRODUCT, serviceName } from '../core/names.js';
describe('serviceName', () => {
  it('the product and the function: the `service` of its metrics and logs', () => {
    expect(FUNCTION_NAMES.map(serviceName)).toEqual(FUNCTION_NAMES.map((fn) => `${PRODUCT}-${fn}`));
    expect(serviceName('on-demand')).toBe('tg-token-rotation-on-demand');
  });
});
