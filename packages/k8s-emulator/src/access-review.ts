// SubjectAccessReview and SelfSubjectAccessReview (authorization.k8s.io/v1), answered from the emulator's
// own RBAC rules, so tools such as `hybrid-runner doctor` can ask "may the runner do this?" as they would
// ask a real API server. Resource attributes only (no nonResourceAttributes, no field/label selectors).
import type { AccessRequest, RbacRules } from './rbac.ts';
import type { UserInfo } from './auth.ts';
import { badRequest, forbidden } from './status.ts';

export const ACCESS_REVIEW_GROUP = 'authorization.k8s.io';
export const ACCESS_REVIEW_VERSION = 'v1';
/** What `/apis/authorization.k8s.io/v1` lists: the reviews served here (create only, cluster-scoped). */
export const ACCESS_REVIEW_API_RESOURCES = [
  {
    name: 'selfsubjectaccessreviews',
    singularName: 'selfsubjectaccessreview',
    namespaced: false,
    kind: 'SelfSubjectAccessReview',
    verbs: ['create'],
  },
  {
    name: 'selfsubjectrulesreviews',
    singularName: 'selfsubjectrulesreview',
    namespaced: false,
    kind: 'SelfSubjectRulesReview',
    verbs: ['create'],
  },
  {
    name: 'subjectaccessreviews',
    singularName: 'subjectaccessreview',
    namespaced: false,
    kind: 'SubjectAccessReview',
    verbs: ['create'],
  },
] as const;
export const ACCESS_REVIEW_PATH =
  /^\/apis\/authorization\.k8s\.io\/v1\/(subjectaccessreviews|selfsubjectaccessreviews)$/;

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Answers a review. `self` reviews are about the requester (every authenticated user may ask, as the
 * default system:basic-user role allows); reviews of another subject need `create subjectaccessreviews`.
 */
export function reviewAccess(options: {
  kind: 'subjectaccessreviews' | 'selfsubjectaccessreviews';
  body: Record<string, unknown>;
  requester: UserInfo;
  rules: RbacRules;
}): Record<string, unknown> {
  const { kind, body, requester, rules } = options;
  const self = kind === 'selfsubjectaccessreviews';
  if (!self) {
    const mayReview = rules.allows({
      user: requester.username,
      groups: requester.groups,
      verb: 'create',
      apiGroup: ACCESS_REVIEW_GROUP,
      resource: kind,
      namespace: undefined,
      name: undefined,
    });
    if (!mayReview)
      throw forbidden(
        requester.username,
        'create',
        { group: ACCESS_REVIEW_GROUP, plural: kind },
        undefined,
        undefined,
      );
  }
  const spec = isObject(body['spec']) ? body['spec'] : undefined;
  const attributes =
    spec && isObject(spec['resourceAttributes'])
      ? (spec['resourceAttributes'] as ResourceAttributes)
      : undefined;
  if (!attributes) {
    throw badRequest(
      `${self ? 'SelfSubjectAccessReview' : 'SubjectAccessReview'}: spec.resourceAttributes is required (nonResourceAttributes are not supported by this emulator)`,
    );
  }
  let subject: { user: string; groups: string[] };
  if (self) {
    subject = { user: requester.username, groups: requester.groups };
  } else {
    const user = typeof spec?.['user'] === 'string' ? spec['user'] : '';
    const groups = Array.isArray(spec?.['groups'])
      ? (spec['groups'] as unknown[]).filter((group): group is string => typeof group === 'string')
      : [];
    if (!user && groups.length === 0)
      throw badRequest('SubjectAccessReview: spec.user or spec.groups is required');
    subject = { user, groups };
  }
  const resource = `${attributes.resource ?? ''}${attributes.subresource ? `/${attributes.subresource}` : ''}`;
  const request: AccessRequest = {
    ...subject,
    verb: attributes.verb ?? '',
    apiGroup: attributes.group ?? '',
    resource,
    namespace: attributes.namespace || undefined,
    name: attributes.name || undefined,
  };
  const allowed = rules.allows(request);
  return {
    apiVersion: `${ACCESS_REVIEW_GROUP}/v1`,
    kind: self ? 'SelfSubjectAccessReview' : 'SubjectAccessReview',
    metadata: { creationTimestamp: null },
    spec,
    status: allowed ? { allowed: true, reason: 'allowed by the emulator RBAC rules' } : { allowed: false },
  };
}
