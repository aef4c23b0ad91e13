// Builders for the messages the runner sends, and the one serializer that keeps every frame within the
// 128 KiB message limit.
import { EXTENSION_ERROR_CODES, MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from './constants.ts';
import type { EventName, OperationName, V1ErrorCode } from './constants.ts';
import type {
  BridgeMessage,
  ErrorResponseMessage,
  EventMessage,
  EventPayload,
  OkResponseMessage,
  OperationResult,
  ProtocolError,
  ResponseMessage,
} from './schemas.ts';

/** Error messages are for people and short; a longer one is cut so an error response always fits a frame. */
export const MAX_ERROR_MESSAGE_LENGTH = 4096;

export function utf8ByteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function okResponse<Op extends OperationName>(
  id: string,
  op: Op,
  payload: OperationResult<Op>,
): OkResponseMessage<Op> {
  return { v: PROTOCOL_VERSION, id, type: 'response', op, ok: true, payload } as OkResponseMessage<Op>;
}

export function errorResponse(
  id: string | null,
  op: OperationName | undefined,
  error: ProtocolError,
): ErrorResponseMessage {
  const message =
    error.message.length > MAX_ERROR_MESSAGE_LENGTH
      ? `${error.message.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1)}…`
      : error.message;
  return {
    v: PROTOCOL_VERSION,
    id,
    type: 'response',
    ...(op === undefined ? {} : { op }),
    ok: false,
    error: { ...error, message },
  };
}

/**
 * The error as this sender may receive it: an extension code (added since v1) that the sender did not list
 * in `acceptErrorCodes` becomes the v1 code it stands in for; everything else is kept, new fields included.
 */
export function errorForSender(error: ProtocolError, accepted: readonly string[] = []): ProtocolError {
  const standIn: V1ErrorCode | undefined = (EXTENSION_ERROR_CODES as Record<string, V1ErrorCode>)[error.code];
  return standIn && !accepted.includes(error.code) ? { ...error, code: standIn } : error;
}

export function eventMessage<E extends EventName>(name: E, payload: EventPayload<E>): EventMessage<E> {
  return { v: PROTOCOL_VERSION, type: 'event', event: name, payload } as EventMessage<E>;
}

/** Thrown by serializeBounded for an event above the limit: a runner bug, since events are small by design. */
export class MessageTooLargeError extends Error {
  readonly bytes: number;
  constructor(what: string, bytes: number) {
    super(
      `The ${what} message is ${bytes} bytes, above the ${MAX_MESSAGE_BYTES}-byte bridge message limit; ` +
        'it cannot be sent: make the payload smaller.',
    );
    this.name = 'MessageTooLargeError';
    this.bytes = bytes;
  }
}

/** A response ready for the wire: its text, and the message that text actually carries. */
export interface BoundedResponse {
  text: string;
  /** The response as sent: the original, or the payload_too_large error that replaced it. */
  response: ResponseMessage;
  replaced: boolean;
}

/**
 * Serializes a response to at most MAX_MESSAGE_BYTES (UTF-8). One that would exceed the limit is replaced
 * by a `payload_too_large` error response for the same id and operation that says why.
 */
export function boundResponse(response: ResponseMessage): BoundedResponse {
  const text = JSON.stringify(response);
  const bytes = utf8ByteLength(text);
  if (bytes <= MAX_MESSAGE_BYTES) return { text, response, replaced: false };
  const op = response.op;
  let replacement = errorResponse(response.id, op, {
    code: 'payload_too_large',
    message:
      `The ${op ?? 'response'} response is ${bytes} bytes, above the ${MAX_MESSAGE_BYTES}-byte bridge ` +
      'message limit, so it was not sent. Ask for less: a smaller getPipelineStatus limit, or logs chunk by ' +
      'chunk with the after cursor.',
  });
  let replacementText = JSON.stringify(replacement);
  // Valid ids are ≤ 128 characters and error messages are capped, so this only trips on an invalid id.
  if (utf8ByteLength(replacementText) > MAX_MESSAGE_BYTES) {
    replacement = errorResponse(null, op, replacement.error);
    replacementText = JSON.stringify(replacement);
  }
  return { text: replacementText, response: replacement, replaced: true };
}

/**
 * Serializes a message to the text of one frame, guaranteed at most MAX_MESSAGE_BYTES (UTF-8). A response
 * that would exceed the limit is replaced as boundResponse describes. An oversized event throws
 * MessageTooLargeError (events are small by design; one that is not is a runner bug).
 */
export function serializeBounded(message: BridgeMessage): string {
  if (message.type === 'response') return boundResponse(message).text;
  const text = JSON.stringify(message);
  const bytes = utf8ByteLength(text);
  if (bytes > MAX_MESSAGE_BYTES) throw new MessageTooLargeError(`${message.event} event`, bytes);
  return text;
}
