/**
 * `npm start`: the whole product on this machine, no AWS account. Starts the local Secrets Manager
 * endpoint and fake TigerGraph 3.x and 4.x servers, creates token secrets, rotates them through
 * RotateSecret and the real rotation handler, lets (fake) time pass, runs the scheduled refresh
 * (a 3.x refresh in place, a 4.x rotation), revokes previous tokens after the grace period, shows
 * on-demand status, and checks the result. Tokens are only ever shown masked.
 *
 *   npm start              readable transcript
 *   npm start -- --verbose also the handlers' structured JSON logs
 */
const verbose = process.argv.includes('--verbose');
// The handlers' loggers read this at import, so it is set before anything imports them.
process.env.POWERTOOLS_LOG_LEVEL ??= verbose ? 'INFO' : 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const DAY = 86_400;
const SETTINGS = { refreshBeforeSeconds: 3 * DAY, revokeGraceSeconds: 3_600, concurrency: 10 };

async function main(): Promise<void> {
  const started = Date.now();
  const { startLocalStack } = await import('./stack.js');
  const { handler: rotationHandler } = await import('../functions/rotation/handler.js');
  const { handler: scheduledHandler } = await import('../functions/scheduled-refresh/handler.js');
  const { handler: onDemandHandler } = await import('../functions/on-demand/handler.js');
  const { lambdaContext } = await import('./lambda-context.js');
  const { heading, table, versionRows, humanDuration } = await import('./transcript.js');

  const say = (line = '') => process.stdout.write(`${line}\n`);
  const names = new Map<string, string>();

  const stack = await startLocalStack({
    aws: {
      // RotateSecret runs the real rotation handler; each step is narrated here.
      rotationInvoker: async (event) => {
        const result = (await rotationHandler(event, lambdaContext('rotation'))) as { outcome: string };
        say(`    ${event.Step.padEnd(13)} -> ${result.outcome}  (${names.get(event.SecretId) ?? event.SecretId})`);
      },
    },
  });
  const ctx = (name: string) => lambdaContext(name, 300_000) as Parameters<typeof scheduledHandler>[1];
  const show = (arn: string) => say(table(versionRows(stack.aws.inspectSecret(arn)!, stack.clock.now())));
  const currentToken = (arn: string): string => {
    const v = stack.aws.inspectSecret(arn)!.versions.find((x) => x.stages.includes('AWSCURRENT'))!;
    return (JSON.parse(v.secretString!) as { token: string }).token;
  };
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    say(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures.push(what);
  };

  try {
    say('tg-token-rotation: local run (no AWS account; every server below is on 127.0.0.1)');
    say(heading('1. Local endpoints'));
    say(table([
      { service: 'Secrets Manager + SSM (AWS JSON 1.1)', url: stack.aws.url },
      { service: 'fake TigerGraph 3.x (REST++ /requesttoken)', url: stack.tg3.url },
      { service: 'fake TigerGraph 4.x (GSQL /gsql/v1/tokens, JWT)', url: stack.tg4.url },
    ]));
    await stack.putSettings(SETTINGS);
    say(`  settings /tg-token-rotation/config = ${JSON.stringify(SETTINGS)}`);

    say(heading('2. Create secrets and rotate them through RotateSecret'));
    say('  Each connection gets a credential secret (TigerGraph secret for 3.x, user/password for 4.x)');
    say('  and a token secret tagged tg-token-rotation:managed=true. RotateSecret then runs the four steps:');
    const lifetime = { lifetimeSeconds: 7 * DAY };
    const pending = ['local/tigergraph3', 'local/tigergraph4'];
    const tg3Arn = await createAndName('local/tigergraph3', 3);
    const tg4Arn = await createAndName('local/tigergraph4', 4);
    async function createAndName(name: string, version: 3 | 4): Promise<string> {
      // The ARN is only known once CreateSecret answers; name the steps by the secret name meanwhile.
      const original = names.get.bind(names);
      names.get = (key: string) => original(key) ?? pending.find((n) => key.includes(`:secret:${n}-`));
      const arn = await stack.createTokenSecret(name, { version, fields: lifetime });
      names.set(arn, name);
      return arn;
    }
    for (const [name, arn] of [['local/tigergraph3', tg3Arn], ['local/tigergraph4', tg4Arn]] as const) {
      say(`\n  ${name}`);
      show(arn);
    }
    const firstTokens = { tg3: currentToken(tg3Arn), tg4: currentToken(tg4Arn) };
    check(stack.tg3.isLive(firstTokens.tg3) && stack.tg4.isLive(firstTokens.tg4), 'both new tokens are accepted by TigerGraph (authenticated REST++ /echo)');

    say(heading('3. On-demand "request": rotate local/tigergraph3 now'));
    const requested = await onDemandHandler({ action: 'request', secretId: tg3Arn }, ctx('on-demand'));
    say(`  result: ${JSON.stringify(requested)}`);
    show(tg3Arn);
    check(stack.tg3.isLive(firstTokens.tg3), 'the replaced token still works (consumers holding it have a grace period)');

    say(heading('4. Five days pass (fake clock): both tokens are within refreshBeforeSeconds (3 days)'));
    stack.clock.advance(5 * DAY);
    for (const [name, arn] of [['local/tigergraph3', tg3Arn], ['local/tigergraph4', tg4Arn]] as const) {
      const status = (await onDemandHandler({ action: 'status', secretId: arn }, ctx('on-demand'))) as { secondsLeft: number };
      say(`  ${name}: ${humanDuration(status.secondsLeft)} left`);
    }
    const beforeRefresh = { tg3: currentToken(tg3Arn), tg4: currentToken(tg4Arn) };

    say(heading('5. Scheduled refresh (EventBridge event; secrets found by tag)'));
    const sweep1 = await scheduledHandler({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, ctx('scheduled-refresh'));
    say(`  summary: ${JSON.stringify(sweep1)}`);
    say('  (the 3.x token replaced in step 3 was past its grace period, so this run also revoked it)');
    say('\n  local/tigergraph3 (3.x: same token, new expiry, recorded as a new AWSCURRENT version)');
    show(tg3Arn);
    say('\n  local/tigergraph4 (4.x has no refresh: rotated through RotateSecret)');
    show(tg4Arn);
    check(currentToken(tg3Arn) === beforeRefresh.tg3, '3.x token refreshed in place');
    check(currentToken(tg4Arn) !== beforeRefresh.tg4, '4.x token replaced by a rotation');

    say(heading('6. The grace period (revokeGraceSeconds = 1 hour) passes: scheduled refresh again'));
    stack.clock.advance(2 * 3_600);
    const sweep2 = await scheduledHandler({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, ctx('scheduled-refresh'));
    say(`  summary: ${JSON.stringify(sweep2)}`);
    check(!stack.tg3.isLive(firstTokens.tg3), 'the replaced 3.x token is now revoked at TigerGraph');
    check(!stack.tg4.isLive(beforeRefresh.tg4), 'the replaced 4.x token is now revoked at TigerGraph (block-listed)');
    const sweep3 = (await scheduledHandler({ secretIds: [tg3Arn, tg4Arn] }, ctx('scheduled-refresh'))) as { revoked: number };
    check(sweep3.revoked === 0, 'a further run revokes nothing (each revoke happens once)');

    say(heading('7. On-demand "status" (metadata only; no response ever holds a token)'));
    const statuses: Array<Record<string, string>> = [];
    for (const arn of [tg3Arn, tg4Arn]) {
      const s = (await onDemandHandler({ action: 'status', secretId: arn }, ctx('on-demand'))) as Record<string, unknown>;
      statuses.push({
        secret: names.get(arn) ?? arn,
        version: String(s.versionId).slice(0, 8),
        tigergraph: String(s.tigergraphVersion),
        issuedAt: String(s.issuedAt),
        expiresAt: String(s.expiresAt),
        left: humanDuration(Number(s.secondsLeft)),
      });
    }
    say(table(statuses));
    check(stack.tg3.isLive(currentToken(tg3Arn)) && stack.tg4.isLive(currentToken(tg4Arn)), 'every AWSCURRENT token is accepted by TigerGraph');

    say(heading('Summary'));
    const sm = stack.aws.requestLog.filter((e) => e.service === 'secretsmanager').length;
    say(`  Secrets Manager calls: ${sm}; TigerGraph calls: 3.x ${stack.tg3.stats().total}, 4.x ${stack.tg4.stats().total}; tokens minted: 3.x ${stack.tg3.minted}, 4.x ${stack.tg4.minted}`);
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
