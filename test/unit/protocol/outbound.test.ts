// The outbound transport as documented (docs/asyncapi.json, packages/protocol/README.md) against what the code
// does: the headers the keeper's dial sends, the statuses it gives up on, its close codes and backoff, the
// default URL. A bare ws server stands in for Collate where a socket is needed.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { DEFAULT_OUTBOUND_PATH, outboundUrlOf, parseStageConfig } from '@hybrid-runner/config';
import { DEFAULT_KEEPER_TIMING, DialRefusedError, backoffDelayMs } from '@hybrid-runner/core';
import {
  FINAL_HANDSHAKE_STATUSES,
  FRAME_TOO_LARGE_CLOSE_CODE,
  HANDOVER_CLOSE_CODE,
  HANDSHAKE_HEADERS,
  MAX_CONNECTIONS_DURING_HANDOVER,
  MAX_MESSAGE_BYTES,
  OUTBOUND_MAX_FRAME_BYTES,
  OUTBOUND_PATH,
  buildAsyncApiDocument,
} from '@hybrid-runner/protocol';
import { COLLATE_AGENT_PATH } from '@hybrid-runner/local';
import { dialCollate } from '../../../functions/lib/outbound-socket.ts';

const README = readFileSync(join(import.meta.dirname, '../../../packages/protocol/README.md'), 'utf8');
const readmeOutbound = README.slice(
  README.indexOf('## Outbound transport'),
  README.indexOf('\n## ', README.indexOf('## Outbound transport') + 1),
);

interface Document {
  info: { description: string };
  servers: Record<string, { host: string; pathname?: string; protocol: string }>;
  channels: { bridge: { bindings: { ws: { headers: { required: string[] } } } } };
}
const document = buildAsyncApiDocument() as unknown as Document;
const description = document.info.description;
const outboundDescription = description.slice(description.indexOf('Outbound transport'));

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.outbound-doc.c2ln';
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function bareCollate(
  onUpgrade: (rawHeaders: string[]) => number | undefined,
  onOpen?: (socket: WebSocket) => void,
) {
  const wss = new WebSocketServer({ noServer: true });
  server = createServer();
  server.on('upgrade', (request, socket, head) => {
    const status = onUpgrade(request.rawHeaders);
    if (status) {
      socket.end(`HTTP/1.1 ${status} No\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => onOpen?.(ws));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}${OUTBOUND_PATH}`;
}

describe('outbound transport: documents against code (bare ws server as Collate)', () => {
  it('documents Collate as server at the default URL the stage derives, also used by the stand-in', () => {
    expect(document.servers['collate']).toMatchObject({
      host: '{serverHost}',
      pathname: OUTBOUND_PATH,
      protocol: 'wss',
    });
    expect(DEFAULT_OUTBOUND_PATH).toBe(OUTBOUND_PATH);
    expect(COLLATE_AGENT_PATH).toBe(OUTBOUND_PATH);
    const config = parseStageConfig({
      serverHost: 'acme.getcollate.io',
      cluster: { name: 'prod-eks', region: 'eu-west-1' },
      bridge: { mode: 'outbound' },
    });
    const url = outboundUrlOf(config);
    expect(url).toBe(`wss://acme.getcollate.io${OUTBOUND_PATH}`);
    for (const text of [outboundDescription, readmeOutbound]) {
      expect(text).toContain(`wss://<serverHost>${OUTBOUND_PATH}`);
      expect(text).toContain('bridge.outbound.url');
    }
  });

  it('the handshake headers documented are exactly those the dial sends, by name', async () => {
    let names: string[] = [];
    const url = await bareCollate((raw) => {
      names = raw.filter((_, index) => index % 2 === 0);
      return undefined;
    });
    const socket = await dialCollate({ url, token: TOKEN, agentId: 'agent-1' });
    socket.close(HANDOVER_CLOSE_CODE, 'done');
    await socket.closed;
    const documented = Object.values(HANDSHAKE_HEADERS);
    expect(document.channels.bridge.bindings.ws.headers.required).toEqual(documented);
    for (const header of documented) expect(names).toContain(header);
    for (const text of [outboundDescription, readmeOutbound]) {
      expect(text).toContain(`${HANDSHAKE_HEADERS.authorization}: Bearer <ingestion bot JWT>`);
      expect(text).toContain(`${HANDSHAKE_HEADERS.agentId}: <agentId>`);
    }
  });

  it('the documented final statuses are those the dial gives up on; any other is retried', async () => {
    for (const status of [...FINAL_HANDSHAKE_STATUSES, 500, 503]) {
      const url = await bareCollate(() => status);
      const error = await dialCollate({ url, token: TOKEN, agentId: 'agent-1' }).catch((e: unknown) => e);
      expect(error instanceof DialRefusedError, `HTTP ${status}`).toBe(
        (FINAL_HANDSHAKE_STATUSES as readonly number[]).includes(status),
      );
      expect(String(error)).not.toContain(TOKEN);
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    }
    for (const text of [outboundDescription, readmeOutbound]) {
      for (const status of FINAL_HANDSHAKE_STATUSES) expect(text).toContain(`${status}`);
    }
  });

  it('a frame above OUTBOUND_MAX_FRAME_BYTES makes the runner close with the documented code', async () => {
    let collateSaw: Promise<number> | undefined;
    const url = await bareCollate(
      () => undefined,
      (ws) => {
        collateSaw = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
        ws.send(Buffer.alloc(OUTBOUND_MAX_FRAME_BYTES + 1, 0x20));
      },
    );
    const socket = await dialCollate({ url, token: TOKEN, agentId: 'agent-1' });
    socket.onFrame(() => undefined);
    await socket.closed;
    // The code Collate receives (the runner's own side reports 1006: ws stops reading after the oversized frame).
    expect(await collateSaw).toBe(FRAME_TOO_LARGE_CLOSE_CODE);
    expect(outboundDescription).toContain(
      `above ${MAX_MESSAGE_BYTES} bytes and up to ${OUTBOUND_MAX_FRAME_BYTES} gets payload_too_large`,
    );
    expect(outboundDescription).toContain(`closes it with ${FRAME_TOO_LARGE_CLOSE_CODE}`);
    expect(readmeOutbound).toContain(`closes it with ${FRAME_TOO_LARGE_CLOSE_CODE}`);
  });

  it('documents the backoff core uses: a ceiling from 1 s doubling to 30 s, equal jitter', () => {
    const { backoff } = DEFAULT_KEEPER_TIMING;
    expect(backoff).toEqual({ initialMs: 1_000, maxMs: 30_000 });
    // Equal jitter: half the ceiling fixed, the other half random.
    expect(backoffDelayMs(0, backoff, 0)).toBe(backoff.initialMs / 2);
    expect(backoffDelayMs(0, backoff, 1)).toBe(backoff.initialMs);
    expect(backoffDelayMs(20, backoff, 1)).toBe(backoff.maxMs);
    for (const text of [outboundDescription, readmeOutbound]) {
      expect(text).toContain(
        `the ceiling starts at ${backoff.initialMs / 1000} s and doubles up to ${backoff.maxMs / 1000} s`,
      );
      expect(text.replace(/\s+/g, ' ')).toContain(
        'each delay is half the ceiling plus a random part of the other half',
      );
    }
  });

  it('documents the handover: two connections, answers where asked, events from all, close 1000', () => {
    expect(MAX_CONNECTIONS_DURING_HANDOVER).toBe(2);
    const flat = outboundDescription.replace(/\s+/g, ' ');
    expect(flat).toContain(`accept ${MAX_CONNECTIONS_DURING_HANDOVER} connections from one agent at once`);
    expect(flat).toContain('expects every answer on the connection its request went out on');
    expect(flat).toContain('accepts events from every connection of the agent');
    expect(flat).toContain(`closes with ${HANDOVER_CLOSE_CODE}`);
    const readme = readmeOutbound.replace(/\s+/g, ' ');
    expect(readme).toContain('accept two connections from one agent at once');
    expect(readme).toContain('accept events from every connection of the agent');
    expect(readme).toContain(`closes with ${HANDOVER_CLOSE_CODE}`);
    // Every inbound rule is still there, word for word (the contract in ../shared is not bent).
    expect(description).toContain('a wrong or missing token is refused with HTTP 401');
    expect(description).toContain("clients reconnect before API Gateway's 2-hour limit");
  });
});
