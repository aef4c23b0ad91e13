// The Kubernetes permissions the runner needs, as data: per bridge operation (what each one calls), and
// folded into the namespace-scoped Role rules the stacks grant the runner's group (EKS access entry →
// Kubernetes group → RoleBinding). test/contract/rbac.test.ts proves against the emulator that every
// operation works with exactly these rules and fails without each of its permissions.
import type { OperationName } from '@hybrid-runner/protocol';

export interface Permission {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';
  /** `''` is the core group. */
  apiGroup: string;
  /** Plural, or `pods/log` for the log subresource. */
  resource: string;
}

/** A Role rule in Kubernetes' own shape (rbac.authorization.k8s.io/v1 PolicyRule). */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const ARGO = 'argoproj.io';
const can = (verb: Permission['verb'], resource: string, apiGroup = ''): Permission => ({
  verb,
  apiGroup,
  resource,
});

/**
 * What each operation calls in the ingestion namespace. Discovery and /version (getServiceStatus) are
 * non-resource URLs every authenticated user may read (system:discovery), so they need no rule here.
 */
export const OPERATION_PERMISSIONS: Readonly<Record<OperationName, readonly Permission[]>> = {
  ping: [],
  getServiceStatus: [],
  deployPipeline: [
    can('get', 'secrets'),
    can('create', 'secrets'),
    can('update', 'secrets'),
    can('get', 'cronworkflows', ARGO),
    can('create', 'cronworkflows', ARGO),
    can('update', 'cronworkflows', ARGO),
  ],
  // The `get` is a metadata-only read (PartialObjectMetadata): Kubernetes authorizes it as any get, by verb
  // and resource, so reading metadata only narrows what is fetched, not what must be granted.
  runPipeline: [can('get', 'secrets'), can('update', 'secrets'), can('create', 'workflows', ARGO)],
  killIngestion: [can('list', 'workflows', ARGO), can('patch', 'workflows', ARGO)],
  toggleIngestion: [can('patch', 'cronworkflows', ARGO)],
  deletePipeline: [
    can('delete', 'cronworkflows', ARGO),
    can('delete', 'secrets'),
    can('list', 'workflows', ARGO),
    can('delete', 'workflows', ARGO),
  ],
  getPipelineStatus: [can('list', 'workflows', ARGO)],
  getIngestionLogs: [can('list', 'workflows', ARGO), can('list', 'pods'), can('get', 'pods/log')],
  runAutomationsWorkflow: [
    can('create', 'secrets'),
    can('create', 'workflows', ARGO),
    can('patch', 'secrets'),
  ],
  runApplicationFlow: [can('create', 'secrets'), can('create', 'workflows', ARGO), can('patch', 'secrets')],
};

/** The scheduled reconciliation (pipelineStatus events): walk Workflows, read pods of unfinished runs, mark reported. */
export const RECONCILE_PERMISSIONS: readonly Permission[] = [
  can('list', 'workflows', ARGO),
  can('list', 'pods'),
  can('patch', 'workflows', ARGO),
];

/** Folds permissions into Role rules: one rule per API group and resource, verbs sorted. */
export function toPolicyRules(permissions: Iterable<Permission>): PolicyRule[] {
  const verbsByResource = new Map<string, Set<string>>();
  for (const { verb, apiGroup, resource } of permissions) {
    const key = `${apiGroup}\u0000${resource}`;
    let verbs = verbsByResource.get(key);
    if (!verbs) verbsByResource.set(key, (verbs = new Set()));
    verbs.add(verb);
  }
  return [...verbsByResource.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, verbs]) => {
      const [apiGroup = '', resource = ''] = key.split('\u0000');
      return { apiGroups: [apiGroup], resources: [resource], verbs: [...verbs].sort() };
    });
}

/**
 * The Role rules the bridge's operations and the reconciliation need in the ingestion namespace. (The ECR
 * pull-secret refresh works across namespaces and needs its own ClusterRole; it is not part of this list.)
 */
export const RUNNER_RBAC_RULES: readonly PolicyRule[] = toPolicyRules([
  ...Object.values(OPERATION_PERMISSIONS).flat(),
  ...RECONCILE_PERMISSIONS,
]);

/**
 * The Role and RoleBinding that grant RUNNER_RBAC_RULES to `group` (the Kubernetes group the EKS access
 * entry puts the functions' role in; the stacks name it) in the ingestion namespace, as manifests.
 */
export function runnerRoleManifests(options: { namespace: string; group: string; name?: string }) {
  const name = options.name ?? 'hybrid-runner';
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: options.namespace },
      rules: RUNNER_RBAC_RULES.map((rule) => ({ ...rule })),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: options.namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [
        {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Group',
          name: options.group,
        },
      ],
    },
  ] as const;
}
