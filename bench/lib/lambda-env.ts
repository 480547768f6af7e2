/**
 * The environment a child "Lambda" process gets, and its node flags (lambdaRuntimeNodeArgs): what
 * the Lambda runtime sets, the variables infra/construct.ts gives each function (including
 * NODE_OPTIONS=--enable-source-maps), and the local endpoint (AWS_ENDPOINT_URL, as CONTRACT.md's
 * "default endpoint resolution"). Nothing is inherited from the bench process except PATH, so every
 * child starts from the same state.
 *
 * One variable the construct never sets: TG_TOKEN_ROTATION_LOCAL=true (core/names.ts ENV.LOCAL_RUN),
 * without which a deployed function refuses the plain-HTTP fake servers on 127.0.0.1.
 */
import { ENV } from '../../core/names.js';
import { DEPLOYMENT_DEFAULTS } from '../../infra/defaults.js';

export interface LambdaEnvOptions {
  functionName: string;
  endpoint: string;
  /** Default true, as the construct deploys the functions. */
  enableSourceMaps?: boolean;
  /** Default INFO, as the construct deploys them. */
  logLevel?: string;
  /** Default as infra/construct.ts deploys the function: scheduled-refresh 1024 MB, the others 256 MB. */
  memoryMB?: number;
}

/** The memory the construct gives a function by default (infra/defaults.ts). */
export function deployedMemoryMB(functionName: string): number {
  return functionName === 'scheduled-refresh' ? DEPLOYMENT_DEFAULTS.scheduledRefreshMemoryMB : DEPLOYMENT_DEFAULTS.functionMemoryMB;
}

/**
 * The flags the Lambda Node.js runtime starts node with, for a function of `memoryMB`: its
 * bootstrap (/var/runtime/bootstrap in the public Node.js 14 and 18 runtime images,
 * aws/aws-lambda-base-images; Node.js 22's is assumed to be the same, not verified)
 * gives V8 a tenth of the memory as new space (half of it the semi-space limit) and the rest as
 * old space, and exposes gc(). They are on the command line, so they win over the same flags in
 * NODE_OPTIONS. Without them a child on this 24 GB machine would get V8's defaults for the
 * machine's memory (a 16 MB semi-space, a 4 GB heap limit): a different heap from the deployed
 * function's, and so a different peak RSS (bench/RESULTS.md 4.3).
 */
export function lambdaRuntimeNodeArgs(memoryMB: number): string[] {
  const newSpaceMB = Math.floor(memoryMB / 10);
  return ['--expose-gc', '--max-http-header-size=81920', `--max-semi-space-size=${Math.floor(newSpaceMB / 2)}`, `--max-old-space-size=${memoryMB - newSpaceMB}`];
}

export function lambdaEnv(options: LambdaEnvOptions): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    // Lambda runtime
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: options.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMB ?? deployedMemoryMB(options.functionName)),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    // No shared config files on Lambda; make sure none from this machine is read.
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_ENDPOINT_URL: options.endpoint,
    // infra/construct.ts
    SETTINGS_PARAMETER_NAME: '/tg-token-rotation/config',
    POWERTOOLS_SERVICE_NAME: `tg-token-rotation-${options.functionName}`,
    POWERTOOLS_METRICS_NAMESPACE: 'TgTokenRotation',
    LOG_LEVEL: options.logLevel ?? 'INFO',
    ...(options.enableSourceMaps === false ? {} : { NODE_OPTIONS: '--enable-source-maps' }),
    // A local run: the fakes speak plain HTTP.
    [ENV.LOCAL_RUN]: 'true',
    // Where each credential may go, as the construct sets it on every function (always): what the
    // local stack of this process bound (local/stack.ts bindCredential), else none, which with tag
    // discovery (no TG_MANAGED_SECRET_IDS: the bench's sweeps) lets every credential be used.
    [ENV.CREDENTIAL_BINDINGS]: process.env[ENV.CREDENTIAL_BINDINGS] ?? '[]',
  };
}
