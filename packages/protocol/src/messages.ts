// Builders for the messages the runner sends, and the one serializer that keeps every frame within the
// 128 KiB message limit.
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from './constants.ts';
import type { EventName, OperationName } from './constants.ts';
import type {
  BridgeMessage,
  ErrorResponseMessage,
  EventMessage,
  EventPayload,
  OkResponseMessage,
  OperationResult,
  ProtocolError,
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

/**
 * Serializes a message to the text of one frame, guaranteed at most MAX_MESSAGE_BYTES (UTF-8). A response
 * that would exceed the limit is replaced by a `payload_too_large` error response for the same id and
 * operation that says why. An oversized event throws MessageTooLargeError.
 */
export function serializeBounded(message: BridgeMessage): string {
  const text = JSON.stringify(message);
  const bytes = utf8ByteLength(text);
  if (bytes <= MAX_MESSAGE_BYTES) return text;
  if (message.type === 'event') throw new MessageTooLargeError(`${message.event} event`, bytes);
  const op = message.op;
  const replacement = errorResponse(message.id, op, {
    code: 'payload_too_large',
    message:
      `The ${op ?? 'response'} response is ${bytes} bytes, above the ${MAX_MESSAGE_BYTES}-byte bridge ` +
      'message limit, so it was not sent. Ask for less: a smaller getPipelineStatus limit, or logs chunk by ' +
      'chunk with the after cursor.',
  });
  const replacementText = JSON.stringify(replacement);
  // Valid ids are ≤ 128 characters and error messages are capped, so this only trips on an invalid id.
  if (utf8ByteLength(replacementText) <= MAX_MESSAGE_BYTES) return replacementText;
  return JSON.stringify(errorResponse(null, op, replacement.error));
}
