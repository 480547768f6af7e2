/**
 * The provider seam is closed at the edges: the functions, the deployment and the consumer library
 * know a provider only through its definition (registry.ts) and its edge (edges.ts), so a new
 * provider needs no change in any of them (docs/adding-a-provider.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { providerEdge, providerNames as edgeNames } from '../../core/providers/edges.js';
import { allProviderDefinitions, providerNames } from '../../core/providers/registry.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every .ts file under `dir`, relative to the repository root. */
function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.posix.join(dir, f.split(path.sep).join('/')));
}

/** The code of a file without its comments (a provider named in prose is not a check). */
function code(file: string): string {
  return readFileSync(path.join(ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('the provider seam', () => {
  it("lists the same providers for the functions and the consumer, each definition carrying the consumer's edge", () => {
    expect(edgeNames()).toEqual(providerNames());
    for (const definition of allProviderDefinitions()) {
      expect(definition.edge, definition.name).toBe(providerEdge(definition.name));
      expect(definition.edge.name).toBe(definition.name);
    }
  });

  it('names no provider in code outside the provider folders and the two tables', () => {
    const providerFolders = providerNames().map((n) => `core/providers/${n}/`);
    const tables = ['core/providers/registry.ts', 'core/providers/edges.ts'];
    const files = ['core', 'functions', 'infra', 'consumer'].flatMap(sources).filter((f) => !tables.includes(f) && !providerFolders.some((dir) => f.startsWith(dir)));
    expect(files.length).toBeGreaterThan(50);
    const literal = new RegExp(`(['"\`])(${providerNames().join('|')})\\1`);
    const naming = files.filter((f) => literal.test(code(f)));
    expect(naming).toEqual([]);
  });
});
