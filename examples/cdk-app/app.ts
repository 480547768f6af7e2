/**
 * Example CDK app: an existing stack (ReportsStack, stack.ts) with TokenRotation added.
 *
 *   npx tsx examples/cdk-app/app.ts
 *
 * synthesizes offline (nothing is looked up: the stack is environment-agnostic) into a temporary
 * directory, or into CDK_OUTDIR when the CDK CLI runs it:
 *
 *   npx cdk synth --app 'npx tsx examples/cdk-app/app.ts' --output cdk.out/example
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ReportsStack } from './stack.js';

// Our own temporary directory: the one App makes when it has none is deleted when the process exits.
const outdir = process.env.CDK_OUTDIR ?? mkdtempSync(path.join(tmpdir(), 'tg-token-rotation-example-'));
const app = new App({ outdir });
const stack = new ReportsStack(app, 'ReportsWithTokenRotation');
const assembly = app.synth();
console.log(`Synthesized ${stack.stackName} into ${assembly.directory}`);
console.log(`Template: ${path.join(assembly.directory, stack.templateFile)}`);
