import { describe, expect, it } from 'vitest';
import { KubeApiError, RbacRules, reviewAccess } from '@hybrid-runner/k8s-emulator';

const rules = new RbacRules([
  { users: ['admin'], verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  {
    groups: ['runners'],
    verbs: ['create', 'list'],
    apiGroups: ['argoproj.io'],
    resources: ['workflows'],
    namespaces: ['ingest'],
  },
  { groups: ['runners'], verbs: ['get'], apiGroups: [''], resources: ['pods/log'], namespaces: ['ingest'] },
]);
const admin = { username: 'admin', groups: ['system:authenticated'] };
const runner = { username: 'runner-1', groups: ['runners', 'system:authenticated'] };

const attributes = (
  verb: string,
  resource: string,
  group = '',
  namespace = 'ingest',
  subresource?: string,
) => ({
  spec: { resourceAttributes: { verb, resource, group, namespace, ...(subresource ? { subresource } : {}) } },
});

describe('reviewAccess (SubjectAccessReview / SelfSubjectAccessReview from the emulator RBAC rules)', () => {
  it('answers a self review about the requester', () => {
    const allowed = reviewAccess({
      kind: 'selfsubjectaccessreviews',
      body: attributes('create', 'workflows', 'argoproj.io'),
      requester: runner,
      rules,
    });
    expect(allowed).toMatchObject({ kind: 'SelfSubjectAccessReview', status: { allowed: true } });
    const elsewhere = reviewAccess({
      kind: 'selfsubjectaccessreviews',
      body: attributes('create', 'workflows', 'argoproj.io', 'default'),
      requester: runner,
      rules,
    });
    expect(elsewhere).toMatchObject({ status: { allowed: false } });
  });

  it('answers a review of another subject (user and groups), subresources included', () => {
    const review = (verb: string, resource: string, group = '', subresource?: string) =>
      reviewAccess({
        kind: 'subjectaccessreviews',
        body: {
          spec: {
            user: 'someone',
            groups: ['runners'],
            ...attributes(verb, resource, group, 'ingest', subresource).spec,
          },
        },
        requester: admin,
        rules,
      }).status;
    expect(review('list', 'workflows', 'argoproj.io')).toMatchObject({ allowed: true });
    expect(review('delete', 'workflows', 'argoproj.io')).toEqual({ allowed: false });
    expect(review('get', 'pods', '', 'log')).toMatchObject({ allowed: true });
    expect(review('get', 'pods')).toEqual({ allowed: false });
  });

  it('lets only those allowed to create subjectaccessreviews review others', () => {
    expect(() =>
      reviewAccess({
        kind: 'subjectaccessreviews',
        body: { spec: { user: 'admin', ...attributes('get', 'secrets').spec } },
        requester: runner,
        rules,
      }),
    ).toThrow(expect.objectContaining({ code: 403 }));
  });

  it('refuses reviews without resource attributes or without a subject, with what is missing', () => {
    let error: unknown;
    try {
      reviewAccess({ kind: 'selfsubjectaccessreviews', body: { spec: {} }, requester: runner, rules });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).message).toContain('spec.resourceAttributes is required');
    expect(() =>
      reviewAccess({
        kind: 'subjectaccessreviews',
        body: attributes('get', 'pods'),
        requester: admin,
        rules,
      }),
    ).toThrow('spec.user or spec.groups is required');
  });
});
