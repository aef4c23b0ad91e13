// The keeper's side of the outbound WebSocket (ws): dial Collate with the bot JWT and the agent id, turn a
// refused handshake into core's DialRefusedError (401/403: never retried) and anything else into a retryable
// error whose message holds neither the token nor the headers.
import WebSocket from 'ws';
import { DialRefusedError, type KeeperSocket } from '@hybrid-runner/core';
import {
  FINAL_HANDSHAKE_STATUSES,
  HANDSHAKE_HEADERS,
  OUTBOUND_MAX_FRAME_BYTES,
  isLoopbackHost,
  type FinalHandshakeStatus,
} from '@hybrid-runner/protocol';

export interface DialOptions {
  url: string;
  token: string;
  agentId: string;
  handshakeTimeoutMs?: number;
}

function checkUrl(url: string): void {
  const parsed = new URL(url);
  if (parsed.protocol !== 'wss:' && parsed.protocol !== 'ws:') {
    throw new TypeError(`The outbound URL must start with wss://, not ${parsed.protocol}//.`);
  }
  // The stage schema already requires TLS unless useSecureProtocols is false; this guards the token itself.
  if (parsed.protocol === 'ws:' && !isLoopbackHost(parsed.hostname)) {
    throw new TypeError(
      `ws://${parsed.host} would send the bot JWT unencrypted: set bridge.outbound.url to a wss:// URL.`,
    );
  }
}

export function dialCollate(options: DialOptions): Promise<KeeperSocket> {
  checkUrl(options.url);
  return new Promise<KeeperSocket>((resolve, reject) => {
    const socket = new WebSocket(options.url, {
      handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
      // Up to this size an oversized request gets payload_too_large from the shared request path (as API
      // Gateway would refuse it); ws closes the socket with 1009 above it.
      maxPayload: OUTBOUND_MAX_FRAME_BYTES,
      headers: {
        [HANDSHAKE_HEADERS.authorization]: `Bearer ${options.token}`,
        [HANDSHAKE_HEADERS.agentId]: options.agentId,
      },
    });
    let refusal: Error | undefined;
    socket.once('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      refusal = FINAL_HANDSHAKE_STATUSES.includes(status as FinalHandshakeStatus)
        ? new DialRefusedError(status as FinalHandshakeStatus)
        : new Error(`Collate answered the WebSocket handshake with HTTP ${status}; retrying.`);
      socket.terminate();
    });
    const closed = new Promise<{ code: number }>((settle) => {
      socket.once('close', (code) => settle({ code }));
    });
    socket.on('error', (error: Error) => {
      // After the handshake an error is followed by 'close', which the keeper watches.
      if (socket.readyState !== WebSocket.CONNECTING && !refusal) return;
      reject(
        refusal ?? new Error(`Could not reach Collate at ${new URL(options.url).host}: ${error.message}`),
      );
    });
    // Listening from the handshake on: Collate may send a request in the same read as its 101 response,
    // before the keeper has attached its listener (a frame emitted then would be lost, never answered).
    const early: Array<string | Buffer> = [];
    let deliver: ((frame: string | Buffer) => void) | undefined;
    socket.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      const frame = isBinary ? bytes : bytes.toString('utf8');
      if (deliver) deliver(frame);
      else early.push(frame);
    });
    socket.once('open', () => {
      resolve({
        send: (text) =>
          new Promise<void>((done, fail) => {
            socket.send(text, (error) => (error ? fail(error) : done()));
          }),
        close: (code, reason) => socket.close(code, reason),
        closed,
        onFrame: (listener) => {
          deliver = listener;
          for (const frame of early.splice(0)) listener(frame);
        },
      });
    });
  });
}
