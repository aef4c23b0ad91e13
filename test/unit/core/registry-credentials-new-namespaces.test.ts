// New namespaces between two refreshes, against the in-memory cluster stand-in (test/support/ecr-fake-cluster.ts):
// the heartbeat's check finds a matching namespace created after the last refresh and starts a refresh that
// serves it; a namespace outside the targets starts nothing; failures are reported in the outcome.
import { describe, expect, it } from 'vitest';
import {
  REGISTRY_CREDENTIALS_ANNOTATIONS,
  RESOURCES,
  readTargetedNamespaces,
  refreshForNewNamespaces,
  refreshRegistryCredentials,
  resolveRegistryRefreshSettings,
} from '@hybrid-runner/core';
import type { RegistryAuth, RegistryRefreshStarter } from '@hybrid-runner/core';
import { createEcrFakeCluster } from '../../support/ecr-fake-cluster.ts';

const NOW = new Date('2026-03-01T10:00:00Z');
const clock = { now: () => NOW };
const auth: RegistryAuth = {
  login: async (registryHost) => ({
    username: 'AWS',
    password: 'token-password-1',
    proxyEndpoint: `https://${registryHost}`,
    expiresAt: new Date(NOW.getTime() + 12 * 3600_000),
  }),
};
const settings = resolveRegistryRefreshSettings({
  ingestionNamespace: 'collate',
  namespaces: ['team-*'],
  excludeNamespaces: ['team-x'],
});

async function refreshedCluster() {
  const cluster = createEcrFakeCluster({ namespaces: ['collate', 'team-a', 'other'] });
  const report = await refreshRegistryCredentials({ cluster, auth, clock }, settings);
  expect(report.ok).toBe(true);
  const starts: string[][] = [];
  // What the local stage does and the Lambda invocation does asynchronously: run a whole refresh.
  const refresh: RegistryRefreshStarter = {
    async start({ newNamespaces }) {
      starts.push(newNamespaces);
      await refreshRegistryCredentials({ cluster, auth, clock }, settings);
    },
  };
  return { cluster, refresh, starts };
}

const hasPullSecret = (cluster: ReturnType<typeof createEcrFakeCluster>, namespace: string) =>
  cluster.objects.has(`secrets/${namespace}/${settings.secretName}`);

describe('registry refresh for namespaces created since the last one (in-memory cluster stand-in)', () => {
  it("records the namespaces a refresh targeted on the ingestion namespace's secret only", async () => {
    const { cluster } = await refreshedCluster();
    expect([...((await readTargetedNamespaces(cluster, settings)) ?? [])]).toEqual(['collate', 'team-a']);
    const other = await cluster.getMetadata(RESOURCES.secret, 'team-a', settings.secretName);
    expect(other?.annotations?.[REGISTRY_CREDENTIALS_ANNOTATIONS.targetedNamespaces]).toBeUndefined();
  });

  it('serves a matching namespace created after the last refresh in the next pass, and then starts nothing', async () => {
    const { cluster, refresh, starts } = await refreshedCluster();
    cluster.addNamespace('team-b');
    expect(hasPullSecret(cluster, 'team-b')).toBe(false);
    const first = await refreshForNewNamespaces({ cluster, refresh }, settings);
    expect(first).toEqual({ checked: true, newNamespaces: ['team-b'], refreshStarted: true });
    expect(starts).toEqual([['team-b']]);
    expect(hasPullSecret(cluster, 'team-b')).toBe(true);
    // The refresh recorded it: the next beat finds nothing new and starts no refresh.
    const second = await refreshForNewNamespaces({ cluster, refresh }, settings);
    expect(second).toEqual({ checked: true, newNamespaces: [], refreshStarted: false });
    expect(starts).toHaveLength(1);
  });

  it('starts nothing for a namespace outside the targets, an excluded one or one being deleted', async () => {
    const { cluster, refresh, starts } = await refreshedCluster();
    cluster.addNamespace('marketing');
    cluster.addNamespace('team-x');
    cluster.addNamespace('team-gone', { terminating: true });
    const outcome = await refreshForNewNamespaces({ cluster, refresh }, settings);
    expect(outcome).toEqual({ checked: true, newNamespaces: [], refreshStarted: false });
    expect(starts).toEqual([]);
    expect(hasPullSecret(cluster, 'marketing')).toBe(false);
  });

  it("reads nothing without a pattern, and waits for the first refresh's record", async () => {
    const cluster = createEcrFakeCluster({ namespaces: ['collate', 'team-a'] });
    const refresh: RegistryRefreshStarter = { start: async () => undefined };
    const literal = resolveRegistryRefreshSettings({ ingestionNamespace: 'collate', namespaces: ['team-a'] });
    expect(await refreshForNewNamespaces({ cluster, refresh }, literal)).toEqual({
      checked: false,
      newNamespaces: [],
      refreshStarted: false,
    });
    expect(cluster.calls).toEqual([]);
    expect(await refreshForNewNamespaces({ cluster, refresh }, settings)).toMatchObject({ checked: false });
  });

  it('reports a failed namespace list and a failed start instead of throwing them away', async () => {
    const { cluster } = await refreshedCluster();
    const listing = createEcrFakeCluster({ namespaces: ['collate'], forbidNamespaceList: true });
    const listed = await refreshForNewNamespaces(
      { cluster: listing, refresh: { start: async () => undefined } },
      settings,
    );
    expect(listed).toMatchObject({ checked: false, refreshStarted: false });
    expect(listed.error).toMatch(/^new namespaces not checked: .*namespaces/);

    cluster.addNamespace('team-b');
    const refusing: RegistryRefreshStarter = {
      start: async () => {
        throw new Error('AccessDeniedException: not authorized to perform lambda:InvokeFunction');
      },
    };
    const started = await refreshForNewNamespaces({ cluster, refresh: refusing }, settings);
    expect(started).toEqual({
      checked: true,
      newNamespaces: ['team-b'],
      refreshStarted: false,
      error:
        'registry refresh not started: AccessDeniedException: not authorized to perform lambda:InvokeFunction',
    });
  });

  it('records no target list after a failed namespace list, so pattern matches are not taken for new ones', async () => {
    const cluster = createEcrFakeCluster({ namespaces: ['collate', 'team-a'], forbidNamespaceList: true });
    await refreshRegistryCredentials({ cluster, auth, clock }, settings);
    expect(await readTargetedNamespaces(cluster, settings)).toBeUndefined();
  });
});
