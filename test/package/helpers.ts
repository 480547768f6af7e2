/** Child processes for the package tests: npm, node and tsx as a user would run them, on Node 22. */
import { run as runChild, type RunResult } from '../helpers/child-process.js';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const REPO_BIN = path.join(REPO_ROOT, 'node_modules/.bin');

export type { RunResult };

/**
 * The environment of a child: this process's, with the repository's node_modules/.bin first on
 * PATH (its Node 22, as npm scripts get), and without what would make the child something other
 * than a fresh user's shell: the local stack's AWS endpoint and credentials, CDK CLI variables,
 * the product's local-run switch, the test runner's log level, and npm's per-package variables
 * (npm_config_local_prefix would point npm at this repository).
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(AWS_|CDK_|TG_TOKEN_ROTATION_|POWERTOOLS_|npm_package_|npm_lifecycle_|npm_config_local_prefix$|npm_command$)/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = `${REPO_BIN}${path.delimiter}${process.env.PATH ?? ''}`;
  return { ...env, ...extra };
}

/** Runs a command to completion, in the child environment unless told otherwise. */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<RunResult> {
  return runChild(command, args, { ...options, env: options.env ?? childEnv() });
}

/** The output of a failed run, for an assertion message. */
export function describeRun(r: RunResult): string {
  return `exit ${r.code} after ${r.ms} ms\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** A CloudFormation template, as far as these tests read it. */
export interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

export function resourcesOfType(template: Template, type: string): Array<[string, Record<string, unknown>]> {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties]);
}

/** `POWERTOOLS_SERVICE_NAME` of a function resource: which of the product's functions it is. */
export function serviceNameOf(fn: Record<string, unknown>): string | undefined {
  return (fn.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.POWERTOOLS_SERVICE_NAME as string | undefined;
}
