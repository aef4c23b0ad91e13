import { describe, expect, it } from 'vitest';
import { RUNNER_RBAC_RULES, runnerRoleManifests, toPolicyRules } from '@hybrid-runner/kubernetes';

describe('runner RBAC data', () => {
  it('folds permissions per API group and resource with sorted, unique verbs', () => {
    expect(
      toPolicyRules([
        { verb: 'list', apiGroup: 'argoproj.io', resource: 'workflows' },
        { verb: 'create', apiGroup: 'argoproj.io', resource: 'workflows' },
        { verb: 'list', apiGroup: 'argoproj.io', resource: 'workflows' },
        { verb: 'get', apiGroup: '', resource: 'pods/log' },
      ]),
    ).toEqual([
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['create', 'list'] },
    ]);
  });

  it('builds a namespaced Role and a RoleBinding to the runner group from the same rules', () => {
    const [role, binding] = runnerRoleManifests({
      namespace: 'collate-ingestion',
      group: 'hybrid-runner:bridge',
    });
    expect(role).toMatchObject({ kind: 'Role', metadata: { namespace: 'collate-ingestion' } });
    expect(role.rules).toEqual(RUNNER_RBAC_RULES);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: role.metadata.name,
    });
    expect(binding.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'hybrid-runner:bridge' },
    ]);
    // No wildcard and nothing cluster-wide: least privilege.
    expect(JSON.stringify(role.rules)).not.toContain('*');
  });
});
