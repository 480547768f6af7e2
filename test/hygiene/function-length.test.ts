/**
 * No product function longer than 60 lines (issue 25): the functions, the construct, the core and
 * the consumer library stay readable in one screen per function. Counted on the TypeScript syntax
 * tree, every function-like node with a body (declarations, methods, constructors, arrows), from
 * its first line to its last; a longer one fails here with its place, so a merge that grows one
 * past the limit is caught, not found by a reviewer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PRODUCT_DIRS = ['core', 'functions', 'infra', 'consumer'];
const MAX_LINES = 60;

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.split(path.sep).includes('node_modules') && !f.split(path.sep).includes('dist'))
    .map((f) => path.posix.join(dir, f.split(path.sep).join('/')));
}

/** `file:line name (n lines)` for each function of `file` longer than `max` lines. */
function longFunctions(file: string, text: string, max: number): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      const lines = last - first + 1;
      if (lines > max) {
        const name = node.name?.getText(source) ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(source) : ts.isConstructorDeclaration(node) ? 'constructor' : '(anonymous)');
        found.push(`${file}:${first + 1} ${name} (${lines} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('function length', () => {
  it(`no product function is longer than ${MAX_LINES} lines`, () => {
    const files = PRODUCT_DIRS.flatMap(sources);
    expect(files.length).toBeGreaterThan(50);
    expect(files.flatMap((f) => longFunctions(f, readFileSync(path.join(ROOT, f), 'utf8'), MAX_LINES))).toEqual([]);
  });

  it('counts a long arrow, method and constructor (so the check above can fail)', () => {
    const body = Array.from({ length: 61 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const text = `const f = () => {\n${body}\n};\nclass C {\n  constructor() {\n${body}\n  }\n  m() {\n${body}\n  }\n}\nfunction short() {\n  return 1;\n}\n`;
    expect(longFunctions('x.ts', text, MAX_LINES)).toEqual(['x.ts:1 f (63 lines)', 'x.ts:65 constructor (63 lines)', 'x.ts:128 m (63 lines)']);
  });
});
