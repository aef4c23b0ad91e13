// The RBAC objects of cluster-access.ts as Kubernetes resources of the stack.
import type { RbacObject } from './cluster-access.ts';

export function applyRbac(
  object: RbacObject,
  provider: kubernetes.Provider,
  dependsOn: $util.Resource[],
): $util.Resource {
  const id = `${object.kind}-${object.metadata.namespace ?? 'cluster'}-${object.metadata.name}`;
  const options = { provider, dependsOn };
  switch (object.kind) {
    case 'Role':
      return new kubernetes.rbac.v1.Role(
        id,
        { metadata: object.metadata, rules: object.rules ?? [] },
        options,
      );
    case 'ClusterRole':
      return new kubernetes.rbac.v1.ClusterRole(
        id,
        { metadata: object.metadata, rules: object.rules ?? [] },
        options,
      );
    case 'RoleBinding':
      return new kubernetes.rbac.v1.RoleBinding(
        id,
        { metadata: object.metadata, roleRef: object.roleRef!, subjects: object.subjects ?? [] },
        options,
      );
    case 'ClusterRoleBinding':
      return new kubernetes.rbac.v1.ClusterRoleBinding(
        id,
        { metadata: object.metadata, roleRef: object.roleRef!, subjects: object.subjects ?? [] },
        options,
      );
  }
}
