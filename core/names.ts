/**
 * Every name the functions, the CDK construct, the local run and the docs share, defined once:
 * infra/ and local/ import them from here, so a grep for each literal finds one definition.
 */

/** The product's name: prefix of secret names, log service names and descriptions. */
export const PRODUCT = 'tg-token-rotation';

/**
 * Where the documentation lives, for messages: an installed package ships no docs/ folder, so a
 * message names the page on the repository (package.json `repository` is the same repository).
 */
export const REPOSITORY_URL = 'https://github.com/tg-token-rotation/tg-token-rotation';

/** The token secret's fields (docs/CONTRACT.md, "Token secret"), as messages link it. */
export const TOKEN_SECRET_DOCS_URL = `${REPOSITORY_URL}/blob/main/docs/CONTRACT.md#token-secret-secretstring-json`;

/** SSM parameter holding the operational settings (JSON), unless a deployment names another. */
export const DEFAULT_SETTINGS_PARAMETER = `/${PRODUCT}/config`;

/** Tag (value "true") that marks a token secret for the scheduled refresh (docs/CONTRACT.md). */
export const MANAGED_TAG = `${PRODUCT}:managed`;

/**
 * Tag the rotation function sets on a token secret whose rotation step failed (the step and a
 * sanitized message, never a token), and removes when a rotation succeeds: on AWS RotateSecret
 * answers before the rotation runs, so this is how on-demand `request` learns a rotation failed.
 */
export const ROTATION_ERROR_TAG = `${PRODUCT}:last-rotation-error`;

/**
 * Operational state kept as tags on a token secret (core/operations/records.ts), never in its
 * value: a tag is written in one call whatever the secret's versions are doing (a pause must work
 * while a failed rotation holds AWSPENDING), creates no version, and no tag holds a token.
 *   PAUSED_TAG         on-demand `pause`: `<until> <pausedAt> <reason>`; `resume` removes it.
 *   LAST_REFRESH_TAG   the last refresh's outcome: `<outcome> <instant> [<reason>]`.
 *   LAST_REVOKE_TAG    the last settle's outcome: `<outcome> <instant> [<reason>]`.
 *   RENEWAL_REASON_TAG why the sweep started a rotation a pause or a window would have held back;
 *                      finishSecret puts it in the `Token Rotated` event and removes it.
 */
export const PAUSED_TAG = `${PRODUCT}:paused`;
export const LAST_REFRESH_TAG = `${PRODUCT}:last-refresh`;
export const LAST_REVOKE_TAG = `${PRODUCT}:last-revoke`;
export const RENEWAL_REASON_TAG = `${PRODUCT}:renewal-reason`;

/** The tags the scheduled refresh and on-demand functions may write (the IAM `aws:TagKeys` condition). */
export const OPERATION_TAGS = [PAUSED_TAG, LAST_REFRESH_TAG, LAST_REVOKE_TAG, RENEWAL_REASON_TAG] as const;
/** The tags the rotation function may write or remove. */
export const ROTATION_TAGS = [ROTATION_ERROR_TAG, RENEWAL_REASON_TAG] as const;

/** The `source` of every change event the functions put on EventBridge (core/events.ts). */
export const EVENT_SOURCE = PRODUCT;

/** The CloudFormation resource type of a connection's settings (infra/settings-resource.ts), served by connection-settings. */
export const TOKEN_SECRET_SETTINGS_TYPE = 'Custom::TokenSecretSettings';

/** CloudWatch namespace of the functions' EMF metrics. */
export const METRICS_NAMESPACE = 'TgTokenRotation';

/**
 * The Lambda functions, by the folder name under functions/. `fleet-list` exists only in the
 * Distributed Map sweep engine (infra/sweep-engine.ts): it lists the fleet into S3 for the map.
 */
export const FUNCTION_NAMES = ['rotation', 'scheduled-refresh', 'on-demand', 'connection-settings', 'fleet-list'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** POWERTOOLS_SERVICE_NAME of a function: the `service` dimension of its metrics and logs. */
export function serviceName(fn: FunctionName): string {
  return `${PRODUCT}-${fn}`;
}

/** Secrets Manager cannot rotate more often than every 4 hours, nor less often than every 1000 days. */
export const MIN_ROTATION_INTERVAL_HOURS = 4;
export const MAX_ROTATION_INTERVAL_HOURS = 1000 * 24;

/**
 * Environment variables the CDK construct sets on the functions and functions/ reads (core/ reads
 * none). Local runs set LOCAL_RUN themselves; the construct never does.
 */
export const ENV = {
  /** "true" only in an explicitly local process: then a token secret's allowInsecureHttp is honoured. */
  LOCAL_RUN: 'TG_TOKEN_ROTATION_LOCAL',
  /** The SSM settings parameter's name. */
  SETTINGS_PARAMETER: 'SETTINGS_PARAMETER_NAME',
  /** Comma-separated ARNs of the stack's token secrets: the fleet, unless FLEET_DISCOVERY is "tag". */
  MANAGED_SECRET_IDS: 'TG_MANAGED_SECRET_IDS',
  /** "tag": find managed secrets by tag (ListSecrets on *), including ones outside the stack. */
  FLEET_DISCOVERY: 'TG_FLEET_DISCOVERY',
  /** `arn:<partition>:secretsmanager:<region>:<account>:secret:`: the deployment's own secrets are under it. */
  SECRET_ARN_PREFIX: 'TG_SECRET_ARN_PREFIX',
  /**
   * With tag discovery: the name prefix of the secrets the deployment owns (`<secretNamePrefix>/`),
   * under SECRET_ARN_PREFIX. A tagged secret outside it is refused.
   */
  OWNED_SECRET_NAME_PREFIX: 'TG_OWNED_SECRET_NAME_PREFIX',
  /** JSON: each credential secret's bound origins and token secrets (core/providers/binding.ts). Always set by the construct. */
  CREDENTIAL_BINDINGS: 'TG_CREDENTIAL_BINDINGS',
  /**
   * The ARN of the stack whose custom resources connection-settings serves (AWS::StackId): it
   * refuses events of any other stack, and asks this stack whether an event is real.
   */
  STACK_ID: 'TG_STACK_ID',
  /**
   * Local runs only (honoured with LOCAL_RUN): the origin (http://127.0.0.1:port) that receives
   * the custom resource's answers in place of CloudFormation's S3 bucket, path and query kept.
   */
  LOCAL_CFN_RESPONSE_ENDPOINT: 'TG_LOCAL_CFN_RESPONSE_ENDPOINT',
  /**
   * The EventBridge bus (name or ARN) the functions put change events on (core/events.ts). Unset:
   * no events are put (a local run without an endpoint for them, a unit test).
   */
  EVENT_BUS: 'TG_EVENT_BUS',
  /** HTTP tuning of the providers' calls. */
  HTTP_TIMEOUT_MS: 'TG_HTTP_TIMEOUT_MS',
  HTTP_MAX_ATTEMPTS: 'TG_HTTP_MAX_ATTEMPTS',
  HTTP_BASE_DELAY_MS: 'TG_HTTP_BASE_DELAY_MS',
} as const;
