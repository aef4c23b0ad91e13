import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { LOCAL_CLUSTER_NAME, operatorKubeconfig } from '@hybrid-runner/local';
import { cleanupStack } from '../../../packages/local/src/cleanups.ts';
import { writeOperatorKubeconfig } from '../../../packages/local/src/operator-kubeconfig.ts';

describe('operatorKubeconfig', () => {
  it('authenticates through an exec entry running the project CLI with the operator keys, not a stored token', () => {
    const text = operatorKubeconfig({
      server: 'https://127.0.0.1:6443',
      caCert: '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n',
      namespace: 'collate-ingestion',
      cli: { node: '/repo/node_modules/.bin/node', script: '/repo/packages/cli/bin/hybrid-runner.js' },
      keys: { accessKeyId: 'AKIAOPERATOR00000001', secretAccessKey: 'operator-secret' },
    });
    const kubeconfig = parse(text) as {
      clusters: Array<{ cluster: Record<string, string> }>;
      users: Array<{ user: Record<string, unknown> }>;
      contexts: Array<{ context: Record<string, string> }>;
    };
    expect(kubeconfig.clusters[0]?.cluster).toEqual({
      server: 'https://127.0.0.1:6443',
      'certificate-authority-data': Buffer.from(
        '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n',
      ).toString('base64'),
    });
    const user = kubeconfig.users[0]?.user ?? {};
    expect(user.token).toBeUndefined();
    expect(user.exec).toMatchObject({
      command: '/repo/node_modules/.bin/node',
      args: [
        '/repo/packages/cli/bin/hybrid-runner.js',
        'eks',
        'token',
        '--cluster',
        LOCAL_CLUSTER_NAME,
        '--region',
        'eu-west-1',
      ],
      env: expect.arrayContaining([
        { name: 'AWS_ACCESS_KEY_ID', value: 'AKIAOPERATOR00000001' },
        { name: 'AWS_SECRET_ACCESS_KEY', value: 'operator-secret' },
        { name: 'AWS_SESSION_TOKEN', value: '' },
      ]),
    });
    expect(kubeconfig.contexts[0]?.context.namespace).toBe('collate-ingestion');
  });
});

describe('writeOperatorKubeconfig', () => {
  it('writes the kubeconfig for its owner only, and removes it when the stage closes', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'operator-kubeconfig-'));
    try {
      const path = join(directory, 'state', 'kubeconfig');
      const cleanups = cleanupStack(() => {});
      writeOperatorKubeconfig(
        path,
        {
          server: 'https://127.0.0.1:6443',
          caCert: 'ca',
          namespace: 'collate-ingestion',
          cli: { node: 'node', script: 'cli.js' },
          keys: { accessKeyId: 'AKIAOPERATOR00000001', secretAccessKey: 'operator-secret' },
        },
        cleanups,
      );
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path, 'utf8')).toContain('https://127.0.0.1:6443');
      await cleanups.runAll();
      expect(existsSync(path)).toBe(false);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
