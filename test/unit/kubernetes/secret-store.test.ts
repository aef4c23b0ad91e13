import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  KubernetesCluster,
  KubernetesSecretStore,
  kubeConfigWithTokenProvider,
  kubernetesSecretName,
} from '@hybrid-runner/kubernetes';
import { sendJson, sendStatus, startScriptedApiServer } from './scripted-api-server.ts';
import type { ScriptedApiServer } from './scripted-api-server.ts';

describe('kubernetesSecretName', () => {
  it('turns a secret: reference into the Secret name the ingestion image reads', () => {
    expect(kubernetesSecretName('/collate/hybrid-ingestion-runner/db-password')).toBe(
      'collate-hybrid-ingestion-runner-db-password',
    );
    expect(kubernetesSecretName('/Collate//Runner/My_Secret.v2')).toBe('collate-runner-my-secret-v2');
    expect(kubernetesSecretName('---')).toBe('om-secret');
    expect(kubernetesSecretName('')).toBe('om-secret');
  });

  it('shortens long names with a hash suffix so distinct references stay distinct', () => {
    const long = `/collate/${'a'.repeat(300)}`;
    const name = kubernetesSecretName(long);
    expect(name).toHaveLength(249);
    expect(name).toMatch(/^collate-a+-[0-9a-f]{8}$/);
    expect(kubernetesSecretName(`${long}b`)).not.toBe(name);
  });

  it('always yields a valid DNS subdomain name', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (reference) => {
        const name = kubernetesSecretName(reference);
        expect(name.length).toBeLessThanOrEqual(253);
        expect(name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
      }),
    );
  });
});

describe('KubernetesSecretStore (scripted HTTPS server)', () => {
  let server: ScriptedApiServer;
  let cluster: KubernetesCluster;
  beforeAll(async () => {
    server = await startScriptedApiServer();
    const tokens = { token: async () => 't', invalidate: () => undefined };
    cluster = new KubernetesCluster({
      kubeConfig: kubeConfigWithTokenProvider({
        name: 't',
        server: server.url,
        caData: server.caData,
        tokenProvider: tokens,
      }),
      server: server.url,
      description: 'test cluster',
    });
  });
  afterAll(async () => {
    await cluster.close();
    await server.close();
  });

  it('looks the Secret up by its sanitised name in the ingestion namespace, metadata only', async () => {
    server.handle((request, response) => {
      if (request.path.endsWith('/collate-hybrid-ingestion-runner-db'))
        sendJson(response, 200, {
          kind: 'PartialObjectMetadata',
          metadata: { name: 'collate-hybrid-ingestion-runner-db' },
        });
      else if (request.path.endsWith('/collate-hybrid-ingestion-runner-leaving'))
        sendJson(response, 200, { metadata: { name: 'x', deletionTimestamp: '2026-01-01T00:00:00Z' } });
      else sendStatus(response, 404, 'NotFound', 'secrets not found');
    });
    const store = new KubernetesSecretStore(cluster, 'ingest');
    expect(await store.exists('/collate/hybrid-ingestion-runner/db')).toBe(true);
    expect(await store.exists('/collate/hybrid-ingestion-runner/none')).toBe(false);
    expect(await store.exists('/collate/hybrid-ingestion-runner/leaving')).toBe(false);
    expect(server.requests[0]?.path).toBe(
      '/api/v1/namespaces/ingest/secrets/collate-hybrid-ingestion-runner-db',
    );
    expect(server.requests[0]?.headers.accept).toContain('PartialObjectMetadata');
  });
});
