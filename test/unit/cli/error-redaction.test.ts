// The CLI's error line passes through the redacting replacer: a runner (any implementation) or a file may
// hand over text that holds a credential, and stderr ends up in terminals and CI logs.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { errorResponse, parseFrame } from '@hybrid-runner/protocol';
import { runCliCapturingStderr } from '../../support/cli.ts';
import { EXIT } from '../../../packages/cli/src/exit-codes.ts';

const LEAKED_JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvdGhlci1ib3QifQ.c2lnbmF0dXJlLW9mLWFub3RoZXItYm90';
let server: WebSocketServer;
let url: string;

beforeAll(async () => {
  // A runner stand-in whose error message carries a JWT (one it did not know to redact).
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const parsed = parseFrame(String(data));
      if (!parsed.ok) return;
      socket.send(
        JSON.stringify(
          errorResponse(parsed.request.id, parsed.request.type, {
            code: 'internal',
            message: `upstream said: Authorization: Bearer ${LEAKED_JWT}`,
          }),
        ),
      );
    });
  });
  await new Promise((done) => server.once('listening', done));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((done) => server.close(() => done())));

describe('hybrid-runner error output', () => {
  it.each([[[]], [['--json']]])('redacts a credential in an error message (%j)', async (extra) => {
    const { code, stderr } = await runCliCapturingStderr([
      ...extra,
      'collate',
      '--url',
      url,
      '--token',
      'cli-token',
      '--agent-id',
      'agent',
      'ping',
    ]);
    expect(code).toBe(EXIT.operationFailed);
    expect(stderr).toContain('upstream said');
    expect(stderr).toContain('[REDACTED]');
    expect(stderr).not.toContain(LEAKED_JWT.split('.')[2]);
  });
});
