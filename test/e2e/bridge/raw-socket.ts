// A bare `ws` client for what the protocol client deliberately cannot do: send malformed frames, see the
// handshake's HTTP status, and read every frame in order.
import { WebSocket } from 'ws';
import { AGENT_ID, TOKEN } from './stage.ts';

export const GOOD_HEADERS = { Authorization: `Bearer ${TOKEN}`, 'X-Agent-Id': AGENT_ID };

export { handshakeStatus } from '../../support/websocket-handshake.ts';

export interface RawConnection {
  socket: WebSocket;
  /** The next frame received, parsed as JSON when it is JSON. */
  next(timeoutMs?: number): Promise<unknown>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export async function openRaw(
  url: string,
  headers: Record<string, string> = GOOD_HEADERS,
): Promise<RawConnection> {
  const socket = new WebSocket(url, { headers });
  const inbox: unknown[] = [];
  const waiters: Array<(message: unknown) => void> = [];
  socket.on('message', (data) => {
    const text = data.toString();
    let message: unknown = text;
    try {
      message = JSON.parse(text);
    } catch {
      // kept as text
    }
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else inbox.push(message);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    closed,
    next(timeoutMs = 10_000) {
      if (inbox.length > 0) return Promise.resolve(inbox.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((message) => {
          clearTimeout(timer);
          resolve(message);
        });
      });
    },
    async close() {
      if (socket.readyState === WebSocket.OPEN) socket.close();
      await closed;
    },
  };
}
