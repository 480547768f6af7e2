/**
 * Example: a stack you already have (here a reports bucket), to which TokenRotation is added with
 * one connection per provider, plus an app Lambda that reads one of the tokens (the consumer in
 * examples/consumer-lambda) with exactly the permissions `grantReadToken` gives.
 *
 * It imports the construct by its package name, as your project does. In this checkout the name
 * resolves to the sources (tsconfig.json `paths`), so the example runs without a build.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { TokenRotation } from 'tg-token-rotation';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '../..');

export class ReportsStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly rotation: TokenRotation;
  readonly reportFunction: NodejsFunction;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // What the stack already had.
    this.bucket = new s3.Bucket(this, 'Reports', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Added: the tokens, kept rotated. One connection per provider; every other prop has its default
    // (secret names tg-token-rotation/<name>/token, scheduled refresh every hour, alarms, dashboard).
    this.rotation = new TokenRotation(this, 'TokenRotation', {
      connections: [
        // TigerGraph Cloud (Savanna) 4.x: REST++ and GSQL on 443 under /restpp and /gsql.
        { name: 'analytics', provider: 'tigergraph', host: 'https://analytics.i.tgcloud.io', tigergraphVersion: '4', graph: 'Analytics' },
        // Trifacta (Alteryx Designer Cloud): 30-day tokens by default, rotated weekly.
        { name: 'wrangling', provider: 'trifacta', host: 'https://trifacta.example.com' },
        // ICA: the tenant administrator sets the JWT lifetime (here 12 h), so it must be stated; the
        // rotation interval must be shorter.
        { name: 'genomics', provider: 'ica', host: 'https://ica.illumina.com', tenant: 'my-lab', lifetimeSeconds: 12 * 3600, rotationInterval: Duration.hours(8) },
      ],
      // The 12-hour ICA tokens are refreshed with 6 hours left: the expiry alarm must stay below that
      // (the construct refuses a threshold the steady state would cross).
      minSecondsToExpiryAlarmThreshold: Duration.hours(1),
      alarmEmail: 'oncall@example.com',
    });

    // Added: the app that calls TigerGraph with the token (examples/consumer-lambda/handler.ts).
    this.reportFunction = new NodejsFunction(this, 'ReportFunction', {
      entry: path.join(REPO_ROOT, 'examples/consumer-lambda/handler.ts'),
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.seconds(30),
      environment: { TOKEN_SECRET_ID: this.rotation.tokenSecret('analytics').secretArn },
      // The consumer library is ~16 kB minified with the runtime's AWS SDK left out (@aws-sdk/* is
      // external by default for nodejs22.x).
      bundling: { format: OutputFormat.ESM, minify: true, mainFields: ['module', 'main'], forceDockerBundling: false },
    });
    // GetSecretValue and DescribeSecret on that token secret, kms:Decrypt through Secrets Manager
    // for it only; nothing on the credential secret.
    this.rotation.grantReadToken(this.reportFunction, 'analytics');

    for (const c of this.rotation.connections) {
      new CfnOutput(this, `${c.name}TokenSecretArn`, { value: c.tokenSecret.secretArn, description: `Token secret of ${c.name} (${c.provider})` });
      if (c.credentialSecretCreated) {
        new CfnOutput(this, `${c.name}CredentialSecretArn`, { value: c.credentialSecret.secretArn, description: `Fill in before the first rotation: ${c.provider} credential of ${c.name}` });
      }
    }
  }
}
