// Who is who in the sandbox cluster, and what each may do: the runner's keys map to the stack's function
// groups, the operator's to a group that may do everything, and the RBAC rules are the very Roles and bindings
// `sst deploy` applies (stacks/cluster-access.ts), so least privilege is tested as AWS would enforce it.
import { registryRefreshSettings, type StageConfig } from '@hybrid-runner/config';
import type { EksIdentity, RbacRule } from '@hybrid-runner/k8s-emulator';
// The stack's RBAC as data: the local stage applies the very objects `sst deploy` applies.
import { FUNCTION_GROUPS, clusterAccessObjects, type RbacObject } from '../../../stacks/cluster-access.ts';
import type { AwsKeys } from './stage-credentials.ts';

/**
 * Kubernetes groups the runner's identity is mapped to, those of the stack's EKS access entries, and the
 * operator's, who may do everything.
 */
export const LOCAL_GROUPS = {
  bridge: FUNCTION_GROUPS.bridge,
  registry: FUNCTION_GROUPS.registry,
  operator: 'hybrid-runner:local-operator',
} as const;

/** The Kubernetes user the runner's keys map to in the sandbox (an access entry's username). */
export const RUNNER_USER = 'hybrid-runner-functions';
/** The Kubernetes user the operator's keys (CLI, doctor, kubectl) map to in the sandbox. */
export const OPERATOR_USER = 'local-operator';

/** The sandbox's EKS access entries: the runner's keys and the operator's, with their users and groups. */
export function sandboxIdentities(keys: { runner: AwsKeys; operator: AwsKeys }): EksIdentity[] {
  return [
    { ...keys.runner, username: RUNNER_USER, groups: [LOCAL_GROUPS.bridge, LOCAL_GROUPS.registry] },
    { ...keys.operator, username: OPERATOR_USER, groups: [LOCAL_GROUPS.operator] },
  ];
}

/**
 * The stack's own RBAC objects (stacks/cluster-access.ts, what `sst deploy` applies) as emulator rules:
 * each binding's subjects get its role's rules, in the binding's namespace (a ClusterRoleBinding: everywhere).
 */
export function stackRbacRules(objects: readonly RbacObject[]): RbacRule[] {
  const roles = new Map<string, RbacObject>();
  for (const object of objects) {
    if (object.kind === 'Role' || object.kind === 'ClusterRole')
      roles.set(`${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`, object);
  }
  const rules: RbacRule[] = [];
  for (const binding of objects) {
    if ((binding.kind !== 'RoleBinding' && binding.kind !== 'ClusterRoleBinding') || !binding.roleRef)
      continue;
    const namespace = binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined;
    const role = roles.get(
      `${binding.roleRef.kind}/${binding.roleRef.kind === 'Role' ? (namespace ?? '') : ''}/${binding.roleRef.name}`,
    );
    if (!role)
      throw new Error(
        `The stack binds ${binding.roleRef.kind} ${binding.roleRef.name}, which it does not define.`,
      );
    const subjects = binding.subjects ?? [];
    const groups = subjects.filter((subject) => subject.kind === 'Group').map((subject) => subject.name);
    const users = subjects
      .filter((subject) => subject.kind === 'ServiceAccount')
      .map((subject) => `system:serviceaccount:${subject.namespace ?? namespace ?? ''}:${subject.name}`);
    for (const rule of role.rules ?? []) {
      rules.push({
        ...(groups.length ? { groups } : {}),
        ...(users.length ? { users } : {}),
        verbs: [...rule.verbs],
        apiGroups: [...rule.apiGroups],
        resources: [...rule.resources],
        ...(namespace ? { namespaces: [namespace] } : {}),
        ...(rule.resourceNames ? { resourceNames: [...rule.resourceNames] } : {}),
      });
    }
  }
  return rules;
}

/**
 * Least privilege as in AWS: exactly the Roles and bindings the stack applies (the runner's bridge group
 * gets RUNNER_RBAC_RULES in the ingestion namespace, its registry group the pull-secret rules); the
 * operator (CLI, doctor, kubectl) may do everything.
 */
export function sandboxRbacRules(config: StageConfig, operatorUser: string): RbacRule[] {
  const stack = clusterAccessObjects({
    ingestionNamespace: config.namespaces.ingestion,
    serviceAccount: config.ingestionPods.serviceAccount.name,
    secretsProvider: config.secretsManager.provider,
    ...(config.ecr.enabled ? { registry: registryRefreshSettings(config) } : {}),
  });
  return [
    { users: [operatorUser], verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
    ...stackRbacRules(stack),
  ];
}
