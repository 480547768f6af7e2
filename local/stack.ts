/**
 * The whole product on one machine, no AWS account: the local Secrets Manager/SSM endpoint, fake
 * TigerGraph 3.x and 4.x, Trifacta and ICA servers, and the handlers running in process, all on
 * one clock that can be moved forward. Used by `npm start`, `npm run serve:local`, `npm run
 * invoke`, the integration tests and the benchmarks. Every credential is a fake value generated
 * per run.
 */
import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { OffsetClock, setClock } from '../core/clock.js';
import { closeAllAgents } from '../core/http/transport.js';
import { DEFAULT_SETTINGS_PARAMETER, ENV, MANAGED_TAG } from '../core/names.js';
import { connectionOrigins, parseBindings, renderBindings } from '../core/providers/binding.js';
import type { OperationalSettings } from '../core/settings.js';
import { handler as rotationHandler } from '../functions/rotation/handler.js';
import { clearSettingsCache } from '../functions/lib/settings.js';
import { startLocalAws, type LocalAws, type LocalAwsOptions } from './aws/index.js';
import { startFakeIca, type FakeIca, type FakeIcaOptions } from './fakes/ica/index.js';
import { startFakeTigerGraph, type FakeTigerGraph, type FakeTigerGraphOptions } from './fakes/tigergraph/index.js';
import { startFakeTrifacta, type FakeTrifacta, type FakeTrifactaOptions } from './fakes/trifacta/index.js';
import { lambdaContext } from './lambda-context.js';

export const ROTATION_LAMBDA_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:rotation';
export { MANAGED_TAG };

export interface LocalStackOptions {
  /** Port of the AWS endpoint (0: any free port). */
  awsPort?: number;
  tigergraph3?: Partial<FakeTigerGraphOptions>;
  tigergraph4?: Partial<FakeTigerGraphOptions>;
  trifacta?: Partial<FakeTrifactaOptions>;
  ica?: Partial<FakeIcaOptions>;
  aws?: Partial<LocalAwsOptions>;
  /** Point this process's AWS SDK clients (and so the handlers) at the local endpoint. Default true. */
  setProcessEnv?: boolean;
}

export type LocalProvider = 'tigergraph' | 'trifacta' | 'ica';

export interface TokenSecretOptions {
  /** Default "tigergraph". */
  provider?: LocalProvider;
  /** TigerGraph only: which fake (3.x or 4.x). */
  version?: 3 | 4;
  /** ICA only: mint with the API key (default) or with the user's password (which can refresh). */
  icaMode?: 'apiKey' | 'password';
  /** Fields merged into the token secret JSON (e.g. lifetimeSeconds, graph). */
  fields?: Record<string, unknown>;
  /**
   * Credential secret JSON; default one the fake accepts: TigerGraph 3.x the secret, 4.x
   * user/password; Trifacta user/password; ICA the API key (or user/password, see icaMode).
   */
  credentials?: Record<string, string>;
  /**
   * A provider this stack starts no fake for (a test's own, registered with registerProvider): the
   * token secret's fields (with its `provider`) and the credential the caller's fake accepts.
   * Overrides `provider`, `version` and `icaMode`.
   */
  connection?: { fields: Record<string, unknown> & { host: string }; credentials: Record<string, string> };
  /** Run the first rotation now (RotateSecret through the real rotation handler). Default true. */
  rotate?: boolean;
  managed?: boolean;
}

export interface LocalStack {
  aws: LocalAws;
  tg3: FakeTigerGraph;
  tg4: FakeTigerGraph;
  trifacta: FakeTrifacta;
  ica: FakeIca;
  clock: OffsetClock;
  /** The TigerGraph secret both fakes accept (a fake value, generated per run). */
  tigergraphSecret: string;
  /** 4.x username/password the fake accepts. */
  tigergraphUser: { username: string; password: string };
  /** The Trifacta user the fake accepts. */
  trifactaUser: { username: string; password: string };
  /** ICA: an API key and a user the fake accepts. */
  icaApiKey: string;
  icaUser: { username: string; password: string };
  secretsManager: SecretsManagerClient;
  ssm: SSMClient;
  /**
   * Creates a credential secret and a managed token secret, and binds the credential to that token
   * secret and its origins as a deploy would (bindCredential); returns the token secret's ARN.
   */
  createTokenSecret(name: string, options: TokenSecretOptions): Promise<string>;
  putSettings(settings: Partial<OperationalSettings>): Promise<void>;
  /**
   * What a deploy does for a connection: lets the credential with this full ARN be used by these
   * token secrets and sent to the origins of `fields` (a token secret's provider, host and
   * provider fields), in this process's ENV.CREDENTIAL_BINDINGS. Merged with earlier bindings.
   */
  bindCredential(binding: LocalBinding): void;
  close(): Promise<void>;
}

export interface LocalBinding {
  credential: string;
  tokenSecrets: string[];
  fields: Readonly<Record<string, unknown>> & { host: string };
}

/** Adds a binding to this process's ENV.CREDENTIAL_BINDINGS (see LocalStack.bindCredential). */
export function bindCredential(binding: LocalBinding): void {
  const current = parseBindings(process.env[ENV.CREDENTIAL_BINDINGS] ?? '[]', ENV.CREDENTIAL_BINDINGS);
  const origins = connectionOrigins(binding.fields, { allowInsecureHttp: true });
  process.env[ENV.CREDENTIAL_BINDINGS] = renderBindings([...current, { credential: binding.credential, origins, tokenSecrets: binding.tokenSecrets }]);
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
  const trifactaUser = { username: 'analyst@example.com', password: randomBytes(12).toString('hex') };
  const icaApiKey = randomBytes(20).toString('hex');
  const icaUser = { username: 'scientist@example.com', password: randomBytes(12).toString('hex') };
  const [tg3, tg4, trifacta, ica] = await Promise.all([
    startFakeTigerGraph({ version: 3, secrets: [tigergraphSecret], clock, ...options.tigergraph3 }),
    startFakeTigerGraph({ version: 4, secrets: [tigergraphSecret], users: { [tigergraphUser.username]: tigergraphUser.password }, clock, ...options.tigergraph4 }),
    startFakeTrifacta({ users: { [trifactaUser.username]: trifactaUser.password }, clock, ...options.trifacta }),
    startFakeIca({ apiKeys: [icaApiKey], users: { [icaUser.username]: icaUser.password }, clock, ...options.ica }),
  ]);
  if (options.setProcessEnv !== false) {
    // This process is explicitly a local run: the fakes speak plain HTTP on 127.0.0.1.
    process.env[ENV.LOCAL_RUN] = 'true';
    // This process is also the deploy: createTokenSecret binds each credential it creates (bindCredential).
    process.env[ENV.CREDENTIAL_BINDINGS] = renderBindings([]);
    process.env.AWS_ENDPOINT_URL = aws.url;
    process.env.AWS_REGION ??= 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID ??= LOCAL_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY ??= LOCAL_CREDENTIALS.secretAccessKey;
    delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    delete process.env.AWS_ENDPOINT_URL_SSM;
    delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
    // The functions put their change events on the local endpoint's default bus (aws.events()).
    process.env[ENV.EVENT_BUS] = 'default';
  }
  const clientConfig = { endpoint: aws.url, region: 'us-east-1', credentials: LOCAL_CREDENTIALS };
  const secretsManager = new SecretsManagerClient(clientConfig);
  const ssm = new SSMClient(clientConfig);

  /** The token secret's fields and the credential a fake accepts, per provider. */
  const connection = (o: TokenSecretOptions): { fields: Record<string, unknown> & { host: string }; credentials: Record<string, string> } => {
    if (o.connection) return o.connection;
    switch (o.provider ?? 'tigergraph') {
      case 'trifacta':
        return { fields: { provider: 'trifacta', host: trifacta.url }, credentials: { ...trifactaUser } };
      case 'ica':
        return {
          fields: { provider: 'ica', host: ica.url },
          credentials: o.icaMode === 'password' ? { ...icaUser } : { apiKey: icaApiKey },
        };
      case 'tigergraph': {
        const tg = o.version === 3 ? tg3 : tg4;
        const port = Number(new URL(tg.url).port);
        return {
          fields: { host: 'http://127.0.0.1', tigergraphVersion: 'auto', restppPort: port, gsqlPort: port },
          credentials: o.version === 3 ? { secret: tigergraphSecret } : { ...tigergraphUser },
        };
      }
    }
  };

  return {
    aws,
    tg3,
    tg4,
    trifacta,
    ica,
    clock,
    tigergraphSecret,
    tigergraphUser,
    trifactaUser,
    icaApiKey,
    icaUser,
    secretsManager,
    ssm,
    async createTokenSecret(name, secretOptions) {
      const { fields, credentials } = connection(secretOptions);
      const credential = await secretsManager.send(
        new CreateSecretCommand({ Name: `${name}/credentials`, SecretString: JSON.stringify(secretOptions.credentials ?? credentials) }),
      );
      const tokenFields = { ...fields, credentialSecretId: credential.ARN, allowInsecureHttp: true, ...secretOptions.fields, host: String(secretOptions.fields?.host ?? fields.host) };
      const token = await secretsManager.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: JSON.stringify(tokenFields),
          Tags: secretOptions.managed === false ? [] : [{ Key: MANAGED_TAG, Value: 'true' }],
        }),
      );
      try {
        bindCredential({ credential: credential.ARN as string, tokenSecrets: [token.ARN as string], fields: tokenFields });
      } catch {
        // Fields a deploy would refuse (tests of bad input): nothing to bind; the functions refuse
        // the same fields when they open the provider, and say which.
      }
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
    bindCredential,
    async putSettings(settings) {
      await ssm.send(
        new PutParameterCommand({ Name: DEFAULT_SETTINGS_PARAMETER, Type: 'String', Overwrite: true, Value: JSON.stringify(settings) }),
      );
    },
    async close() {
      secretsManager.destroy();
      ssm.destroy();
      // The next stack in this process starts cold, as a new container would.
      clearSettingsCache();
      await aws.rotationsSettled();
      await Promise.all([aws.close(), tg3.close(), tg4.close(), trifacta.close(), ica.close(), closeAllAgents()]);
    },
  };
}

/** The demo token secrets of `serve:local` and `invoke`: one per provider, each rotated once. */
export async function createDemoSecrets(stack: LocalStack): Promise<string[]> {
  const demo: Array<[string, TokenSecretOptions]> = [
    ['demo/tigergraph3', { version: 3 }],
    ['demo/tigergraph4', { version: 4 }],
    ['demo/trifacta', { provider: 'trifacta' }],
    ['demo/ica', { provider: 'ica' }],
  ];
  for (const [name, options] of demo) await stack.createTokenSecret(name, options);
  return demo.map(([name]) => name);
}
