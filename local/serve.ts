/**
 * `npm run serve:local`: the local Secrets Manager/SSM endpoint and the fake TigerGraph 3.x and
 * 4.x, Trifacta and ICA servers as long-running servers, for the AWS CLI or your own code. The
 * first stdout line is one JSON object (docs/CONTRACT.md: the original keys, plus `trifacta`, `ica`
 * and `credentialBindings`); everything else goes to stderr. RotateSecret runs this project's rotation handler in
 * process, whatever RotationLambdaARN names. Demo token secrets are created and rotated at start:
 * demo/tigergraph3, demo/tigergraph4, demo/trifacta and demo/ica.
 *
 *   npm run serve:local -- [--port 4566] [--no-demo] [--verbose]
 */
const args = process.argv.slice(2);
process.env.POWERTOOLS_LOG_LEVEL ??= args.includes('--verbose') ? 'INFO' : 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

/**
 * stdout carries the one JSON line and nothing else: everything any module writes there (the
 * handlers' logs with --verbose, while the demo secrets rotate before the line is printed, and
 * after it) goes to stderr instead, so a script can read the first line whatever the options.
 */
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;

function option(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function serve(): Promise<void> {
  const { startLocalStack, createDemoSecrets } = await import('./stack.js');
  const { ENV } = await import('../core/names.js');
  const port = Number(option('--port') ?? process.env.TG_LOCAL_AWS_PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected a port number 0-65535`);
  const stack = await startLocalStack({ awsPort: port });
  if (!args.includes('--no-demo')) {
    await createDemoSecrets(stack);
  }
  writeStdout(
    `${JSON.stringify({
      secretsManager: stack.aws.url,
      ssm: stack.aws.url,
      tigergraph3: stack.tg3.url,
      tigergraph4: stack.tg4.url,
      tigergraphSecret: stack.tigergraphSecret,
      trifacta: stack.trifacta.url,
      ica: stack.ica.url,
      // What a deploy writes into the functions' environment (ENV.CREDENTIAL_BINDINGS): a handler run
      // in another process against this endpoint (`npm run invoke`) needs it to use the demo credentials.
      credentialBindings: process.env[ENV.CREDENTIAL_BINDINGS],
    })}\n`,
  );
  const url = stack.aws.url;
  process.stderr.write(
    [
      `Local endpoints are up. Try (any credentials work):`,
      `  export AWS_ENDPOINT_URL=${url} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local`,
      `  export ${ENV.CREDENTIAL_BINDINGS}='${process.env[ENV.CREDENTIAL_BINDINGS] ?? '[]'}' ${ENV.LOCAL_RUN}=true`,
      `  aws secretsmanager describe-secret --secret-id demo/tigergraph3`,
      `  aws secretsmanager rotate-secret --secret-id demo/tigergraph4 --rotation-lambda-arn arn:aws:lambda:us-east-1:000000000000:function:rotation`,
      `  npm run invoke -- on-demand events/on-demand/status.json`,
      `Stop with Ctrl-C.`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: shutting down\n`);
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

serve().catch((error: unknown) => {
  const e = error as Error;
  process.stderr.write(`serve:local failed: ${e.name}: ${e.message}\n`);
  process.exit(1);
});
