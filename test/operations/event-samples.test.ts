/** events/emitted/: one sample per change event type, each as EventBridge delivers it and as the schema allows. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANGE_EVENT_TYPES, changeEventDetailSchema, connectionName } from '../../core/events.js';
import { EVENT_SOURCE } from '../../core/names.js';

const DIR = 'events/emitted';
const samples = readdirSync(DIR).map((f) => [f, JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Record<string, unknown>] as const);

describe('change event samples', () => {
  it('has exactly one sample per detail-type, named after it', () => {
    expect(samples.map(([, e]) => e['detail-type']).sort()).toEqual([...CHANGE_EVENT_TYPES].sort());
    for (const [file, e] of samples) expect(file).toBe(`${String(e['detail-type']).toLowerCase().replace(/\s+/g, '-')}.json`);
  });

  it.each(samples)('%s: the envelope EventBridge delivers, and a detail the schema accepts', (_file, e) => {
    expect(e).toMatchObject({ version: '0', source: EVENT_SOURCE, 'detail-type': expect.any(String), time: expect.any(String) });
    const detail = changeEventDetailSchema.parse(e.detail);
    expect(e.resources).toEqual([detail.secretArn]);
    expect(detail.connection).toBe(connectionName(detail.secretArn));
  });

  it('the schema refuses any field it does not name (a token could not ride along)', () => {
    const detail = (samples[0]?.[1].detail ?? {}) as Record<string, unknown>;
    expect(changeEventDetailSchema.safeParse({ ...detail, token: 'x' }).success).toBe(false);
    expect(changeEventDetailSchema.safeParse({ ...detail, fingerprint: 'x' }).success).toBe(false);
  });
});
