// The HTTP status of a WebSocket opening handshake, with a bare `ws` client: what the protocol client
// deliberately hides (101 when accepted; 401, 403, 404… when refused).
import { WebSocket } from 'ws';

export function handshakeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      socket.terminate();
    });
    socket.once('open', () => {
      resolve(101);
      socket.close();
    });
    socket.once('error', reject);
  });
}
