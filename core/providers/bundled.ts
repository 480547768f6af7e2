/**
 * Which built-in provider families a Lambda bundle carries. The construct knows at synth which
 * providers its connections use; it passes one esbuild `define` per family (infra/bundling.ts),
 * registry.ts tests each flag, and esbuild drops a family whose flag is `false` with everything
 * only it imports (its client, its schemas). Unbundled code (tsx, vitest, `npm start`) has no
 * define: every family is there. Each identifier here is also written out in registry.ts (a define
 * replaces an identifier, not a computed name); test/bench/provider-bundling.test.ts builds with
 * each flag off and checks the family is gone.
 */
import type { ProviderName } from './edges.js';

export const PROVIDER_BUNDLE_FLAGS = {
  tigergraph: 'TG_PROVIDER_TIGERGRAPH',
  trifacta: 'TG_PROVIDER_TRIFACTA',
  ica: 'TG_PROVIDER_ICA',
} as const satisfies Record<ProviderName, string>;

/**
 * The esbuild `define` for a deployment whose connections use `providers`: each built-in family
 * `true` or `false`. Names that are not built in (a test's provider, registered at run time) need
 * no flag. Undefined `providers` (tag discovery: secrets the construct did not create may name any
 * provider): no define, every family.
 */
export function providerDefines(providers: readonly string[] | undefined): Record<string, string> | undefined {
  if (providers === undefined) return undefined;
  return Object.fromEntries(Object.entries(PROVIDER_BUNDLE_FLAGS).map(([name, flag]) => [flag, String(providers.includes(name))]));
}
