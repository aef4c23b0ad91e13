// The stack's RBAC must follow core's namespace-pattern rules, or the registry refresh is denied the
// namespace list it needs (a `?` pattern) or is given Roles in namespaces it skips.
import { describe, expect, it } from 'vitest';
import { parseStageConfig, registryRefreshSettings } from '@hybrid-runner/config';
import type { RbacObject } from '../../stacks/cluster-access.ts';
import { FUNCTION_GROUPS, clusterAccessObjects } from '../../stacks/cluster-access.ts';

function registryObjects(targetNamespaces: { include: string[]; exclude?: string[] }): RbacObject[] {
  const config = parseStageConfig({
    serverHost: 'acme.getcollate.io',
    cluster: { name: 'eks' },
    ecr: { targetNamespaces },
  });
  return clusterAccessObjects({
    ingestionNamespace: config.namespaces.ingestion,
    serviceAccount: config.ingestionPods.serviceAccount.name,
    secretsProvider: 'kubernetes',
    registry: registryRefreshSettings(config),
  }).filter((object) => object.metadata.name === 'hybrid-runner-registry');
}

describe('registry refresh RBAC', () => {
  it('gives a "?" pattern the cluster-wide namespace list, as for "*"', () => {
    for (const pattern of ['team-?', 'team-*']) {
      const objects = registryObjects({ include: ['collate-ingestion', pattern] });
      expect(objects.map((object) => object.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
      expect(objects[0]?.rules).toContainEqual({
        apiGroups: [''],
        resources: ['namespaces'],
        verbs: ['get', 'list'],
      });
    }
  });

  it("lets the bridge group (the heartbeat's new-namespace check) list namespaces with patterns, and nothing else", () => {
    const config = parseStageConfig({
      serverHost: 'acme.getcollate.io',
      cluster: { name: 'eks' },
      ecr: { targetNamespaces: { include: ['team-*'] } },
    });
    const objects = (include: string[]) =>
      clusterAccessObjects({
        ingestionNamespace: config.namespaces.ingestion,
        serviceAccount: config.ingestionPods.serviceAccount.name,
        secretsProvider: 'kubernetes',
        registry: { ...registryRefreshSettings(config), include },
      }).filter((object) => object.metadata.name === 'hybrid-runner-bridge-namespaces');
    const withPattern = objects(['team-*']);
    expect(withPattern.map((object) => object.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
    expect(withPattern[0]?.rules).toEqual([{ apiGroups: [''], resources: ['namespaces'], verbs: ['list'] }]);
    expect(withPattern[1]?.subjects).toEqual([
      { kind: 'Group', name: FUNCTION_GROUPS.bridge, apiGroup: 'rbac.authorization.k8s.io' },
    ]);
    expect(objects(['team-a'])).toEqual([]);
  });

  it('gives exact names namespaced Roles without the namespace list', () => {
    const objects = registryObjects({ include: ['collate-ingestion', 'team-a'] });
    expect(objects.map((object) => `${object.kind}/${object.metadata.namespace}`)).toEqual([
      'Role/collate-ingestion',
      'RoleBinding/collate-ingestion',
      'Role/team-a',
      'RoleBinding/team-a',
    ]);
    expect(objects.flatMap((object) => object.rules ?? [])).not.toContainEqual(
      expect.objectContaining({ resources: ['namespaces'] }),
    );
  });

  it('gives no Role to an exact name that an exclude pattern skips, as the refresh skips it', () => {
    const objects = registryObjects({
      include: ['collate-ingestion', 'team-a', 'other'],
      exclude: ['team-?'],
    });
    expect(
      objects.filter((object) => object.kind === 'Role').map((object) => object.metadata.namespace),
    ).toEqual(['collate-ingestion', 'other']);
  });
  it('always gives the ingestion namespace a Role, as the refresh always serves it', () => {
    const objects = registryObjects({ include: ['team-a'], exclude: ['collate-*'] });
    expect(
      objects.filter((object) => object.kind === 'Role').map((object) => object.metadata.namespace),
    ).toEqual(['collate-ingestion', 'team-a']);
  });
});
