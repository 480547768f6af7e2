/**
 * Issue 22, deploy safety: a deploy must not rotate. A no-op redeploy changes no rotation schedule
 * and no custom-resource property (so CloudFormation sends the settings resource no Update); a change
 * of a rotation interval alone changes that schedule's rules only, and no schedule rotates on
 * update (RotateImmediatelyOnUpdate false: CloudFormation then only has Secrets Manager test the
 * configuration); renaming a connection keeps exactly one schedule per token secret.
 */
import { describe, expect, it } from 'vitest';
import type { TokenRotationConfigInput } from '../../infra/config.js';
import { exampleConfig, synthesize, SYNTH_TIMEOUT_MS } from './helpers.js';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
const resources = (config: TokenRotationConfigInput): Resources => synthesize(config).template.toJSON().Resources as Resources;
const ofType = (r: Resources, type: string) => Object.fromEntries(Object.entries(r).filter(([, v]) => v.Type === type));
/** Logical ids whose resource (type or properties) differs between two templates, or exists in one only. */
function changed(a: Resources, b: Resources): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((id) => JSON.stringify(a[id]) !== JSON.stringify(b[id])).sort();
}

describe('deploy safety', { timeout: SYNTH_TIMEOUT_MS }, () => {
  const base = exampleConfig();
  const first = resources(base);

  it('every rotation schedule waits for its window when updated (RotateImmediatelyOnUpdate false)', () => {
    const schedules = Object.values(ofType(first, 'AWS::SecretsManager::RotationSchedule'));
    expect(schedules).toHaveLength(base.connections.length);
    for (const s of schedules) expect(s.Properties?.RotateImmediatelyOnUpdate).toBe(false);
  });

  it('a no-op redeploy changes nothing: no rotation schedule, no custom-resource property, no other resource', () => {
    const again = resources(exampleConfig());
    expect(changed(first, again)).toEqual([]);
    expect(ofType(again, 'Custom::TokenSecretSettings')).toEqual(ofType(first, 'Custom::TokenSecretSettings'));
    expect(ofType(again, 'AWS::SecretsManager::RotationSchedule')).toEqual(ofType(first, 'AWS::SecretsManager::RotationSchedule'));
  });

  it('a change of one rotation interval changes that schedule’s rules only: no custom-resource property, no other resource', () => {
    const config = exampleConfig();
    config.connections[0]!.rotationIntervalHours = 72;
    const after = resources(config);
    const diff = changed(first, after);
    expect(diff).toHaveLength(1);
    const [id] = diff;
    expect(first[id!]!.Type).toBe('AWS::SecretsManager::RotationSchedule');
    const { RotationRules: before, ...restBefore } = first[id!]!.Properties!;
    const { RotationRules: now, ...restAfter } = after[id!]!.Properties!;
    expect(restAfter).toEqual(restBefore);
    expect(now).not.toEqual(before);
    expect(after[id!]!.Properties!.RotateImmediatelyOnUpdate).toBe(false);
    expect(ofType(after, 'Custom::TokenSecretSettings')).toEqual(ofType(first, 'Custom::TokenSecretSettings'));
  });

  it('renaming a connection keeps exactly one rotation schedule per token secret, none for another secret', () => {
    const config = exampleConfig();
    config.connections[0]!.name = 'insights';
    const after = resources(config);
    const secrets = ofType(after, 'AWS::SecretsManager::Secret');
    const tokenSecrets = Object.entries(secrets).filter(([, s]) => /\/token$/.test(String(s.Properties?.Name))).map(([id]) => id).sort();
    expect(tokenSecrets).toHaveLength(config.connections.length);
    const scheduled = Object.values(ofType(after, 'AWS::SecretsManager::RotationSchedule')).map((s) => (s.Properties!.SecretId as { Ref: string }).Ref).sort();
    expect(scheduled).toEqual(tokenSecrets);
    // The renamed connection's secret is a new one, and the old one's schedule left with it.
    expect(Object.values(secrets).map((s) => s.Properties?.Name)).toContain('tg-token-rotation/insights/token');
    expect(Object.values(secrets).map((s) => s.Properties?.Name)).not.toContain('tg-token-rotation/analytics/token');
  });
});
