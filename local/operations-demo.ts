/**
 * `npm start`'s operations part (issue 23): a pause held through a sweep, a dry-run plan that writes
 * nothing, a rollback (and one refused, with its reason), and the change events they produced, as
 * the local endpoint received them. Tokens never appear, not even masked: events carry none.
 */
import type { LocalStack } from './stack.js';
import { heading, table } from './transcript.js';

export interface OperationsDemo {
  stack: LocalStack;
  /** Token secret ARNs by connection name. */
  arn: Record<string, string>;
  onDemand(event: Record<string, unknown>): Promise<Record<string, unknown>>;
  sweep(label: string): Promise<Record<string, unknown>>;
  say(line?: string): void;
  check(ok: boolean, what: string): void;
  nameOf(id: string): string;
  tokenAt(arn: string, stage: string): string;
}

const DAY = 86_400;
const WRITES = new Set(['PutSecretValue', 'UpdateSecretVersionStage', 'TagResource', 'UntagResource', 'RotateSecret', 'UpdateSecret']);

export async function operationsDemo(d: OperationsDemo): Promise<void> {
  const { stack, arn, say, check } = d;
  const firstEvent = stack.aws.events().length;
  const tokenApiCalls = () => stack.tg3.stats().total + stack.tg4.stats().total + stack.trifacta.stats().total + stack.ica.stats().total;

  say(heading('8. Pause local/tigergraph4 during an incident'));
  const paused = await d.onDemand({ action: 'pause', secretId: arn['local/tigergraph4'], reason: 'incident 4711: TigerGraph upgrade', durationSeconds: 7 * DAY });
  say(`  pause: ${JSON.stringify(paused)}`);
  const status = await d.onDemand({ action: 'status', secretId: arn['local/tigergraph4'] });
  say(`  status: paused ${String(status.paused)}, ${JSON.stringify(status.pause)}`);
  say(`          last rotation ${JSON.stringify(status.lastRotation)}, last revoke ${JSON.stringify(status.lastRevoke)}`);

  say(heading('9. Five days pass. "plan": what will the next sweep do? (a dry run)'));
  stack.clock.advance(5 * DAY);
  const logStart = stack.aws.requestLog.length;
  const tokenCallsBefore = tokenApiCalls();
  const plan = (await d.onDemand({ action: 'plan' })) as {
    secrets: Array<{ secretId: string; renew: string; replaced: Array<{ action: string }>; heldBack?: string; reason: string }>;
    calls: Record<string, number>;
    expectedSeconds: number;
  };
  say(
    table(
      plan.secrets.map((s) => ({
        secret: d.nameOf(s.secretId),
        renew: s.renew,
        'replaced tokens': s.replaced.map((r) => r.action).join(', ') || '-',
        'held back': s.heldBack ?? '-',
        why: s.reason.length > 70 ? `${s.reason.slice(0, 69)}…` : s.reason,
      })),
    ),
  );
  say(`  Secrets Manager calls it would make: ${JSON.stringify(plan.calls)}; at the budgets, about ${plan.expectedSeconds} s`);
  const planWrites = stack.aws.requestLog.slice(logStart).filter((e) => WRITES.has(e.operation)).length;
  check(planWrites === 0 && tokenApiCalls() === tokenCallsBefore, 'the plan wrote nothing and called no token API (endpoint request log, fakes\' counters)');
  const tg4Before = d.tokenAt(arn['local/tigergraph4']!, 'AWSCURRENT');
  const summary = await d.sweep('scheduled refresh');
  check(d.tokenAt(arn['local/tigergraph4']!, 'AWSCURRENT') === tg4Before && Number(summary.deferred) >= 1, 'the paused connection was left alone (its token is far from expiry)');
  const planned = plan.secrets.filter((s) => s.renew !== 'none').length;
  check(Number(summary.refreshed) + Number(summary.rotated) === planned, `the sweep renewed what the plan said it would (${planned})`);
  const resumed = await d.onDemand({ action: 'resume', secretId: arn['local/tigergraph4'] });
  say(`  resume: ${JSON.stringify(resumed)}`);

  say(heading('10. "rollback": the token a rotation brought breaks an app; go back'));
  const previousToken = d.tokenAt(arn['local/trifacta']!, 'AWSCURRENT');
  await d.onDemand({ action: 'request', secretId: arn['local/trifacta'] });
  const rolledBack = await d.onDemand({ action: 'rollback', secretId: arn['local/trifacta'], reason: 'the new token lacks the analyst role' });
  say(`  rollback local/trifacta: ${JSON.stringify(rolledBack)}`);
  check(d.tokenAt(arn['local/trifacta']!, 'AWSCURRENT') === previousToken && stack.trifacta.isLive(previousToken), 'AWSCURRENT holds the previous token again, and its server accepts it');
  try {
    await d.onDemand({ action: 'rollback', secretId: arn['local/tigergraph3'], reason: 'try' });
    check(false, 'a rollback with nothing to go back to is refused');
  } catch (e) {
    say(`  rollback local/tigergraph3: refused: ${(e as Error).message}`);
    check((e as Error).name === 'ValidationError', 'a rollback with nothing to go back to is refused, with the reason');
  }

  say(heading('11. The change events these runs put on EventBridge (default bus)'));
  const produced = stack.aws.events().slice(firstEvent);
  say(
    table(
      produced.map((e) => ({
        'detail-type': e.detailType,
        connection: String(e.detail.connection),
        version: typeof e.detail.versionId === 'string' ? e.detail.versionId.slice(0, 8) : '-',
        detail: String(e.detail.reason ?? e.detail.outcome ?? e.detail.expiresAt ?? '').slice(0, 60),
      })),
    ),
  );
  say(`  ${stack.aws.events().length} events in all since the start; every detail holds ids, instants and reasons only`);
  const types = new Set(produced.map((e) => e.detailType));
  check(['Connection Paused', 'Connection Resumed', 'Token Rolled Back', 'Token Rotated'].every((t) => types.has(t)), 'the pause, the resume, the rollback and the rotations each put their event');
  const text = JSON.stringify(stack.aws.events());
  const tokens = stack.aws.inspectSecrets().flatMap((s) => s.versions.map((v) => (JSON.parse(v.secretString ?? '{}') as { token?: string }).token).filter((t): t is string => Boolean(t)));
  check(tokens.length > 0 && tokens.every((t) => !text.includes(t)), 'no event carries a token');
}
