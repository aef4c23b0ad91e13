// SelfSubjectRulesReview (authorization.k8s.io/v1), what `kubectl auth can-i --list` asks: the rules the
// requester holds in a namespace, listed from the emulator's RBAC rules plus the grants every
// authenticated user has on a real cluster (the bootstrap roles below), which the emulator honours
// without a rule: self reviews are always answered and discovery is served to every authenticated user.
import type { UserInfo } from './auth.ts';
import type { RbacRules } from './rbac.ts';
import { badRequest } from './status.ts';

export const RULES_REVIEW_PATH = /^\/apis\/authorization\.k8s\.io\/v1\/selfsubjectrulesreviews$/;

export interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs: string[];
}

/** Kubernetes' bootstrap ClusterRole system:basic-user, bound to system:authenticated. */
export const BASIC_USER_RESOURCE_RULES: readonly ResourceRule[] = [
  {
    verbs: ['create'],
    apiGroups: ['authorization.k8s.io'],
    resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
  },
];

/** Kubernetes' bootstrap ClusterRoles system:discovery and system:public-info-viewer (system:authenticated). */
export const DISCOVERY_NON_RESOURCE_RULES: readonly NonResourceRule[] = [
  {
    verbs: ['get'],
    nonResourceURLs: [
      '/api',
      '/api/*',
      '/apis',
      '/apis/*',
      '/healthz',
      '/livez',
      '/openapi',
      '/openapi/*',
      '/readyz',
      '/version',
      '/version/',
    ],
  },
  { verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] },
];

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Answers a SelfSubjectRulesReview about the requester in `spec.namespace`. */
export function reviewRules(options: {
  body: Record<string, unknown>;
  requester: UserInfo;
  rules: RbacRules;
}): Record<string, unknown> {
  const spec = isObject(options.body['spec']) ? options.body['spec'] : undefined;
  const namespace = spec?.['namespace'];
  if (namespace !== undefined && typeof namespace !== 'string')
    throw badRequest('SelfSubjectRulesReview: spec.namespace must be a string');
  const held = options.rules
    .applicableTo(
      { user: options.requester.username, groups: options.requester.groups },
      namespace || undefined,
    )
    .map((rule): ResourceRule => ({
      verbs: [...rule.verbs],
      apiGroups: [...rule.apiGroups],
      resources: [...rule.resources],
      ...(rule.resourceNames?.length ? { resourceNames: [...rule.resourceNames] } : {}),
    }));
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectRulesReview',
    metadata: { creationTimestamp: null },
    spec: { ...(namespace ? { namespace } : {}) },
    status: {
      resourceRules: [...BASIC_USER_RESOURCE_RULES.map((rule) => structuredClone(rule)), ...held],
      nonResourceRules: DISCOVERY_NON_RESOURCE_RULES.map((rule) => structuredClone(rule)),
      incomplete: false,
    },
  };
}
