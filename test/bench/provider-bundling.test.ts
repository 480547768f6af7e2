/**
 * A deployment's bundles carry only the provider families its connections use
 * (core/providers/bundled.ts, infra/bundling.ts): with a family's flag off, esbuild leaves out its
 * code, and a secret naming it fails with an error that names the provider and says the deployment
 * has no connection of that kind. Built with the functions' own options from a small entry that
 * imports the registry, then run.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { esbuildOptionsFor, PROJECT_ROOT } from '../../infra/bundling.js';
import { providerBundleFlag, providerDefines } from '../../core/providers/bundled.js';
import { builtInProviderNames, providerNames } from '../../core/providers/edges.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'tg-provider-bundling-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const FAMILIES = builtInProviderNames();

async function buildRegistry(
  name: string,
  providers: readonly string[] | undefined,
  contents = "export { providerDefinition, providerNames } from './core/providers/registry.ts';",
): Promise<{ file: string; inputs: Record<string, number> }> {
  const outfile = path.join(scratch, name, 'index.mjs');
  const { entryPoints: _entry, ...options } = esbuildOptionsFor('index.ts', outfile, undefined, providers);
  const result = await build({
    ...options,
    stdin: { contents, resolveDir: PROJECT_ROOT, sourcefile: 'entry.ts', loader: 'ts' },
    metafile: true,
  });
  const output = Object.values(result.metafile.outputs)[0];
  return { file: outfile, inputs: Object.fromEntries(Object.entries(output?.inputs ?? {}).map(([f, i]) => [f, i.bytesInOutput])) };
}

/**
 * Bytes of a family's code in the output, its edge (the consumer's table, always there) left out. A
 * left-out family keeps a few hundred bytes of module-level statements esbuild cannot prove pure.
 */
const familyBytes = (inputs: Record<string, number>, family: string): number =>
  Object.entries(inputs)
    .filter(([f]) => f.startsWith(`core/providers/${family}/`) && !f.endsWith('/edge.ts'))
    .reduce((sum, [, bytes]) => sum + bytes, 0);
const LEFT_OUT_MAX = 1_000;

describe('provider families per deployment', () => {
  it('has a flag for every built-in provider and no define without a provider list', () => {
    expect(FAMILIES.sort()).toEqual(providerNames().sort());
    expect(providerDefines(undefined)).toBeUndefined();
    expect(providerDefines(['tigergraph', 'fourth'])).toEqual({ TG_PROVIDER_TIGERGRAPH: 'true', TG_PROVIDER_TRIFACTA: 'false', TG_PROVIDER_ICA: 'false' });
  });

  it("declares each family's derived flag in the registry (a define replaces only an identifier written out)", () => {
    const registry = readFileSync(path.join(PROJECT_ROOT, 'core/providers/registry.ts'), 'utf8');
    for (const family of FAMILIES) expect(registry, family).toContain(`declare const ${providerBundleFlag(family)}: boolean | undefined;`);
  });

  it('bundles every family without a list, and only the listed one with it', { timeout: 60_000 }, async () => {
    const all = await buildRegistry('all', undefined);
    for (const family of FAMILIES) expect(familyBytes(all.inputs, family), family).toBeGreaterThan(5 * LEFT_OUT_MAX);
    for (const kept of FAMILIES) {
      const one = await buildRegistry(kept, [kept]);
      for (const family of FAMILIES) {
        const bytes = familyBytes(one.inputs, family);
        // Kept: all of it (minified names may differ by a few bytes).
        if (family === kept) expect(bytes, `${kept}: ${family}`).toBeGreaterThan(familyBytes(all.inputs, family) - 100);
        else expect(bytes, `${kept}: ${family}`).toBeLessThan(LEFT_OUT_MAX);
      }
    }
  });

  it('leaves the registry and every family out of a bundle that imports it but never asks for a provider (fleet-list)', { timeout: 60_000 }, async () => {
    const unused = await buildRegistry('unused', undefined, "import './core/providers/registry.ts';");
    for (const family of FAMILIES) expect(familyBytes(unused.inputs, family), family).toBeLessThan(LEFT_OUT_MAX);
  });

  it('refuses a secret naming a family the deployment left out, naming the provider and the missing connection', { timeout: 60_000 }, async () => {
    const { file } = await buildRegistry('tigergraph-run', ['tigergraph']);
    const registry = (await import(pathToFileURL(file).href)) as typeof import('../../core/providers/registry.js');
    expect(registry.providerNames()).toEqual(['tigergraph']);
    expect(registry.providerDefinition('tigergraph').name).toBe('tigergraph');
    expect(() => registry.providerDefinition('trifacta')).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'provider', message: expect.stringMatching(/provider "trifacta".*the deployment has no trifacta connection/) }),
    );
    expect(() => registry.providerDefinition('nonesuch')).toThrow(/expected one of "tigergraph"/);
  });
});
