/**
 * `npm start`: the whole product on this machine, no AWS account. Starts the local Secrets Manager
 * endpoint and fake TigerGraph 3.x and 4.x, Trifacta and ICA servers, creates one token secret per
 * connection, rotates them through RotateSecret and the real rotation handler, lets (fake) time
 * pass and runs the scheduled refresh: ICA JWTs re-minted within hours, TigerGraph
 * 3.x refreshed in place, 4.x and Trifacta rotated; then the replaced tokens are revoked after the
 * grace period, or left to expire where the API cannot (ICA) or should not (short-lived 4.x
 * leftovers, which would fill TigerGraph's block list) revoke them. Then status, and operating it
 * (local/operations-demo.ts): a pause, a dry-run plan, a rollback and the change events they put on
 * EventBridge. Ends with its own checks. Tokens are only ever shown masked.
 *
 *   npm start              readable transcript
 *   npm start -- --verbose also the handlers' structured JSON logs
 */
const verbose = process.argv.includes('--verbose');
// The handlers' loggers read this at import, so it is set before anything imports them.
process.env.POWERTOOLS_LOG_LEVEL ??= verbose ? 'INFO' : 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const DAY = 86_400;
const HOUR = 3_600;
const SETTINGS = { refreshBeforeSeconds: 3 * DAY, revokeGraceSeconds: HOUR, concurrency: 10 };

type Check = (ok: boolean, what: string) => void;

async function main(): Promise<void> {
  const started = Date.now();
  const { startLocalStack } = await import('./stack.js');
  const { handler: rotationHandler } = await import('../functions/rotation/handler.js');
  const { handler: scheduledHandler } = await import('../functions/scheduled-refresh/handler.js');
  const { handler: onDemandHandler } = await import('../functions/on-demand/handler.js');
  const { lambdaContext } = await import('./lambda-context.js');
  const { heading, table, versionRows, humanDuration } = await import('./transcript.js');
  const { operationsDemo } = await import('./operations-demo.js');

  const say = (line = '') => process.stdout.write(`${line}\n`);
  const names = new Map<string, string>();
  const nameOf = (id: string) => names.get(id) ?? [...names.entries()].find(([arn]) => id.startsWith(arn.slice(0, -7)))?.[1] ?? id;

  const stack = await startLocalStack({
    aws: {
      // RotateSecret runs the real rotation handler; each step is narrated here.
      rotationInvoker: async (event) => {
        const result = (await rotationHandler(event, lambdaContext('rotation'))) as { outcome: string };
        say(`    ${event.Step.padEnd(13)} -> ${result.outcome}  (${nameOf(event.SecretId)})`);
      },
    },
  });
  const ctx = (name: string) => lambdaContext(name, 300_000) as never;
  const onDemand = (event: Record<string, unknown>) => onDemandHandler(event, ctx('on-demand')) as Promise<Record<string, unknown>>;
  const sweep = async (label: string) => {
    const summary = (await scheduledHandler({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, ctx('scheduled-refresh'))) as Record<string, unknown>;
    // On AWS (and here) a rotation the sweep starts runs on its own, after the sweep answers.
    await stack.aws.rotationsSettled();
    say(`  ${label}: ${JSON.stringify(summary)}`);
    return summary;
  };
  const versions = (arn: string) => say(table(versionRows(stack.aws.inspectSecret(arn)!, stack.clock.now())));
  const tokenAt = (arn: string, stage: string): string => {
    const v = stack.aws.inspectSecret(arn)!.versions.find((x) => x.stages.includes(stage));
    return (JSON.parse(v?.secretString ?? '{}') as { token?: string }).token ?? '';
  };
  const failures: string[] = [];
  const check: Check = (ok, what) => {
    say(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures.push(what);
  };

  try {
    say('tg-token-rotation: local run (no AWS account; every server below is on 127.0.0.1)');
    say(heading('1. Local endpoints'));
    say(
      table([
        { service: 'Secrets Manager + SSM (AWS JSON 1.1)', url: stack.aws.url },
        { service: 'fake TigerGraph 3.x (REST++ /requesttoken)', url: stack.tg3.url },
        { service: 'fake TigerGraph 4.x (GSQL /gsql/v1/tokens, JWT)', url: stack.tg4.url },
        { service: 'fake Trifacta (/v4/apiAccessTokens)', url: stack.trifacta.url },
        { service: 'fake ICA (/ica/rest/api/tokens, JWT)', url: stack.ica.url },
      ]),
    );
    await stack.putSettings(SETTINGS);
    say(`  settings /tg-token-rotation/config = ${JSON.stringify(SETTINGS)}`);

    say(heading('2. One token secret per connection, rotated through RotateSecret'));
    say('  Each gets a credential secret (what the API needs to mint) and a token secret tagged');
    say('  tg-token-rotation:managed=true; RotateSecret then runs the four steps of the rotation function:');
    const connections = [
      { name: 'local/tigergraph3', options: { version: 3, fields: { lifetimeSeconds: 7 * DAY } }, live: (t: string) => stack.tg3.isLive(t) },
      { name: 'local/tigergraph4', options: { version: 4, fields: { lifetimeSeconds: 7 * DAY } }, live: (t: string) => stack.tg4.isLive(t) },
      { name: 'local/trifacta', options: { provider: 'trifacta', fields: { lifetimeSeconds: 7 * DAY } }, live: (t: string) => stack.trifacta.isLive(t) },
      { name: 'local/ica-apikey', options: { provider: 'ica' }, live: (t: string) => stack.ica.isLive(t) },
      { name: 'local/ica-password', options: { provider: 'ica', icaMode: 'password' }, live: (t: string) => stack.ica.isLive(t) },
    ] as const;
    const arn: Record<string, string> = {};
    for (const c of connections) {
      say(`\n  ${c.name}`);
      names.set(`arn:aws:secretsmanager:us-east-1:000000000000:secret:${c.name}-XXXXXX`, c.name);
      arn[c.name] = await stack.createTokenSecret(c.name, c.options as never);
      names.set(arn[c.name]!, c.name);
      versions(arn[c.name]!);
    }
    const live = (name: string, stage = 'AWSCURRENT') => connections.find((c) => c.name === name)!.live(tokenAt(arn[name]!, stage));
    check(connections.every((c) => live(c.name)), 'every new token is accepted by its server (an authenticated call with it)');
    const first = Object.fromEntries(connections.map((c) => [c.name, tokenAt(arn[c.name]!, 'AWSCURRENT')]));

    say(heading('3. On-demand "request": rotate local/trifacta now (waits for the outcome)'));
    const requested = await onDemand({ action: 'request', secretId: arn['local/trifacta'] });
    say(`  result: ${JSON.stringify(requested)}`);
    versions(arn['local/trifacta']!);
    check(requested.state === 'finished', 'the request reports the finished rotation');
    check(stack.trifacta.isLive(first['local/trifacta']!), 'the replaced Trifacta token still works (apps holding it have a grace period)');

    say(heading('4. Seven hours pass (fake clock): the 12-hour ICA JWTs are past half their life'));
    stack.clock.advance(7 * HOUR);
    await sweep('scheduled refresh');
    say('  ICA with an API key cannot refresh: a new JWT was minted (a rotation);');
    say('  ICA with a password could refresh, but tokens:refresh may retire the JWT apps hold before the');
    say('  new one is stored, so it is re-minted too: the old JWT keeps working until its own expiry.');
    check(tokenAt(arn['local/ica-apikey']!, 'AWSCURRENT') !== first['local/ica-apikey'], 'ICA (API key): a new JWT replaced the old one');
    check(tokenAt(arn['local/ica-password']!, 'AWSCURRENT') !== first['local/ica-password'], 'ICA (password): a new JWT replaced the old one');
    check(stack.ica.isLive(first['local/ica-password']!), 'ICA (password): the replaced JWT still works (nothing took it away)');
    check(tokenAt(arn['local/tigergraph3']!, 'AWSCURRENT') === first['local/tigergraph3'], 'the 7-day TigerGraph and Trifacta tokens were left alone');

    say(heading('5. Five days pass: TigerGraph and Trifacta tokens are within refreshBeforeSeconds (3 days)'));
    stack.clock.advance(5 * DAY);
    for (const c of connections) {
      const status = await onDemand({ action: 'status', secretId: arn[c.name] });
      say(`  ${c.name.padEnd(19)} ${humanDuration(Number(status.secondsLeft))} left`);
    }
    const beforeSweep = Object.fromEntries(connections.map((c) => [c.name, tokenAt(arn[c.name]!, 'AWSCURRENT')]));
    await sweep('scheduled refresh');
    say('\n  local/tigergraph3 (3.x: same token, new expiry, recorded as a new AWSCURRENT version)');
    versions(arn['local/tigergraph3']!);
    say('\n  local/tigergraph4 (4.x has no refresh: rotated through RotateSecret)');
    versions(arn['local/tigergraph4']!);
    check(tokenAt(arn['local/tigergraph3']!, 'AWSCURRENT') === beforeSweep['local/tigergraph3'], 'TigerGraph 3.x token refreshed in place');
    check(tokenAt(arn['local/tigergraph4']!, 'AWSCURRENT') !== beforeSweep['local/tigergraph4'], 'TigerGraph 4.x token replaced by a rotation');
    check(tokenAt(arn['local/trifacta']!, 'AWSCURRENT') !== beforeSweep['local/trifacta'], 'Trifacta token replaced by a rotation (Trifacta tokens cannot be extended)');
    check(!stack.trifacta.isLive(first['local/trifacta']!), 'the Trifacta token replaced in step 3 was revoked by tokenId after its grace period');

    say(heading('6. The grace period (1 hour) passes: scheduled refresh again'));
    stack.clock.advance(2 * HOUR);
    const settled = await sweep('scheduled refresh');
    check(!stack.trifacta.isLive(beforeSweep['local/trifacta']!), 'the replaced Trifacta token is now revoked');
    check(!stack.tg3.isLive(first['local/tigergraph3']!) || first['local/tigergraph3'] === tokenAt(arn['local/tigergraph3']!, 'AWSCURRENT'), 'no replaced TigerGraph 3.x token stays valid');
    check(
      stack.tg4.isLive(beforeSweep['local/tigergraph4']!) && Number(settled.expiring) > 0,
      'the replaced 4.x token (under 60 days left) is left to expire, not block-listed (the block list holds 20 per user)',
    );
    const again = await sweep('a further run');
    check(again.revoked === 0 && again.rotated === 0 && again.refreshed === 0, 'a further run does nothing (each revoke happens once)');

    say(heading('7. On-demand "status" (metadata only; no response ever holds a token)'));
    const statuses: Array<Record<string, string>> = [];
    for (const c of connections) {
      const s = await onDemand({ action: 'status', secretId: arn[c.name] });
      statuses.push({
        secret: c.name,
        provider: `${String(s.provider)} ${String(s.providerVersion)}`,
        version: String(s.versionId).slice(0, 8),
        expiresAt: String(s.expiresAt),
        left: humanDuration(Number(s.secondsLeft)),
      });
    }
    say(table(statuses));
    const fleet = await onDemand({ action: 'status' });
    say(`  the whole fleet: ${JSON.stringify(fleet.counts)}`);
    check(connections.every((c) => live(c.name)), 'every AWSCURRENT token is accepted by its server');

    await operationsDemo({ stack, arn, onDemand, sweep, say, check, nameOf, tokenAt });

    say(heading('Summary'));
    const sm = stack.aws.requestLog.filter((e) => e.service === 'secretsmanager').length;
    say(`  Secrets Manager calls: ${sm}; tokens minted: TigerGraph 3.x ${stack.tg3.minted}, 4.x ${stack.tg4.minted}, Trifacta ${stack.trifacta.minted}, ICA ${stack.ica.minted}`);
    say(`  checks: ${failures.length === 0 ? 'all passed' : `${failures.length} failed: ${failures.join('; ')}`}`);
    say(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await stack.close();
  }
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  const e = error as Error;
  process.stderr.write(`npm start failed: ${e.name}: ${e.message}\n`);
  process.exitCode = 1;
});
