/** The operational settings (core/settings.ts): the parameter's value parsed or refused by field, and a token secret's own overrides. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import { DEFAULT_SETTINGS_PARAMETER } from '../core/names.js';
import { DEFAULT_SETTINGS, parseSettings, settingsFor } from '../core/settings.js';
import type { TokenSecret } from '../core/secrets/token-secret.js';

const refusal = (value: unknown, source?: string) => {
  try {
    parseSettings(value, source);
  } catch (e) {
    return e as ValidationError;
  }
  throw new Error('accepted');
};

describe('parseSettings', () => {
  it('no value (undefined, null, an empty string) is the defaults', () => {
    for (const v of [undefined, null, '']) expect(parseSettings(v)).toBe(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toMatchObject({ refreshBeforeSeconds: 259_200, revokeGraceSeconds: 3_600, pendingTokenAttempts: 3, newTokenPatienceSeconds: 60 });
  });

  it('a JSON string or an object, with defaults for what it leaves out', () => {
    expect(parseSettings('{"refreshBeforeSeconds": 7200}')).toEqual({ ...DEFAULT_SETTINGS, refreshBeforeSeconds: 7_200 });
    expect(parseSettings({ revokeGraceSeconds: 0 })).toEqual({ ...DEFAULT_SETTINGS, revokeGraceSeconds: 0 });
  });

  it('a string that is not JSON: a ValidationError naming the parameter and what is expected', () => {
    const e = refusal('{refreshBeforeSeconds: 1}', '/custom/config');
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe('settings /custom/config is not valid JSON: expected {"refreshBeforeSeconds": n, "revokeGraceSeconds": n, "concurrency": n}');
    expect(refusal('nope').message).toContain(`settings ${DEFAULT_SETTINGS_PARAMETER} is not valid JSON`);
  });

  it('a field out of range: a ValidationError naming the parameter and the field, never the value', () => {
    const e = refusal({ refreshBeforeSeconds: -12_345 });
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.field).toBe('refreshBeforeSeconds');
    expect(e.message).toMatch(new RegExp(`^settings ${DEFAULT_SETTINGS_PARAMETER} is invalid: refreshBeforeSeconds: `));
    expect(e.message).not.toContain('12345');
  });
});

describe('settingsFor', () => {
  const secret = (fields: Record<string, unknown>) => ({ host: 'https://h', credentialSecretId: 'c', ...fields }) as unknown as TokenSecret;

  it('each field the secret sets overrides the settings for that secret; the others stay', () => {
    expect(settingsFor(secret({}), DEFAULT_SETTINGS)).toEqual(DEFAULT_SETTINGS);
    expect(settingsFor(secret({ refreshBeforeSeconds: 10 }), DEFAULT_SETTINGS)).toEqual({ ...DEFAULT_SETTINGS, refreshBeforeSeconds: 10 });
    expect(settingsFor(secret({ revokeGraceSeconds: 0 }), DEFAULT_SETTINGS)).toEqual({ ...DEFAULT_SETTINGS, revokeGraceSeconds: 0 });
    expect(settingsFor(secret({ routineRevokeMinRemainingSeconds: 5 }), DEFAULT_SETTINGS)).toEqual({ ...DEFAULT_SETTINGS, routineRevokeMinRemainingSeconds: 5 });
  });
});
