/** `npm run serve:local`: first line JSON, the SDK works against it, RotateSecret runs the handler, clean shutdown. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient, ParameterNotFound } from '@aws-sdk/client-ssm';
import { runNpm } from './run-npm.js';

describe('npm run serve:local', () => {
  it('prints the endpoints as JSON, serves the SDK, rotates through the handler and stops on SIGTERM', { timeout: 90_000 }, async () => {
    const env = { ...process.env };
    delete env.AWS_ENDPOINT_URL;
    // Its own process group, so the signal reaches npm, tsx and the server as Ctrl-C would.
    const child = spawn('npm', ['run', '--silent', 'serve:local'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no first line within 60 s')), 60_000);
        createInterface({ input: child.stdout }).once('line', (line) => {
          clearTimeout(timer);
          resolve(line);
        });
      });
      const info = JSON.parse(firstLine) as Record<string, string>;
      expect(Object.keys(info).sort()).toEqual(['credentialBindings', 'ica', 'secretsManager', 'ssm', 'tigergraph3', 'tigergraph4', 'tigergraphSecret', 'trifacta']);
      for (const key of ['secretsManager', 'ssm', 'tigergraph3', 'tigergraph4', 'trifacta', 'ica']) expect(info[key]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const config = { endpoint: info.secretsManager, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
      const sm = new SecretsManagerClient(config);
      const before = await sm.send(new GetSecretValueCommand({ SecretId: 'demo/tigergraph4' }));
      const rotated = await sm.send(
        new RotateSecretCommand({ SecretId: 'demo/tigergraph4', RotationLambdaARN: 'arn:aws:lambda:us-east-1:000000000000:function:rotation' }),
      );
      // As on AWS, RotateSecret only starts the rotation: wait (bounded) until the new version is current.
      let after = await sm.send(new GetSecretValueCommand({ SecretId: 'demo/tigergraph4' }));
      for (let i = 0; i < 100 && after.VersionId !== rotated.VersionId; i++) {
        await new Promise((r) => setTimeout(r, 50));
        after = await sm.send(new GetSecretValueCommand({ SecretId: 'demo/tigergraph4' }));
      }
      expect(after.VersionId).toBe(rotated.VersionId);
      expect(JSON.parse(after.SecretString!).token).not.toBe(JSON.parse(before.SecretString!).token);
      const described = await sm.send(new DescribeSecretCommand({ SecretId: 'demo/tigergraph4' }));
      expect(Object.values(described.VersionIdsToStages!).flat()).not.toContain('AWSPENDING');
      const ssm = new SSMClient({ ...config, endpoint: info.ssm });
      await expect(ssm.send(new GetParameterCommand({ Name: '/nope' }))).rejects.toBeInstanceOf(ParameterNotFound);

      // `npm run invoke` against it exits once it has printed, even with the settings parameter
      // present (the settings cache's refresh timer once kept the process alive for minutes).
      await ssm.send(new PutParameterCommand({ Name: '/tg-token-rotation/config', Type: 'String', Overwrite: true, Value: '{"concurrency": 2}' }));
      const invoked = await runNpm(['invoke', '--', 'scheduled-refresh', 'events/scheduled-refresh/scheduler-secret-ids.json'], {
        env: {
          AWS_ENDPOINT_URL: info.secretsManager,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'x',
          AWS_SECRET_ACCESS_KEY: 'y',
          TG_CREDENTIAL_BINDINGS: info.credentialBindings,
          TG_TOKEN_ROTATION_LOCAL: 'true',
        },
        timeoutMs: 40_000,
      });
      expect(invoked.code).toBe(0);
      expect(JSON.parse(invoked.stdout)).toMatchObject({ checked: 4, failed: [] });
      ssm.destroy();
      sm.destroy();
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
    await exited;
    expect(stderr).toMatch(/SIGTERM: shutting down/);
    expect(stderr).not.toMatch(/serve:local failed/);
  });

  it.each([['--verbose'], ['--verbose', '--no-demo', '--port', '0'], ['--no-demo']])(
    'keeps the JSON object on the first stdout line with %s, and everything else on stderr',
    { timeout: 90_000 },
    async (...options) => {
      const env = { ...process.env };
      delete env.AWS_ENDPOINT_URL;
      delete env.POWERTOOLS_LOG_LEVEL;
      const child = spawn('npm', ['run', '--silent', 'serve:local', '--', ...options], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
      try {
        const firstLine = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no first line within 60 s')), 60_000);
          child.stdout.on('data', (d: Buffer) => {
            stdout += d.toString();
            if (stdout.includes('\n')) {
              clearTimeout(timer);
              resolve(stdout.slice(0, stdout.indexOf('\n')));
            }
          });
        });
        expect(Object.keys(JSON.parse(firstLine) as object)).toContain('secretsManager');
        // With the demo secrets and --verbose, the rotation handler logged while they rotated: to stderr.
        if (options.includes('--verbose') && !options.includes('--no-demo')) expect(stderr).toMatch(/"message":"rotation step done"/);
      } finally {
        process.kill(-child.pid!, 'SIGTERM');
      }
      await exited;
      expect(stdout.trim().split('\n')).toHaveLength(1);
    },
  );
});
