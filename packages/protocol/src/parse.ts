// parseFrame: one incoming frame (anything at all) → a typed request, or the protocol error to answer with.
// It never throws. Error messages name field paths and what to do; they never repeat input values, since
// a value may be long or a secret.
import type { z } from 'zod';
import { EXTENSION_ERROR_CODES, MAX_MESSAGE_BYTES, OPERATIONS, PROTOCOL_VERSION } from './constants.ts';
import type { ExtensionErrorCode, OperationName } from './constants.ts';
import { ID_PATTERN, MAX_ID_LENGTH, operationPayloadSchemas } from './schemas.ts';
import type { BridgeRequest, ProtocolError } from './schemas.ts';

/**
 * A parsed frame. `acceptErrorCodes` holds the extension error codes (added since v1) the sender listed in
 * the request's `acceptErrorCodes`, when it listed any: an error answer may then use them.
 */
export type ParsedFrame = (
  | { ok: true; request: BridgeRequest }
  | { ok: false; id: string | null; op?: OperationName; error: ProtocolError }
) & { acceptErrorCodes?: readonly ExtensionErrorCode[] };

const MAX_LISTED_ISSUES = 5;
const ID_RULE = `1–${MAX_ID_LENGTH} characters of [A-Za-z0-9._:-]`;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const knownOperations: ReadonlySet<string> = new Set(OPERATIONS);

function isOperationName(value: unknown): value is OperationName {
  return typeof value === 'string' && knownOperations.has(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(
  id: string | null,
  code: ProtocolError['code'],
  message: string,
  op?: OperationName,
): ParsedFrame {
  return op === undefined
    ? { ok: false, id, error: { code, message } }
    : { ok: false, id, op, error: { code, message } };
}

function tooLarge(bytes: number | undefined): ParsedFrame {
  const size = bytes === undefined ? 'larger than' : `${bytes} bytes, above`;
  return fail(
    null,
    'payload_too_large',
    `The message is ${size} the ${MAX_MESSAGE_BYTES}-byte (128 KiB) limit and was not read. ` +
      'Send smaller messages: large workflow configs belong in deployPipeline once, not in every request.',
  );
}

/** The frame's text, or the error to answer with. Sizes are checked before anything is decoded or parsed. */
function frameText(frame: unknown): string | ParsedFrame {
  if (typeof frame === 'string') {
    // A UTF-16 code unit is 1–3 UTF-8 bytes, so the exact count is only needed in between.
    if (frame.length > MAX_MESSAGE_BYTES) return tooLarge(undefined);
    if (frame.length * 3 > MAX_MESSAGE_BYTES) {
      const bytes = Buffer.byteLength(frame, 'utf8');
      if (bytes > MAX_MESSAGE_BYTES) return tooLarge(bytes);
    }
    return frame;
  }
  let bytes: Uint8Array | undefined;
  if (frame instanceof Uint8Array) bytes = frame;
  else if (frame instanceof ArrayBuffer || frame instanceof SharedArrayBuffer) bytes = new Uint8Array(frame);
  else if (ArrayBuffer.isView(frame))
    bytes = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  else if (Array.isArray(frame) && frame.length > 0 && frame.every((part) => part instanceof Uint8Array)) {
    // `ws` delivers a fragmented message as an array of Buffers.
    const total = frame.reduce((sum: number, part: Uint8Array) => sum + part.byteLength, 0);
    if (total > MAX_MESSAGE_BYTES) return tooLarge(total);
    bytes = Buffer.concat(frame);
  }
  if (bytes === undefined) {
    return fail(
      null,
      'bad_request',
      'The frame is not text: send each message as one UTF-8 JSON text frame.',
    );
  }
  if (bytes.byteLength > MAX_MESSAGE_BYTES) return tooLarge(bytes.byteLength);
  try {
    return utf8.decode(bytes);
  } catch {
    return fail(
      null,
      'bad_request',
      'The frame is not valid UTF-8: send each message as one UTF-8 encoded JSON text frame.',
    );
  }
}

function pathText(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  record: 'an object',
  array: 'an array',
  null: 'null',
};

function expectedText(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_NAMES[issue.expected] ?? issue.expected;
    case 'too_small':
      return issue.origin === 'string' && Number(issue.minimum) === 1
        ? 'a non-empty string'
        : 'a bigger value';
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return 'a valid value';
  }
}

/** One human sentence for one issue; it names the path and the rule, never the value. */
function issueText(issue: z.core.$ZodIssue, root: unknown, prefix: readonly PropertyKey[]): string {
  const fullPath = [...prefix, ...issue.path];
  const where = pathText(fullPath) || 'the message';
  if (issue.path.length > 0 && valueAt(root, issue.path) === undefined) return `${where} is required`;
  switch (issue.code) {
    case 'invalid_type':
      return `${where} must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      if (issue.values.length === 1) return `${where} must be ${JSON.stringify(issue.values[0])}`;
      return `${where} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'string') {
        return Number(issue.minimum) === 1
          ? `${where} must not be empty`
          : `${where} must be at least ${issue.minimum} characters`;
      }
      return `${where} must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `${where} must be at most ${issue.maximum} characters`;
      return `${where} must be at most ${issue.maximum}`;
    case 'invalid_format':
      if (issue.format === 'regex' && String(issue.pattern).includes(ID_PATTERN.source))
        return `${where} must be ${ID_RULE}`;
      return `${where} must be a valid ${issue.format}`;
    case 'invalid_union': {
      const options = issue.errors.map((branch) => (branch[0] ? expectedText(branch[0]) : 'a valid value'));
      return `${where} must be ${[...new Set(options)].join(' or ')}`;
    }
    default:
      return `${where} is invalid`;
  }
}

function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  root: unknown,
  prefix: readonly PropertyKey[],
): string {
  const sentences = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => issueText(issue, root, prefix));
  const more = issues.length - MAX_LISTED_ISSUES;
  return sentences.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

/**
 * The extension codes a request lists in `acceptErrorCodes`. Read leniently: a malformed list is ignored
 * rather than failing the request, since it only widens what the answer may say.
 */
function acceptedExtensionCodes(message: Record<string, unknown>): ExtensionErrorCode[] {
  const listed = message['acceptErrorCodes'];
  if (!Array.isArray(listed)) return [];
  return (Object.keys(EXTENSION_ERROR_CODES) as ExtensionErrorCode[]).filter((code) => listed.includes(code));
}

function parseObject(message: Record<string, unknown>): ParsedFrame {
  const parsed = parseEnvelope(message);
  const accepted = acceptedExtensionCodes(message);
  return accepted.length > 0 ? { ...parsed, acceptErrorCodes: accepted } : parsed;
}

function parseEnvelope(message: Record<string, unknown>): ParsedFrame {
  const rawId = message['id'];
  if (rawId === undefined || rawId === null) {
    return fail(null, 'bad_request', `id is required: give every request an id of ${ID_RULE}.`);
  }
  if (typeof rawId !== 'string' || !ID_PATTERN.test(rawId)) {
    return fail(null, 'bad_request', `id must be ${ID_RULE}; resend the request with such an id.`);
  }
  const id = rawId;
  const op = isOperationName(message['type']) ? message['type'] : undefined;

  if (!('v' in message)) {
    return fail(id, 'bad_request', `v is required: send "v": ${PROTOCOL_VERSION}, the protocol version.`, op);
  }
  if (message['v'] !== PROTOCOL_VERSION) {
    return fail(
      id,
      'unsupported_version',
      `This runner speaks bridge protocol version ${PROTOCOL_VERSION} only: send "v": ${PROTOCOL_VERSION}.`,
      op,
    );
  }
  const type = message['type'];
  if (type === undefined) {
    return fail(id, 'bad_request', `type is required: name the operation, one of ${OPERATIONS.join(', ')}.`);
  }
  if (op === undefined) {
    return fail(
      id,
      'unknown_operation',
      `type is not an operation this runner knows: use one of ${OPERATIONS.join(', ')}.`,
    );
  }

  const rawPayload = message['payload'] ?? {};
  if (!isPlainObject(rawPayload)) {
    return fail(id, 'bad_request', `payload must be an object: send the ${op} payload as a JSON object.`, op);
  }
  const schema: z.ZodType = operationPayloadSchemas[op];
  const result = schema.safeParse(rawPayload);
  if (!result.success) {
    return fail(
      id,
      'bad_request',
      `${describeIssues(result.error.issues, rawPayload, ['payload'])}. ` +
        `Correct the ${op} payload and send the request again (docs/asyncapi.json describes every field).`,
      op,
    );
  }
  return {
    ok: true,
    request: { v: PROTOCOL_VERSION, id, type: op, payload: result.data } as BridgeRequest,
  };
}

/**
 * JSON.parse keeps `"__proto__"` as an own key; zod rebuilds the envelope and the pipeline by assignment,
 * which would set a prototype there, and passes free-form values (`workflow.request`, `workflowConfig`) on
 * untouched to code that may merge them later. Dropped at every depth, before anything reads the frame.
 */
function dropPrototypeKeys(key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value;
}

/**
 * Turns one incoming frame into a typed request or a protocol error. Accepts a string, a Buffer or other
 * bytes (a Uint8Array, ArrayBuffer, or the Buffer array `ws` uses for fragments) and anything else;
 * never throws. The 128 KiB limit is checked in UTF-8 bytes before the frame is parsed.
 */
export function parseFrame(frame: unknown): ParsedFrame {
  try {
    const text = frameText(frame);
    if (typeof text !== 'string') return text;
    let message: unknown;
    try {
      // A byte order mark is not JSON; TextDecoder drops it from bytes, so drop it from text as well.
      message = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, dropPrototypeKeys);
    } catch {
      return fail(null, 'bad_request', 'The frame is not valid JSON: send one JSON object per text frame.');
    }
    if (!isPlainObject(message)) {
      return fail(
        null,
        'bad_request',
        'The frame is not a JSON object: send {"v":1,"id":…,"type":…,"payload":{…}}.',
      );
    }
    return parseObject(message);
  } catch {
    // Unreachable by design; parseFrame must still never throw, whatever a frame holds.
    return fail(null, 'internal', 'The runner could not read this frame; send it again.');
  }
}
