/**
 * The CDK app (cdk.json: `npx tsx infra/app.ts`). Reads the config named by `-c config=path`
 * (default infra/config.example.json), validates it and synthesizes TgTokenRotationStack with the
 * cdk-nag AwsSolutions checks applied: an unsuppressed finding fails the synth. A config the
 * stack's environment refuses (an ARN in another account or region) fails with the field named too.
 *
 *   npm run synth                                # the example config
 *   npx cdk synth -c config=deploy/prod.json     # your own
 */
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeploymentConfigError, loadConfig } from './config.js';
import { TgTokenRotationStack } from './stack.js';

const app = new App();
const configPath = path.resolve(String(app.node.tryGetContext('config') ?? 'infra/config.example.json'));

try {
  const config = loadConfig(configPath);
  new TgTokenRotationStack(app, config.stackName, {
    config,
    // An environment-agnostic stack unless the CLI's profile names one (nothing is looked up).
    env:
      process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
        ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
        : undefined,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  app.synth();
} catch (err) {
  if (err instanceof DeploymentConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
