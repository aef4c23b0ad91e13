// importHelmValues with `mode: outbound` (import-values --mode outbound): the published chart's values as a
// stage whose keeper dials Collate as the chart's runner pod does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importHelmValues, outboundUrlOf, parseStageConfig } from '@hybrid-runner/config';

const chartValues = readFileSync(
  join(import.meta.dirname, '../../../../shared/fixtures/helm/chart-1.13.3-values.yaml'),
  'utf8',
);
const cluster = { name: 'prod-eks', region: 'eu-west-1' };

describe('importHelmValues in outbound mode', () => {
  it("dials the chart's serverHost over wss, the endpoint the published runner pod dials", () => {
    const { config } = importHelmValues(chartValues, { mode: 'outbound' });
    expect(config.bridge).toEqual({
      mode: 'outbound',
      outbound: { url: 'wss://my-cluster.getcollate.io/api/v1/hybrid-runner/ws' },
    });
    const stage = parseStageConfig({ ...config, cluster });
    expect(stage.bridge.mode).toBe('outbound');
    expect(outboundUrlOf(stage)).toBe('wss://my-cluster.getcollate.io/api/v1/hybrid-runner/ws');
  });

  it('keeps everything else as the inbound import maps it', () => {
    const inbound = importHelmValues(chartValues);
    const outbound = importHelmValues(chartValues, { mode: 'outbound' });
    const { bridge, ...rest } = outbound.config;
    expect(bridge?.mode).toBe('outbound');
    expect(rest).toEqual(inbound.config);
    expect(outbound.secretsFound).toEqual(inbound.secretsFound);
    expect(outbound.unsupported.map((entry) => entry.key)).toEqual(
      inbound.unsupported.map((entry) => entry.key),
    );
  });

  it('dials ws:// when the chart turns secure protocols off, and leaves the URL to the default without a serverHost', () => {
    const plain = importHelmValues('config:\n  serverHost: collate.internal\n  useSecureProtocols: false\n', {
      mode: 'outbound',
    });
    expect(plain.config.bridge?.outbound?.url).toBe('ws://collate.internal/api/v1/hybrid-runner/ws');
    expect(() => parseStageConfig({ ...plain.config, cluster })).not.toThrow();
    const noHost = importHelmValues('config:\n  agentId: aws-prod\n', { mode: 'outbound' });
    expect(noHost.config.bridge).toEqual({ mode: 'outbound' });
    const filledIn = parseStageConfig({ ...noHost.config, serverHost: 'acme.getcollate.io', cluster });
    expect(outboundUrlOf(filledIn)).toBe('wss://acme.getcollate.io/api/v1/hybrid-runner/ws');
  });

  it('explains the runner-pod values in terms of the keeper, not of API Gateway', () => {
    const values =
      'config:\n  serverHost: acme.getcollate.io\n  reconnectDelaySeconds: "5"\nservice:\n  port: 8080\nreplicaCount: 1\n';
    const reasons = Object.fromEntries(
      importHelmValues(values, { mode: 'outbound' }).unsupported.map((entry) => [entry.key, entry.reason]),
    );
    expect(reasons['config.reconnectDelaySeconds']).toMatch(
      /keeper reconnects with exponential backoff and jitter/,
    );
    expect(reasons.service).toMatch(/keeper dials out to Collate/);
    expect(reasons.replicaCount).toMatch(/a keeper that dials out to Collate/);
    for (const reason of Object.values(reasons)) expect(reason).not.toMatch(/API Gateway/);
    // Inbound (no mode) keeps today's wording.
    const inbound = Object.fromEntries(
      importHelmValues(values).unsupported.map((entry) => [entry.key, entry.reason]),
    );
    expect(inbound.service).toMatch(/API Gateway WebSocket endpoint/);
    expect(importHelmValues(values, { mode: 'inbound' })).toEqual(importHelmValues(values));
  });

  it('refuses an unknown mode with the choices', () => {
    expect(() => importHelmValues(chartValues, { mode: 'both' })).toThrow(
      /--mode "both" is not a bridge mode: use one of inbound, outbound/,
    );
  });
});
