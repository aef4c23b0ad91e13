// `collate status` with the local stage's metrics: fetched with the stage token, shown as the snapshot
// table (and as JSON), and a warning instead of a failure when they cannot be read.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchLocalMetrics, statusReport } from '../../../../packages/cli/src/commands/collate-extra.ts';
import type { CollateSession } from '../../../../packages/cli/src/commands/collate.ts';

const TOKEN = 'status-metrics-token';
const SNAPSHOT = {
  since: '2026-01-01T00:00:00.000Z',
  metrics: [
    {
      namespace: 'CollateHybridRunner',
      name: 'Requests',
      unit: 'Count',
      dimensions: { stage: 'local', agentId: 'a', operation: 'ping', outcome: 'ok' },
      count: 2,
      sum: 2,
      min: 1,
      max: 1,
      last: 1,
      lastAt: '2026-01-01T00:01:00.000Z',
    },
  ],
};

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    const authorized = request.headers.authorization === `Bearer ${TOKEN}`;
    const body = request.url === '/garbage' ? { nope: true } : SNAPSHOT;
    response.writeHead(authorized ? 200 : 401, { 'content-type': 'application/json' });
    response.end(JSON.stringify(authorized ? body : { error: 'token' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const session = {
  request: async (op: string) =>
    op === 'ping'
      ? { pong: true, agentId: 'a', version: '0.1.0' }
      : { code: 200, status: 'healthy', platform: 'Argo' },
} as unknown as CollateSession;

describe('collate status with local metrics', () => {
  it('fetches the snapshot with the stage token', async () => {
    expect(await fetchLocalMetrics({ url: `${base}/_local/metrics`, token: TOKEN })).toEqual(SNAPSHOT);
    await expect(fetchLocalMetrics({ url: `${base}/_local/metrics`, token: 'wrong' })).rejects.toThrow(
      /answered HTTP 401/,
    );
    await expect(fetchLocalMetrics({ url: `${base}/garbage`, token: TOKEN })).rejects.toThrow(
      /not a metrics snapshot/,
    );
  });

  it('adds the snapshot to the report, as JSON and as the table', async () => {
    const report = await statusReport(session, {
      localMetrics: { url: `${base}/_local/metrics`, token: TOKEN },
    });
    expect(report.json.metrics).toEqual(SNAPSHOT);
    expect(report.human).toContain('metrics since 2026-01-01T00:00:00.000Z');
    expect(report.human).toMatch(/Requests/);
  });

  it('warns, without failing, when the metrics cannot be read; leaves them out when not asked', async () => {
    const report = await statusReport(session, {
      localMetrics: { url: 'http://127.0.0.1:1/_local/metrics', token: TOKEN },
    });
    expect(report.json.metrics).toBeUndefined();
    expect(report.human).toMatch(/no metrics: .*unreachable/);
    expect((await statusReport(session)).json).not.toHaveProperty('metrics');
  });
});
