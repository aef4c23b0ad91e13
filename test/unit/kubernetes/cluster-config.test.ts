import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterUnavailableError } from '@hybrid-runner/core';
import { KubernetesCluster, loadClusterConfig } from '@hybrid-runner/kubernetes';
import { sendJson, startScriptedApiServer } from './scripted-api-server.ts';
import type { ScriptedApiServer } from './scripted-api-server.ts';

let server: ScriptedApiServer;
beforeAll(async () => {
  server = await startScriptedApiServer();
  server.handle((_request, response) => sendJson(response, 200, { gitVersion: 'v1.33.0' }));
});
afterAll(() => server.close());

function kubeconfigYaml(): string {
  return `apiVersion: v1
kind: Config
current-context: dev
clusters:
  - name: dev-cluster
    cluster: { server: "${server.url}", certificate-authority-data: "${server.caData}" }
  - name: other-cluster
    cluster: { server: "https://127.0.0.1:1", certificate-authority-data: "${server.caData}" }
users:
  - name: dev-user
    user: { token: dev-static-token }
contexts:
  - name: dev
    context: { cluster: dev-cluster, user: dev-user, namespace: ingest }
  - name: other
    context: { cluster: other-cluster, user: dev-user }
`;
}

describe('loadClusterConfig in kubeconfig mode', () => {
  it('uses the current context of a kubeconfig file: server, CA and token all from the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    const path = join(dir, 'config');
    writeFileSync(path, kubeconfigYaml());
    const config = await loadClusterConfig({ mode: 'kubeconfig', path });
    expect(config.server).toBe(server.url);
    expect(config.namespace).toBe('ingest');
    expect(config.description).toContain('dev-cluster');
    expect(config.tokenProvider).toBeUndefined();
    const cluster = new KubernetesCluster(config);
    expect(await cluster.serverVersion()).toEqual({ gitVersion: 'v1.33.0' });
    await cluster.close();
    expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer dev-static-token');
  });

  it('switches to a named context and lists the known ones when the name is wrong', async () => {
    const config = await loadClusterConfig({ mode: 'kubeconfig', text: kubeconfigYaml(), context: 'other' });
    expect(config.server).toBe('https://127.0.0.1:1');
    const error = await loadClusterConfig({
      mode: 'kubeconfig',
      text: kubeconfigYaml(),
      context: 'prod',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toBe(
      'The kubeconfig (the given kubeconfig) has no context "prod"; it has: dev, other.',
    );
  });

  it('says what to do when there is no kubeconfig at all', async () => {
    await expect(loadClusterConfig({ mode: 'kubeconfig', path: '/nonexistent/kubeconfig' })).rejects.toThrow(
      /does not exist: check the path/,
    );
    const previous = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
    process.env.KUBECONFIG = '';
    process.env.HOME = mkdtempSync(join(tmpdir(), 'empty-home-'));
    try {
      await expect(loadClusterConfig({ mode: 'kubeconfig' })).rejects.toThrow(
        /No cluster found.*set KUBECONFIG/,
      );
    } finally {
      for (const [key, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('reports unreadable YAML as a configuration problem without quoting it (it may hold a token)', async () => {
    const error = await loadClusterConfig({ mode: 'kubeconfig', text: 'users: [{token: s3cr3t-value' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(
      /^Could not read the kubeconfig: .* at line 1, column \d+\. Check its YAML\.$/,
    );
    // The parser quotes the offending source; that must not reach the message.
    expect((error as Error).message).not.toContain('s3cr3t');
  });

  it('needs a cluster name and region in EKS mode', async () => {
    await expect(loadClusterConfig({ mode: 'eks', clusterName: '', region: 'eu-west-1' })).rejects.toThrow(
      /needs the cluster name and its region/,
    );
  });
});
