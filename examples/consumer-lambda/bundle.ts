/**
 * Bundles the example consumer Lambda with the deployed functions' esbuild settings
 * (infra/bundling.ts esbuildOptionsFor: ESM, node22, minified) and reports its size, with the AWS
 * SDK client bundled (as the product's functions ship) and with it left to the Lambda runtime
 * (nodejs22.x provides AWS SDK v3: `external: ['@aws-sdk/*']`).
 *
 *   npx tsx examples/consumer-lambda/bundle.ts
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { esbuildOptionsFor } from '../../infra/bundling.js';

export const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'handler.ts');

export interface BundleReport {
  /** Minified index.mjs, bytes (source map not counted). */
  bytes: number;
  gzipBytes: number;
  /** The bundle's text, to check what it contains. */
  text: string;
  /** Input files by bytes they contributed, largest first. */
  inputs: Array<{ path: string; bytes: number }>;
}

export async function bundleConsumerLambda(options: { externalSdk: boolean; outDir?: string }): Promise<BundleReport> {
  const dir = options.outDir ?? mkdtempSync(path.join(tmpdir(), 'consumer-lambda-'));
  try {
    const outfile = path.join(dir, options.externalSdk ? 'external-sdk' : 'bundled-sdk', 'index.mjs');
    const base = esbuildOptionsFor(ENTRY, outfile);
    const result = await build({ ...base, metafile: true, external: [...(base.external ?? []), ...(options.externalSdk ? ['@aws-sdk/*'] : [])] });
    const text = readFileSync(outfile, 'utf8');
    const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
    const inputs = Object.entries(output?.inputs ?? {})
      .map(([p, v]) => ({ path: p, bytes: v.bytesInOutput }))
      .sort((a, b) => b.bytes - a.bytes);
    return { bytes: Buffer.byteLength(text), gzipBytes: gzipSync(text).length, text, inputs };
  } finally {
    if (!options.outDir) rmSync(dir, { recursive: true, force: true });
  }
}

/** Bytes per top-level group: consumer/, core/, and each package under node_modules. */
export function byGroup(inputs: BundleReport['inputs']): Record<string, number> {
  const groups: Record<string, number> = {};
  for (const { path: p, bytes } of inputs) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p);
    const key = m ? m[1]! : p.split('/')[0]!;
    groups[key] = (groups[key] ?? 0) + bytes;
  }
  return Object.fromEntries(Object.entries(groups).sort((a, b) => b[1] - a[1]));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const externalSdk of [false, true]) {
    const report = await bundleConsumerLambda({ externalSdk });
    const top = Object.entries(byGroup(report.inputs)).slice(0, 8);
    console.log(
      `${externalSdk ? 'AWS SDK from the runtime' : 'AWS SDK bundled        '}: ${report.bytes} bytes minified, ${report.gzipBytes} gzipped; ` +
        top.map(([k, v]) => `${k} ${v}`).join(', '),
    );
  }
}
