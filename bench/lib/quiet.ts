/**
 * Imported first by bench/run.ts, before anything that loads a handler: handlers that run inside
 * the bench process (the local endpoint's rotation invoker, the call-count scenarios) must not
 * print their JSON logs or EMF metrics into the bench's table. Child "Lambda" processes get their
 * own environment (bench/lib/lambda-env.ts) and log as deployed.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

export {};
