import { describe, expect, it } from 'vitest';
import { RbacRules } from '@hybrid-runner/k8s-emulator';
import { RUNNER_RBAC_RULES } from '@hybrid-runner/kubernetes';
import {
  LOCAL_GROUPS,
  RUNNER_USER,
  localStageConfig,
  sandboxRbacRules,
  stackRbacRules,
} from '@hybrid-runner/local';
import { OPERATOR_USER, sandboxIdentities } from '../../../packages/local/src/sandbox-rbac.ts';

describe('sandboxRbacRules (least privilege as the stack grants it)', () => {
  const config = localStageConfig('a');
  const rules = new RbacRules(sandboxRbacRules(config, 'operator'));
  const bridge = { user: 'runner', groups: [LOCAL_GROUPS.bridge, 'system:authenticated'] };
  const registry = { user: 'runner', groups: [LOCAL_GROUPS.registry, 'system:authenticated'] };
  const ask = (
    who: { user: string; groups: string[] },
    verb: string,
    resource: string,
    apiGroup = '',
    namespace: string | undefined = 'collate-ingestion',
    name?: string,
  ) => rules.allows({ ...who, verb, resource, apiGroup, namespace, name });

  it('grants the bridge group every RUNNER_RBAC_RULES verb in the ingestion namespace only', () => {
    for (const rule of RUNNER_RBAC_RULES)
      for (const resource of rule.resources)
        for (const verb of rule.verbs) {
          expect(ask(bridge, verb, resource, rule.apiGroups[0])).toBe(true);
          expect(ask(bridge, verb, resource, rule.apiGroups[0], 'default')).toBe(false);
        }
    expect(ask(bridge, 'delete', 'pods')).toBe(false);
    expect(ask(bridge, 'list', 'namespaces', '', undefined)).toBe(false);
    expect(ask(bridge, 'create', 'serviceaccounts')).toBe(false);
  });

  it('lets the registry group create the pull secret and change it by name only', () => {
    expect(ask(registry, 'create', 'secrets')).toBe(true);
    expect(ask(registry, 'update', 'secrets', '', 'collate-ingestion', 'omd-registry-credentials')).toBe(
      true,
    );
    expect(ask(registry, 'update', 'secrets', '', 'collate-ingestion', 'someone-elses-secret')).toBe(false);
    expect(ask(registry, 'list', 'secrets')).toBe(false);
    expect(ask(registry, 'create', 'workflows', 'argoproj.io')).toBe(false);
  });

  it('follows the stack when registry targets are patterns: a cluster-wide role for the registry group', () => {
    const patterns = new RbacRules(
      sandboxRbacRules(
        localStageConfig('a', { HYBRID_RUNNER__ecr__targetNamespaces__include: '[collate-*]' }),
        'operator',
      ),
    );
    const asks = (verb: string, resource: string, namespace: string | undefined, name?: string) =>
      patterns.allows({ ...registry, verb, resource, apiGroup: '', namespace, name });
    expect(asks('list', 'namespaces', undefined)).toBe(true);
    expect(asks('update', 'secrets', 'collate-team-b', 'omd-registry-credentials')).toBe(true);
    expect(asks('update', 'secrets', 'collate-team-b', 'other')).toBe(false);
  });

  it('binds the ingestion service account to the executor rules only', () => {
    const pod = {
      user: 'system:serviceaccount:collate-ingestion:ingestion',
      groups: ['system:authenticated'],
    };
    expect(ask(pod, 'create', 'workflowtaskresults', 'argoproj.io')).toBe(true);
    expect(ask(pod, 'create', 'workflows', 'argoproj.io')).toBe(false);
  });

  it('lets the operator do everything', () => {
    expect(ask({ user: 'operator', groups: [] }, 'delete', 'namespaces', '', undefined, 'kube-system')).toBe(
      true,
    );
  });
});

describe('stackRbacRules', () => {
  it('refuses a binding to a role the stack does not define, naming it', () => {
    expect(() =>
      stackRbacRules([
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'b', namespace: 'n' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'missing' },
          subjects: [{ kind: 'Group', name: 'g' }],
        },
      ] as never),
    ).toThrow(/binds Role missing, which it does not define/);
  });
});

describe('sandboxIdentities', () => {
  it('maps the runner keys to the function groups and the operator keys to the operator group', () => {
    const runner = { accessKeyId: 'AKIARUNNER', secretAccessKey: 'r' };
    const operator = { accessKeyId: 'AKIAOPERATOR', secretAccessKey: 'o' };
    expect(sandboxIdentities({ runner, operator })).toEqual([
      { ...runner, username: RUNNER_USER, groups: [LOCAL_GROUPS.bridge, LOCAL_GROUPS.registry] },
      { ...operator, username: OPERATOR_USER, groups: [LOCAL_GROUPS.operator] },
    ]);
  });
});
