// Checks recorded HTTP exchanges against AWS's service models (service-models.ts): the request our code
// sent (operation, method, path, target header, content type, every member) and the answer the server
// gave (the output shape, or an error the operation declares with the status the model gives it). One
// function per protocol the runner meets: AWS JSON 1.0/1.1 (DynamoDB, Secrets Manager, ECR), REST JSON
// (EKS, the API Gateway management API) and the query protocol of the STS URL inside an EKS token.
import type { Operation, ServiceModel } from './service-models.ts';
import { validateShape, type ValidateOptions } from './shape-validator.ts';

/** The parts of an exchange the checks read (test/support/wire-tap.ts records them). */
export interface Exchange {
  method: string;
  path: string;
  headers: Record<string, string>;
  requestBody: Buffer;
  status?: number;
  responseHeaders: Record<string, string>;
  responseBody: Buffer;
}

export interface CheckOptions extends ValidateOptions {
  /** Check the answer too (default). Off for answers of implementations we did not write (dynalite). */
  answer?: boolean;
}

export interface ExchangeCheck {
  operation: string;
  /** The error type answered, if any. */
  error?: string;
  problems: string[];
}

/**
 * Errors every AWS service may answer without its model declaring them (AWS's "Common Errors" pages of
 * the API references, and the authentication errors of the JSON protocols), with the statuses they come
 * with: the JSON protocols answer client errors with 400 where REST services use 403.
 */
export const COMMON_ERRORS: Record<string, number[]> = {
  AccessDeniedException: [400, 403],
  IncompleteSignature: [400, 403],
  InternalFailure: [500],
  InvalidAction: [400],
  InvalidClientTokenId: [403],
  InvalidSignatureException: [400, 403],
  MissingAuthenticationTokenException: [403],
  NotAuthorized: [400],
  OptInRequired: [403],
  RequestExpired: [400],
  SerializationException: [400],
  ServiceUnavailable: [503],
  ThrottlingException: [400, 429],
  UnknownOperationException: [400],
  UnrecognizedClientException: [400, 403],
  ValidationError: [400],
  ValidationException: [400],
};

function json(buffer: Buffer, what: string, problems: string[]): unknown {
  if (buffer.length === 0) return {};
  try {
    return JSON.parse(buffer.toString('utf8'));
  } catch {
    problems.push(`${what} is not JSON`);
    return undefined;
  }
}

/** `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException` and `Foo:http://…` both name `Foo`. */
function errorName(raw: string): string {
  return raw.split('#').at(-1)!.split(':')[0]!.trim();
}

function checkError(
  model: ServiceModel,
  op: Operation,
  name: string,
  status: number | undefined,
  body: unknown,
  options: ValidateOptions,
): string[] {
  const problems: string[] = [];
  const declared = op.errors?.some((ref) => ref.shape === name);
  if (declared) {
    const shape = model.shapes[name]!;
    const expected = shape.error?.httpStatusCode;
    if (expected !== undefined && status !== expected)
      problems.push(`${name} comes with HTTP ${expected} in the model, the answer had ${status}`);
    if (expected === undefined) {
      const server = shape.fault === true;
      if (server && !(status !== undefined && status >= 500))
        problems.push(`${name} is a server fault in the model (5xx), the answer had ${status}`);
      if (!server && !(status !== undefined && status >= 400 && status < 500))
        problems.push(`${name} is a client error in the model (4xx), the answer had ${status}`);
    }
    if (body && typeof body === 'object') {
      // The protocol's own `__type`/`code` keys are not members, and AWS sends a message with every error
      // whether the shape declares one or not, as `message` or `Message` (the SDKs read either).
      const {
        __type: _type,
        code: _code,
        message: _message,
        Message: _Message,
        ...members
      } = body as Record<string, unknown>;
      problems.push(...validateShape(model, name, members, `error ${name}`, options));
    }
    return problems;
  }
  const common = COMMON_ERRORS[name];
  if (!common) {
    problems.push(`${op.name} does not declare the error ${name}, and it is not a common AWS error`);
  } else if (status === undefined || !common.includes(status)) {
    problems.push(
      `the common error ${name} comes with HTTP ${common.join(' or ')}, the answer had ${status}`,
    );
  }
  return problems;
}

/** AWS JSON 1.0/1.1: POST / with `X-Amz-Target: <targetPrefix>.<Operation>`. */
export function checkJsonExchange(
  model: ServiceModel,
  exchange: Exchange,
  options: CheckOptions = {},
): ExchangeCheck {
  const problems: string[] = [];
  const target = exchange.headers['x-amz-target'] ?? '';
  const [prefix, name = ''] = target.split('.');
  if (prefix !== model.metadata.targetPrefix)
    problems.push(`X-Amz-Target "${target}" does not start with ${model.metadata.targetPrefix}.`);
  const op = model.operations[name];
  if (!op) return { operation: name, problems: [...problems, `${model.service} has no operation ${name}`] };
  if (exchange.method !== op.http.method)
    problems.push(`${name} is ${op.http.method}, sent ${exchange.method}`);
  if (exchange.path.split('?')[0] !== op.http.requestUri)
    problems.push(`${name} is sent to ${op.http.requestUri}, sent to ${exchange.path}`);
  const contentType = `application/x-amz-json-${model.metadata.jsonVersion}`;
  if (!(exchange.headers['content-type'] ?? '').startsWith(contentType))
    problems.push(`Content-Type "${exchange.headers['content-type']}" is not ${contentType}`);
  const input = json(exchange.requestBody, `the ${name} request body`, problems);
  if (input !== undefined && op.input)
    problems.push(...validateShape(model, op.input.shape, input, `${name} input`, options));
  if (options.answer === false) return { operation: name, problems };
  const answerOptions = { ...options, constraints: false };
  const body = json(exchange.responseBody, `the ${name} answer`, problems);
  if (exchange.status === 200) {
    if (body !== undefined && op.output)
      problems.push(...validateShape(model, op.output.shape, body, `${name} output`, answerOptions));
    return { operation: name, problems };
  }
  const type =
    (body as { __type?: string } | undefined)?.__type ?? exchange.responseHeaders['x-amzn-errortype'];
  if (!type)
    return { operation: name, problems: [...problems, `HTTP ${exchange.status} without an error __type`] };
  const error = errorName(type);
  problems.push(...checkError(model, op, error, exchange.status, body, answerOptions));
  return { operation: name, error, problems };
}

function uriPattern(requestUri: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const path = requestUri.split('?')[0]!;
  const source = path
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{([^}]+?)(\+?)\}/g, (_all, label: string, greedy: string) => {
      names.push(label);
      return greedy ? '(.+)' : '([^/]+)';
    });
  return { pattern: new RegExp(`^${source}$`), names };
}

/** REST JSON: the operation is the one whose method and URI template match; members live in the URI or body. */
export function checkRestJsonExchange(
  model: ServiceModel,
  exchange: Exchange,
  options: CheckOptions & { basePath?: string } = {},
): ExchangeCheck {
  const problems: string[] = [];
  const fullPath = exchange.path.split('?')[0]!;
  const path =
    options.basePath && fullPath.startsWith(options.basePath)
      ? fullPath.slice(options.basePath.length)
      : fullPath;
  let found: { op: Operation; values: string[]; names: string[] } | undefined;
  for (const op of Object.values(model.operations)) {
    if (op.http.method !== exchange.method) continue;
    const { pattern, names } = uriPattern(op.http.requestUri);
    const match = pattern.exec(path);
    if (match) {
      found = { op, values: match.slice(1), names };
      break;
    }
  }
  if (!found)
    return {
      operation: `${exchange.method} ${path}`,
      problems: [`${model.service} has no operation for ${exchange.method} ${path}`],
    };
  const { op, values, names } = found;
  const inputShape = op.input ? model.shapes[op.input.shape] : undefined;
  const members = inputShape?.members ?? {};
  names.forEach((label, index) => {
    const entry = Object.entries(members).find(
      ([, ref]) => ref.location === 'uri' && ref.locationName === label,
    );
    if (!entry) return problems.push(`${op.name}: the URI label ${label} is no input member`);
    const value = decodeURIComponent(values[index]!);
    problems.push(
      ...validateShape(model, entry[1].shape, value, `${op.name} ${entry[0]}`, { ...options, where: 'uri' }),
    );
  });
  if (inputShape) {
    const payload = inputShape.payload;
    if (payload) {
      const required = inputShape.required?.includes(payload);
      const shapeName = members[payload]!.shape;
      if (model.shapes[shapeName]?.type === 'blob') {
        if (required && exchange.requestBody.length === 0)
          problems.push(`${op.name}: the required payload ${payload} is empty`);
      } else {
        const body = json(exchange.requestBody, `the ${op.name} payload`, problems);
        problems.push(...validateShape(model, shapeName, body, `${op.name} ${payload}`, options));
      }
    } else {
      const body = json(exchange.requestBody, `the ${op.name} request body`, problems);
      // URI members are checked above; what the body holds must be body members of the input shape.
      if (body !== undefined)
        problems.push(...validateShape(model, op.input!.shape, body, `${op.name} input`, options));
    }
  }
  const expected = op.http.responseCode ?? 200;
  if (options.answer === false) return { operation: op.name, problems };
  const answerOptions = { ...options, constraints: false };
  const body = json(exchange.responseBody, `the ${op.name} answer`, problems);
  if (exchange.status !== undefined && exchange.status < 300) {
    if (exchange.status !== expected)
      problems.push(`${op.name} answers HTTP ${expected} in the model, the answer had ${exchange.status}`);
    if (op.output && body !== undefined)
      problems.push(...validateShape(model, op.output.shape, body, `${op.name} output`, answerOptions));
    else if (!op.output && exchange.responseBody.length > 0)
      problems.push(`${op.name} has no output, the answer had a body`);
    return { operation: op.name, problems };
  }
  const type =
    exchange.responseHeaders['x-amzn-errortype'] ??
    (body as { code?: string; __type?: string } | undefined)?.code ??
    (body as { __type?: string } | undefined)?.__type;
  if (!type)
    return {
      operation: op.name,
      problems: [...problems, `HTTP ${exchange.status} without an error type (x-amzn-errortype)`],
    };
  const error = errorName(type);
  problems.push(...checkError(model, op, error, exchange.status, body, answerOptions));
  return { operation: op.name, error, problems };
}

/** The SigV4 query parameters of a presigned URL (AWS Signature Version 4, "Authenticating requests: query parameters"). */
const PRESIGN_PARAMETERS = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
]);

/** The query protocol of a presigned URL: `Action`, `Version` and the input members, besides the signature. */
export function checkPresignedQueryUrl(
  model: ServiceModel,
  url: URL,
  expected: { operation: string; signedHeaders?: string[] },
): string[] {
  const problems: string[] = [];
  if (model.metadata.protocol !== 'query') problems.push(`${model.service} does not use the query protocol`);
  const params = url.searchParams;
  const action = params.get('Action') ?? '';
  if (action !== expected.operation) problems.push(`Action is "${action}", expected ${expected.operation}`);
  const op = model.operations[action];
  if (!op) return [...problems, `${model.service} has no operation ${action}`];
  if (params.get('Version') !== model.metadata.apiVersion)
    problems.push(
      `Version is "${params.get('Version')}", the model's API version is ${model.metadata.apiVersion}`,
    );
  const input: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version' || PRESIGN_PARAMETERS.has(key)) continue;
    input[key] = value;
  }
  if (op.input)
    problems.push(...validateShape(model, op.input.shape, input, `${action} input`, { where: 'query' }));
  if (params.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
    problems.push('the URL is not signed with AWS4-HMAC-SHA256');
  const signed = (params.get('X-Amz-SignedHeaders') ?? '').split(';');
  for (const header of ['host', ...(expected.signedHeaders ?? [])]) {
    if (!signed.includes(header)) problems.push(`the signature does not cover the ${header} header`);
  }
  const credentialService = (params.get('X-Amz-Credential') ?? '').split('/')[3];
  if (credentialService !== (model.metadata.signingName ?? model.metadata.endpointPrefix))
    problems.push(
      `signed for service "${credentialService}", the model signs as ${model.metadata.signingName ?? model.metadata.endpointPrefix}`,
    );
  return problems;
}
