import { describe, expect, it } from 'vitest';
import {
  BASIC_USER_RESOURCE_RULES,
  DISCOVERY_NON_RESOURCE_RULES,
  RbacRules,
  reviewRules,
} from '@hybrid-runner/k8s-emulator';

const rules = new RbacRules([
  { users: ['admin'], verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  {
    groups: ['runners'],
    verbs: ['create', 'list'],
    apiGroups: ['argoproj.io'],
    resources: ['workflows'],
    namespaces: ['ingest'],
  },
  {
    groups: ['runners'],
    verbs: ['get'],
    apiGroups: [''],
    resources: ['secrets'],
    resourceNames: ['pull-secret'],
  },
]);
const runner = { username: 'runner-1', groups: ['runners', 'system:authenticated'] };
const status = (review: Record<string, unknown>) =>
  review['status'] as { resourceRules: unknown[]; nonResourceRules: unknown[]; incomplete: boolean };

describe('reviewRules (SelfSubjectRulesReview from the emulator RBAC rules)', () => {
  it("lists the requester's rules in the namespace, after the grants every authenticated user has", () => {
    const review = reviewRules({ body: { spec: { namespace: 'ingest' } }, requester: runner, rules });
    expect(review).toMatchObject({ kind: 'SelfSubjectRulesReview', spec: { namespace: 'ingest' } });
    expect(status(review)).toEqual({
      resourceRules: [
        ...BASIC_USER_RESOURCE_RULES,
        { verbs: ['create', 'list'], apiGroups: ['argoproj.io'], resources: ['workflows'] },
        { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['pull-secret'] },
      ],
      nonResourceRules: DISCOVERY_NON_RESOURCE_RULES,
      incomplete: false,
    });
  });

  it('leaves out rules bound in other namespaces, and every namespaced rule at cluster scope', () => {
    const elsewhere = status(
      reviewRules({ body: { spec: { namespace: 'default' } }, requester: runner, rules }),
    );
    const clusterScope = status(reviewRules({ body: { spec: {} }, requester: runner, rules }));
    for (const listed of [elsewhere, clusterScope]) {
      expect(listed.resourceRules).toEqual([
        ...BASIC_USER_RESOURCE_RULES,
        { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['pull-secret'] },
      ]);
    }
  });

  it("does not list another subject's rules", () => {
    const stranger = { username: 'someone', groups: ['system:authenticated'] };
    const listed = status(
      reviewRules({ body: { spec: { namespace: 'ingest' } }, requester: stranger, rules }),
    );
    expect(listed.resourceRules).toEqual([...BASIC_USER_RESOURCE_RULES]);
  });

  it('rejects a namespace that is no string', () => {
    expect(() => reviewRules({ body: { spec: { namespace: 3 } }, requester: runner, rules })).toThrow(
      /spec.namespace must be a string/,
    );
  });
});
