/**
 * The whole product on one machine, no AWS account: the local Secrets Manager/SSM endpoint, fake
 * TigerGraph 3.x and 4.x servers, and the three handlers running in process, all on one clock
 * that can be moved forward. Used by `npm start`, `npm run serve:local`, `npm run invoke`, the
 * integration tests and the benchmarks.
 */
import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { clearCache } from '@middy/util';
import { OffsetClock, setClock } from '../core/clock.js';
import { closeAllAgents } from '../core/http/transport.js';
import { DEFAULT_SETTINGS_PARAMETER, ENV, MANAGED_TAG } from '../core/names.js';
import type { Settings } from '../core/settings.js';
import { handler as rotationHandler } from '../functions/rotation/handler.js';
import { startLocalAws, type LocalAws, type LocalAwsOptions } from './aws/index.js';
import { startFakeTigerGraph, type FakeTigerGraph, type FakeTigerGraphOptions } from './fakes/tigergraph/index.js';
import { lambdaContext } from './lambda-context.js';

export const ROTATION_LAMBDA_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:rotation';
export { MANAGED_TAG };

export interface LocalStackOptions {
  /** Port of the AWS endpoint (0: any free port). */
  awsPort?: number;
  tigergraph3?: Partial<FakeTigerGraphOptions>;
  tigergraph4?: Partial<FakeTigerGraphOptions>;
  aws?: Partial<LocalAwsOptions>;
  /** Point this process's AWS SDK clients (and so the handlers) at the local endpoint. Default true. */
  setProcessEnv?: boolean;
}

export interface TokenSecretOptions {
  version: 3 | 4;
  /** Fields merged into the token secret JSON (e.g. lifetimeSeconds, graph). */
  fields?: Record<string, unknown>;
  /** Credential secret JSON; default the stack's TigerGraph secret (3.x) or user/password (4.x). */
  credentials?: Record<string, string>;
  /** Run the first rotation now (RotateSecret through the real rotation handler). Default true. */
  rotate?: boolean;
  managed?: boolean;
}

export interface LocalStack {
  aws: LocalAws;
  tg3: FakeTigerGraph;
  tg4: FakeTigerGraph;
  clock: OffsetClock;
  /** The TigerGraph secret both fakes accept (a fake value, generated per run). */
  tigergraphSecret: string;
  /** 4.x username/password the fake accepts. */
  tigergraphUser: { username: string; password: string };
  secretsManager: SecretsManagerClient;
  ssm: SSMClient;
  /** Creates a credential secret and a managed token secret; returns the token secret's ARN. */
  createTokenSecret(name: string, options: TokenSecretOptions): Promise<string>;
  putSettings(settings: Partial<Settings>): Promise<void>;
  close(): Promise<void>;
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const clock = new OffsetClock();
  setClock(clock);
  const tigergraphSecret = randomBytes(16).toString('hex');
  const tigergraphUser = { username: 'tigergraph', password: randomBytes(12).toString('hex') };
  const aws = await startLocalAws({
    port: options.awsPort ?? 0,
    clock,
    // RotateSecret runs the project's rotation handler in process, whatever RotationLambdaARN names.
    rotationInvoker: async (event) => {
      await rotationHandler(event, lambdaContext('rotation'));
    },
    ...options.aws,
  });
  const [tg3, tg4] = await Promise.all([
    startFakeTigerGraph({ version: 3, secrets: [tigergraphSecret], clock, ...options.tigergraph3 }),
    startFakeTigerGraph({ version: 4, secrets: [tigergraphSecret], users: { [tigergraphUser.username]: tigergraphUser.password }, clock, ...options.tigergraph4 }),
  ]);
  if (options.setProcessEnv !== false) {
    // This process is explicitly a local run: the fakes speak plain HTTP on 127.0.0.1.
    process.env[ENV.LOCAL_RUN] = 'true';
    process.env.AWS_ENDPOINT_URL = aws.url;
    process.env.AWS_REGION ??= 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID ??= LOCAL_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY ??= LOCAL_CREDENTIALS.secretAccessKey;
    delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    delete process.env.AWS_ENDPOINT_URL_SSM;
  }
  const clientConfig = { endpoint: aws.url, region: 'us-east-1', credentials: LOCAL_CREDENTIALS };
  const secretsManager = new SecretsManagerClient(clientConfig);
  const ssm = new SSMClient(clientConfig);

  return {
    aws,
    tg3,
    tg4,
    clock,
    tigergraphSecret,
    tigergraphUser,
    secretsManager,
    ssm,
    async createTokenSecret(name, secretOptions) {
      const tg = secretOptions.version === 3 ? tg3 : tg4;
      const credentials =
        secretOptions.credentials ?? (secretOptions.version === 3 ? { secret: tigergraphSecret } : { ...tigergraphUser });
      const credential = await secretsManager.send(
        new CreateSecretCommand({ Name: `${name}/credentials`, SecretString: JSON.stringify(credentials) }),
      );
      const port = new URL(tg.url).port;
      const token = await secretsManager.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: JSON.stringify({
            host: `http://127.0.0.1`,
            tigergraphVersion: 'auto',
            restppPort: Number(port),
            gsqlPort: Number(port),
            credentialSecretId: credential.ARN,
            allowInsecureHttp: true,
            ...secretOptions.fields,
          }),
          Tags: secretOptions.managed === false ? [] : [{ Key: MANAGED_TAG, Value: 'true' }],
        }),
      );
      if (secretOptions.rotate !== false) {
        await secretsManager.send(
          new RotateSecretCommand({
            SecretId: token.ARN,
            RotationLambdaARN: ROTATION_LAMBDA_ARN,
            RotationRules: { AutomaticallyAfterDays: 7 },
          }),
        );
        // On AWS (and here) RotateSecret only starts the rotation: wait for the first token.
        await aws.rotationsSettled(token.ARN);
      }
      return token.ARN as string;
    },
    async putSettings(settings) {
      await ssm.send(
        new PutParameterCommand({ Name: DEFAULT_SETTINGS_PARAMETER, Type: 'String', Overwrite: true, Value: JSON.stringify(settings) }),
      );
    },
    async close() {
      secretsManager.destroy();
      ssm.destroy();
      // @middy/ssm keeps a refresh timer for its cache; a local process must drop it to exit.
      clearCache();
      await aws.rotationsSettled();
      await Promise.all([aws.close(), tg3.close(), tg4.close(), closeAllAgents()]);
    },
  };
}
