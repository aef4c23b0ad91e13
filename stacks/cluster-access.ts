// Kubernetes RBAC of the stack as plain data: what the functions (through their EKS access entries) and
// the ingestion pods may do. Namespaced Roles wherever the API allows it; cluster-wide rules only for the
// registry refresh when its targets are patterns (new namespaces matching them must be served at once).
import type { RegistryRefreshEnvironment } from '@hybrid-runner/config';
import { RUNNER_RBAC_RULES } from '@hybrid-runner/kubernetes';
import { matchesNamespacePattern, needsNamespaceList } from '@hybrid-runner/core';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface RbacObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding';
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  rules?: PolicyRule[];
  roleRef?: { apiGroup: 'rbac.authorization.k8s.io'; kind: 'Role' | 'ClusterRole'; name: string };
  subjects?: Array<{ kind: 'Group' | 'ServiceAccount'; name: string; namespace?: string; apiGroup?: string }>;
}

/** Kubernetes groups the EKS access entries put the functions' roles in (never `system:`-prefixed). */
export const FUNCTION_GROUPS = {
  bridge: 'hybrid-runner:bridge',
  registry: 'hybrid-runner:registry',
} as const;

export const STACK_LABELS = { 'app.kubernetes.io/managed-by': 'hybrid-runner-stack' } as const;

/**
 * What the operations and the reconciliation do in the ingestion namespace. Defined by the Kubernetes
 * adapter, whose contract tests prove each operation works with exactly these rules.
 */
export const BRIDGE_RULES: PolicyRule[] = RUNNER_RBAC_RULES.map((rule) => ({
  apiGroups: [...rule.apiGroups],
  resources: [...rule.resources],
  verbs: [...rule.verbs],
}));

/**
 * The heartbeat's check for namespaces new since the last registry refresh (with pattern targets): it lists
 * namespaces, which only a ClusterRole allows. Nothing else cluster-wide; Secrets stay the refresh's.
 */
export const BRIDGE_NAMESPACE_LIST_RULES: PolicyRule[] = [
  { apiGroups: [''], resources: ['namespaces'], verbs: ['list'] },
];

/** Argo's executor in each ingestion pod reports step results (Argo 3.4+). */
export const EXECUTOR_RULES: PolicyRule[] = [
  { apiGroups: ['argoproj.io'], resources: ['workflowtaskresults'], verbs: ['create', 'patch'] },
];

/** With secretsManager `kubernetes`, the ingestion code reads referenced secrets from its own namespace. */
export const KUBERNETES_SECRETS_READER_RULES: PolicyRule[] = [
  { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
];

/** The registry refresh: update the pull secret in place (create when missing), optionally patch SAs. */
export function registryRules(
  settings: RegistryRefreshEnvironment,
  options: { clusterWide: boolean },
): PolicyRule[] {
  const rules: PolicyRule[] = [
    // `create` cannot be limited by name in Kubernetes RBAC; reading and updating can.
    { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    {
      apiGroups: [''],
      resources: ['secrets'],
      verbs: ['get', 'update', 'patch'],
      resourceNames: [settings.pullSecretName],
    },
  ];
  if (settings.patchServiceAccount) {
    rules.push({
      apiGroups: [''],
      resources: ['serviceaccounts'],
      verbs: ['get', 'patch'],
      resourceNames: [...settings.serviceAccounts],
    });
  }
  if (options.clusterWide) rules.push({ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] });
  return rules;
}

function role(name: string, namespace: string, rules: PolicyRule[]): RbacObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace, labels: { ...STACK_LABELS } },
    rules,
  };
}

function binding(
  name: string,
  namespace: string | undefined,
  roleKind: 'Role' | 'ClusterRole',
  subject: NonNullable<RbacObject['subjects']>[number],
): RbacObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding',
    metadata: { name, ...(namespace ? { namespace } : {}), labels: { ...STACK_LABELS } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name },
    subjects: [subject],
  };
}

const group = (name: string) => ({ kind: 'Group' as const, name, apiGroup: 'rbac.authorization.k8s.io' });

export interface ClusterAccessInput {
  ingestionNamespace: string;
  serviceAccount: string;
  secretsProvider: 'managed-aws' | 'kubernetes';
  /** Absent when the registry refresh is disabled. */
  registry?: RegistryRefreshEnvironment;
}

/** Every RBAC object the stack applies, in dependency order (roles before their bindings). */
export function clusterAccessObjects(input: ClusterAccessInput): RbacObject[] {
  const objects: RbacObject[] = [];
  const ns = input.ingestionNamespace;
  objects.push(role('hybrid-runner-bridge', ns, BRIDGE_RULES));
  objects.push(binding('hybrid-runner-bridge', ns, 'Role', group(FUNCTION_GROUPS.bridge)));

  const executorRules = [
    ...EXECUTOR_RULES,
    ...(input.secretsProvider === 'kubernetes' ? KUBERNETES_SECRETS_READER_RULES : []),
  ];
  objects.push(role('hybrid-runner-executor', ns, executorRules));
  objects.push(
    binding('hybrid-runner-executor', ns, 'Role', {
      kind: 'ServiceAccount',
      name: input.serviceAccount,
      namespace: ns,
    }),
  );

  if (input.registry) {
    // Core's rule: patterns (`*` or `?`) make the refresh list namespaces, which only a ClusterRole allows.
    const clusterWide = needsNamespaceList({ namespaces: input.registry.include });
    if (clusterWide) {
      objects.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'hybrid-runner-bridge-namespaces', labels: { ...STACK_LABELS } },
        rules: BRIDGE_NAMESPACE_LIST_RULES,
      });
      objects.push(
        binding('hybrid-runner-bridge-namespaces', undefined, 'ClusterRole', group(FUNCTION_GROUPS.bridge)),
      );
      objects.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'hybrid-runner-registry', labels: { ...STACK_LABELS } },
        rules: registryRules(input.registry, { clusterWide: true }),
      });
      objects.push(
        binding('hybrid-runner-registry', undefined, 'ClusterRole', group(FUNCTION_GROUPS.registry)),
      );
    } else {
      // The refresh always serves the ingestion namespace (core's selectTargetNamespaces), excluded or not.
      const { include, exclude } = input.registry;
      const excluded = (target: string) =>
        exclude.some((pattern) => matchesNamespacePattern(target, pattern));
      const targets = new Set([ns, ...include.filter((target) => !excluded(target))]);
      for (const target of targets) {
        objects.push(
          role('hybrid-runner-registry', target, registryRules(input.registry, { clusterWide: false })),
        );
        objects.push(binding('hybrid-runner-registry', target, 'Role', group(FUNCTION_GROUPS.registry)));
      }
    }
  }
  return objects;
}
