/**
 * The construct bundles only the provider families its connections use: it hands their names to
 * infra/bundling.ts (cdkBundlingProps), which turns them into esbuild defines
 * (test/bench/provider-bundling.test.ts shows what the defines leave out, and bundling.test.ts that
 * NodejsFunction builds the same bytes). With tag discovery, every family.
 */
import { describe, expect, it, vi } from 'vitest';
import * as bundling from '../../infra/bundling.js';
import { exampleConfig, synthesize } from './helpers.js';

vi.mock('../../infra/bundling.js', async (importOriginal) => {
  const actual = await importOriginal<typeof bundling>();
  return { ...actual, cdkBundlingProps: vi.fn(actual.cdkBundlingProps) };
});

function providersPassed(config: Parameters<typeof synthesize>[0]): Array<readonly string[] | undefined> {
  const spy = vi.mocked(bundling.cdkBundlingProps);
  spy.mockClear();
  synthesize(config);
  expect(spy.mock.calls.length).toBeGreaterThan(0);
  return spy.mock.calls.map((call) => call[1]);
}

describe('provider families per deployment', () => {
  it('passes the providers of the connections, once each, to every function', () => {
    const tigergraphOnly = { connections: [{ name: 'a', host: 'https://a.example.com' }, { name: 'b', provider: 'tigergraph', host: 'https://b.example.com' }] };
    const calls = providersPassed(tigergraphOnly);
    for (const providers of calls) expect(providers).toEqual(['tigergraph']);
    for (const call of vi.mocked(bundling.cdkBundlingProps).mock.results) {
      expect(call.value).toMatchObject({ define: { TG_PROVIDER_TIGERGRAPH: 'true', TG_PROVIDER_TRIFACTA: 'false', TG_PROVIDER_ICA: 'false' } });
    }
    expect(providersPassed(exampleConfig()).every((p) => JSON.stringify(p) === JSON.stringify(['tigergraph', 'trifacta', 'ica']))).toBe(true);
  });

  it('bundles every family with tag discovery (a managed secret may come from outside the connections)', () => {
    const calls = providersPassed({ discoverSecretsByTag: true, connections: [{ name: 'a', host: 'https://a.example.com' }] });
    for (const providers of calls) expect(providers).toBeUndefined();
    for (const call of vi.mocked(bundling.cdkBundlingProps).mock.results) expect(call.value).not.toHaveProperty('define');
  });
});
