/**
 * Where a child process spent its CPU: a V8 .cpuprofile (node --cpu-prof) reduced to self time per
 * package. Frames inside the minified bundle are mapped back to their original source through the
 * bundle's source map (node:module SourceMap), so "undici", "zod", "@smithy/core" or
 * "core/operations" can be told apart even though everything runs from one index.mjs.
 */
import { readdir, readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageOf } from './bundles.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface CpuShare {
  name: string;
  ms: number;
  share: number;
}

export interface CpuBreakdown {
  /** Sampled time, ms (idle excluded). */
  totalMs: number;
  idleMs: number;
  /** Self time by where the code lives (Node's own modules and V8 builtins separately). */
  byPackage: CpuShare[];
  /**
   * Self time charged to the nearest package up the stack: Node/V8 work (sockets, streams,
   * crypto, JSON) counts for the package that asked for it. GC and idle stay on their own.
   */
  byCaller: CpuShare[];
}

/** The one .cpuprofile node wrote into `dir`. */
export async function findProfile(dir: string): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  return path.join(dir, files.sort().at(-1) as string);
}

/** Where an original source path belongs: an npm package, a project directory, or Node itself. */
export function categorize(source: string): string {
  if (source.includes('node_modules/')) return packageOf(source);
  const clean = source.replace(/^(?:file:\/\/)?(?:\.\.\/)+/, '');
  // The project's own directories, wherever the checkout is (the bundle may be built outside it).
  const project = /(?:^|\/)((?:core|functions|local|bench|infra)\/.*)$/.exec(clean)?.[1];
  const where = project ?? clean;
  const parts = where.split('/');
  // One provider family apart from another (core/providers/tigergraph, core/providers/ica, ...).
  if (parts[0] === 'core' && parts[1] === 'providers' && parts.length > 3) return parts.slice(0, 3).join('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : where;
}

function nodeModuleOf(url: string): string {
  if (url.includes('source_map')) return 'node: source maps (--enable-source-maps)';
  if (url.startsWith('node:internal/modules/')) return 'node: module loader (read, compile)';
  if (url.includes('deps/undici')) return "node: built-in undici (fetch globals)";
  // node:internal/streams/writable -> node:streams; node:_http_client -> node:http
  const m = /^node:(?:internal\/)?(?:deps\/)?_?([a-z0-9]+)/.exec(url);
  return m ? `node:${m[1]}` : 'node';
}

export async function summarizeCpuProfile(profileFile: string, bundleFile: string, top = 12): Promise<CpuBreakdown> {
  const profile = JSON.parse(await readFile(profileFile, 'utf8')) as CpuProfile;
  const map = new SourceMap(JSON.parse(await readFile(`${bundleFile}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
  const bundleUrl = pathToFileURL(bundleFile).href;
  const category = new Map<number, string>();
  const inBundle = new Set<number>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
    const { url, functionName, lineNumber, columnNumber } = node.callFrame;
    let name: string;
    if (url === bundleUrl) {
      const entry = map.findEntry(lineNumber, columnNumber) as { originalSource?: string };
      name = entry.originalSource ? categorize(entry.originalSource) : 'bundle top level (module init, unmapped)';
      inBundle.add(node.id);
    } else if (url.startsWith('node:')) {
      name = nodeModuleOf(url);
    } else if (functionName === '(garbage collector)') {
      name = 'GC';
    } else if (functionName === '(idle)') {
      name = '(idle)';
    } else if (functionName === '(program)' || functionName === '(root)' || (url === '' && functionName === '')) {
      name = 'V8/native (program)';
    } else if (url === '') {
      name = 'V8 builtins (JSON, RegExp, ...)';
    } else {
      name = 'bench harness';
    }
    category.set(node.id, name);
  }
  const callerOf = new Map<number, string>();
  const caller = (id: number): string => {
    const known = callerOf.get(id);
    if (known) return known;
    const own = category.get(id) ?? 'unknown';
    let result = own;
    if (!inBundle.has(id) && own !== 'GC' && own !== '(idle)') {
      let up = parent.get(id);
      while (up !== undefined && !inBundle.has(up)) up = parent.get(up);
      if (up !== undefined) result = category.get(up) ?? own;
    }
    callerOf.set(id, result);
    return result;
  };
  const self = new Map<string, number>();
  const charged = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const own = category.get(id) ?? 'unknown';
    self.set(own, (self.get(own) ?? 0) + dt);
    const c = caller(id);
    charged.set(c, (charged.get(c) ?? 0) + dt);
  });
  const idleMs = self.get('(idle)') ?? 0;
  self.delete('(idle)');
  charged.delete('(idle)');
  const totalMs = [...self.values()].reduce((a, b) => a + b, 0);
  const rank = (m: Map<string, number>): CpuShare[] =>
    [...m.entries()]
      .map(([name, t]) => ({ name, ms: Math.round(t), share: totalMs ? Math.round((t / totalMs) * 1000) / 1000 : 0 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top);
  return { totalMs: Math.round(totalMs), idleMs: Math.round(idleMs), byPackage: rank(self), byCaller: rank(charged) };
}
