/**
 * The HTTP side of the local AWS endpoint: the AWS JSON 1.1 protocol as the SDK and CLI speak it,
 * and, for CloudFormation, the AWS Query protocol and the custom resource answer PUT.
 *
 * A JSON 1.1 request is a POST whose `X-Amz-Target` header names `<service prefix>.<Operation>`
 * and whose body is the JSON input. A success is 200 with the JSON output; an error is a 4xx/5xx
 * whose body is `{"__type": "<ErrorCode>", "message": "..."}`, with the code repeated in
 * `x-amzn-errortype`. A Query request (CloudFormation) is a form-encoded POST (`Action=<Operation>`
 * and the input's fields); its answer is XML, `<OperationResponse><OperationResult>` or
 * `<ErrorResponse><Error><Code>`. A PUT is a custom resource's answer to CloudFormation (the
 * pre-signed URL's path kept). The SigV4 `Authorization` header is not checked: any credentials
 * are accepted.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { AwsServiceError, throttling } from './errors.js';
import type { FaultInjector } from './faults.js';
import type { QuotaLimiter } from './quotas.js';
import type { CloudFormationStore, XmlElement } from './cloudformation.js';
import type { EventBridgeStore } from './eventbridge.js';
import { secretIdOf, type SecretsManagerStore } from './secrets-manager.js';
import { parameterNameOf, type SsmStore } from './ssm.js';
import { isObject, type JsonObject } from './util.js';

export type ServiceName = 'secretsmanager' | 'ssm' | 'cloudformation' | 'events' | 'unknown';

/** One request as the log records it: names and outcomes only, never a secret or parameter value. */
export interface RequestLogEntry {
  service: ServiceName;
  operation: string;
  /** The SecretId (or, for CreateSecret, the Name) the request named. */
  secretId?: string;
  /** The parameter Name an SSM request named. */
  parameterName?: string;
  status: number;
  errorType?: string;
  /** Set when the request was answered ThrottlingException (over a quota, or an injected fault). */
  throttled?: true;
}

export interface HttpDeps {
  secretsManager: SecretsManagerStore;
  ssm: SsmStore;
  cloudFormation: CloudFormationStore;
  eventBridge: EventBridgeStore;
  faults: FaultInjector;
  /** Read per request, so quotas can be switched on and off while the server runs. */
  quotas: () => QuotaLimiter | undefined;
  log: (entry: RequestLogEntry) => void;
}

const TARGET_PREFIXES: Readonly<Record<string, Exclude<ServiceName, 'unknown' | 'cloudformation'>>> = {
  secretsmanager: 'secretsmanager',
  AmazonSSM: 'ssm',
  AWSEvents: 'events',
};
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const QUERY_CONTENT_TYPE = 'application/x-www-form-urlencoded';
/** The operation name a custom resource answer PUT is logged under. */
export const CUSTOM_RESOURCE_ANSWER = 'CustomResourceAnswer';

/**
 * Idle keep-alive connections stay open this long. The SDK's agent reuses idle sockets without a
 * time limit, so a short server timeout (Node's default is 5 s) would race with reuse and surface
 * as ECONNRESET after a pause between calls.
 */
const KEEP_ALIVE_MS = 10 * 60_000;

export function createAwsHttpServer(deps: HttpDeps): Server {
  const server = createServer((req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      // Only reached if writing the response itself failed.
      if (!res.headersSent) sendError(res, internalError(err));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  return server;
}

async function handle(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && (req.url === '/' || req.url === '/health')) {
    req.resume();
    sendJson(res, 200, { status: 'ok', services: ['secretsmanager', 'ssm', 'cloudformation', 'events'] });
    return;
  }
  if (req.method === 'PUT') return answerPut(deps, req, res);
  if (req.method === 'POST' && (header(req, 'content-type') ?? '').startsWith(QUERY_CONTENT_TYPE)) return handleQuery(deps, req, res);
  const target = header(req, 'x-amz-target') ?? '';
  const dot = target.indexOf('.');
  const service = TARGET_PREFIXES[target.slice(0, dot)] ?? 'unknown';
  const operation = dot >= 0 ? target.slice(dot + 1) : target;

  let body: JsonObject = {};
  const entry: RequestLogEntry = { service, operation, status: 200 };
  try {
    if (req.method !== 'POST') {
      req.resume();
      throw new AwsServiceError('UnknownOperationException', 'Only POST requests with X-Amz-Target are supported.');
    }
    body = await readJson(req);
    if (service === 'secretsmanager') {
      const secretId = secretIdOf(operation, body);
      if (secretId !== undefined) entry.secretId = secretId;
    } else if (service === 'ssm') {
      const name = parameterNameOf(body);
      if (name !== undefined) entry.parameterName = name;
    }
    const output = await dispatch(deps, service, operation, body);
    deps.log(entry);
    sendJson(res, 200, output);
  } catch (err) {
    const error = err instanceof AwsServiceError ? err : internalError(err);
    entry.status = error.statusCode;
    entry.errorType = error.errorType;
    if (error.errorType === 'ThrottlingException') entry.throttled = true;
    deps.log(entry);
    sendError(res, error);
  }
}

async function dispatch(
  deps: HttpDeps,
  service: ServiceName,
  operation: string,
  body: JsonObject,
): Promise<JsonObject> {
  const store = service === 'secretsmanager' ? deps.secretsManager : service === 'ssm' ? deps.ssm : service === 'events' ? deps.eventBridge : undefined;
  if (!store || !store.supports(operation)) {
    throw new AwsServiceError(
      'UnknownOperationException',
      `The local endpoint does not implement ${operation || 'this request'} (X-Amz-Target).`,
    );
  }
  // A request over its quota is refused before anything else, as AWS refuses it: it is counted
  // against the quota whatever its outcome would have been. Only Secrets Manager has quotas here.
  if (service === 'secretsmanager' && deps.quotas()?.take(operation) === false) throw throttling();
  const fault = deps.faults.check(operation);
  if (fault) throw fault;
  return store.handle(operation, body);
}

/** A custom resource's answer, PUT to the answer URL CloudFormation handed out (cloudformation.ts). */
async function answerPut(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const entry: RequestLogEntry = { service: 'cloudformation', operation: CUSTOM_RESOURCE_ANSWER, status: 200 };
  try {
    deps.cloudFormation.receiveAnswer(req.url ?? '/', await readBody(req), header(req, 'content-type'));
    deps.log(entry);
    res.writeHead(200, { 'content-length': 0 }).end();
  } catch (err) {
    const error = err instanceof AwsServiceError ? err : internalError(err);
    entry.status = error.statusCode;
    entry.errorType = error.errorType;
    deps.log(entry);
    sendXml(res, error.statusCode, xmlError(error));
  }
}

/** An AWS Query protocol request: CloudFormation's, the only Query service here. */
async function handleQuery(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const params = new URLSearchParams(await readBody(req));
  const operation = params.get('Action') ?? '';
  const entry: RequestLogEntry = { service: 'cloudformation', operation, status: 200 };
  try {
    if (!deps.cloudFormation.supports(operation)) {
      throw new AwsServiceError('InvalidAction', `The local endpoint does not implement ${operation || 'this request'} (Query Action).`);
    }
    const fault = deps.faults.check(operation);
    if (fault) throw fault;
    const result = deps.cloudFormation.handle(operation, params);
    deps.log(entry);
    sendXml(
      res,
      200,
      `<${operation}Response xmlns="${CLOUDFORMATION_XMLNS}"><${operation}Result>${renderXml(result)}</${operation}Result>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${operation}Response>`,
    );
  } catch (err) {
    const error = err instanceof AwsServiceError ? err : internalError(err);
    entry.status = error.statusCode;
    entry.errorType = error.errorType;
    if (error.errorType === 'Throttling' || error.errorType === 'ThrottlingException') entry.throttled = true;
    deps.log(entry);
    sendXml(res, error.statusCode, xmlError(error));
  }
}

const CLOUDFORMATION_XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

function xmlError(error: AwsServiceError): string {
  const type = error.statusCode >= 500 ? 'Receiver' : 'Sender';
  return (
    `<ErrorResponse xmlns="${CLOUDFORMATION_XMLNS}"><Error><Type>${type}</Type><Code>${escapeXml(error.errorType)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}

function renderXml(element: XmlElement): string {
  const inner = typeof element.children === 'string' ? escapeXml(element.children) : element.children.map((c) => (c ? renderXml(c) : '')).join('');
  return `<${element.name}>${inner}</${element.name}>`;
}

function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': randomUUID() });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) {
      throw new AwsServiceError('SerializationException', 'Request body too large.', 413);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req: IncomingMessage): Promise<JsonObject> {
  const text = (await readBody(req)).trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AwsServiceError('SerializationException', 'The request body is not valid JSON.');
  }
  if (!isObject(parsed)) throw new AwsServiceError('SerializationException', 'The request body must be a JSON object.');
  return parsed;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(body);
}

function sendError(res: ServerResponse, error: AwsServiceError): void {
  const body = JSON.stringify({ __type: error.errorType, message: error.message });
  res.writeHead(error.statusCode, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
    'x-amzn-errortype': error.errorType,
  });
  res.end(body);
}

function internalError(err: unknown): AwsServiceError {
  // A bug in the local endpoint, not a modeled error. The cause goes to stderr for the developer;
  // the message sent back stays generic.
  console.error('[local-aws] internal error:', err);
  return new AwsServiceError('InternalServiceError', 'An internal error occurred in the local AWS endpoint.', 500);
}
