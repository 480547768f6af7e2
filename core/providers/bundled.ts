/**
 * Which built-in provider families a Lambda bundle carries. The construct knows at synth which
 * providers its connections use; it passes one esbuild `define` per family (infra/bundling.ts),
 * registry.ts tests each flag, and esbuild drops a family whose flag is `false` with everything
 * only it imports (its client, its schemas). Unbundled code (tsx, vitest, `npm start`) has no
 * define: every family is there. The flag's name is derived from the provider's (providerBundleFlag) and
 * written out in registry.ts (a define replaces an identifier, not a computed name); test/bench/provider-bundling.test.ts builds with
 * each flag off and checks the family is gone.
 */
import { builtInProviderNames } from './edges.js';

/**
 * The esbuild define of a built-in family: `TG_PROVIDER_` and its name in capitals. Derived, so a
 * new provider needs no entry here: its name in edges.ts and its guarded line in registry.ts.
 */
export function providerBundleFlag(name: string): string {
  return `TG_PROVIDER_${name.toUpperCase()}`;
}

/**
 * The esbuild `define` for a deployment whose connections use `providers`: each built-in family
 * `true` or `false`. Names that are not built in (a test's provider, registered at run time) need
 * no flag. Undefined `providers` (tag discovery: secrets the construct did not create may name any
 * provider): no define, every family.
 */
export function providerDefines(providers: readonly string[] | undefined): Record<string, string> | undefined {
  if (providers === undefined) return undefined;
  return Object.fromEntries(builtInProviderNames().map((name) => [providerBundleFlag(name), String(providers.includes(name))]));
}
