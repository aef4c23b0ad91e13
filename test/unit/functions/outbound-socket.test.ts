// dialCollate against a bare ws server: the headers it sends, refusals, and a frame sent with the handshake.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { DialRefusedError } from '@hybrid-runner/core';
import { dialCollate } from '../../../functions/lib/outbound-socket.ts';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.outbound-unit.c2ln';
let server: Server | undefined;

async function listen(
  onUpgrade: (status: number | undefined, headers: Record<string, unknown>) => number | undefined,
  onConnection?: (socket: WebSocket) => void,
): Promise<string> {
  const wss = new WebSocketServer({ noServer: true });
  server = createServer();
  server.on('upgrade', (request, socket, head) => {
    const status = onUpgrade(undefined, request.headers);
    if (status) {
      socket.end(`HTTP/1.1 ${status} No\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => onConnection?.(ws));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/hybrid-runner/ws`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('dialCollate (bare ws server)', () => {
  it('sends the bot JWT and agent id, and keeps a frame Collate sends with its 101 for the listener', async () => {
    let seen: Record<string, unknown> = {};
    const url = await listen(
      (_status, headers) => {
        seen = headers;
        return undefined;
      },
      (ws) => ws.send('{"v":1,"id":"first","type":"ping","payload":{}}'),
    );
    const socket = await dialCollate({ url, token: TOKEN, agentId: 'agent-1' });
    expect(seen.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen['x-agent-id']).toBe('agent-1');
    // The keeper attaches its listener only later: the early frame must still reach it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const frames: Array<string | Buffer> = [];
    socket.onFrame((frame) => frames.push(frame));
    expect(frames).toEqual(['{"v":1,"id":"first","type":"ping","payload":{}}']);
    socket.close(1000, 'done');
    expect((await socket.closed).code).toBe(1000);
  });

  it('turns 401 and 403 into DialRefusedError and other statuses into retryable errors without the token', async () => {
    for (const status of [401, 403] as const) {
      const url = await listen(() => status);
      const error = await dialCollate({ url, token: TOKEN, agentId: 'a' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DialRefusedError);
      expect(error).toMatchObject({ status });
      server?.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    }
    const url = await listen(() => 502);
    const error = (await dialCollate({ url, token: TOKEN, agentId: 'a' }).catch((e: unknown) => e)) as Error;
    expect(error).not.toBeInstanceOf(DialRefusedError);
    expect(error.message).toContain('HTTP 502');
    expect(error.message).not.toContain(TOKEN);
  });

  it('refuses plain ws:// to another host, which would send the token unencrypted', () => {
    expect(() => dialCollate({ url: 'ws://collate.example/ws', token: TOKEN, agentId: 'a' })).toThrow(
      /unencrypted: set bridge\.outbound\.url to a wss:\/\/ URL/,
    );
  });
});
