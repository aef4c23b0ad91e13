import { describe, expect, it } from 'vitest';
import { AuditLog, RbacRules } from '@hybrid-runner/k8s-emulator';

const request = {
  user: 'runner',
  groups: ['runners', 'system:authenticated'],
  verb: 'get',
  apiGroup: '',
  resource: 'pods/log',
  namespace: 'ingest',
  name: 'p',
};

describe('RBAC rules', () => {
  it('allows everything to authenticated users by default', () => {
    expect(new RbacRules().allows(request)).toBe(true);
  });

  it('matches subject, verb, group, resource (with subresource) and namespace', () => {
    const rules = new RbacRules([
      {
        groups: ['runners'],
        verbs: ['get'],
        apiGroups: [''],
        resources: ['pods/log'],
        namespaces: ['ingest'],
      },
    ]);
    expect(rules.allows(request)).toBe(true);
    expect(rules.allows({ ...request, resource: 'pods' })).toBe(false);
    expect(rules.allows({ ...request, verb: 'list' })).toBe(false);
    expect(rules.allows({ ...request, namespace: 'other' })).toBe(false);
    expect(rules.allows({ ...request, namespace: undefined })).toBe(false);
    expect(rules.allows({ ...request, groups: ['system:authenticated'] })).toBe(false);
  });

  it('supports wildcards and resourceNames, and can be replaced at run time', () => {
    const rules = new RbacRules([
      { users: ['runner'], verbs: ['*'], apiGroups: ['argoproj.io'], resources: ['*'] },
    ]);
    expect(rules.allows({ ...request, apiGroup: 'argoproj.io', resource: 'workflows', verb: 'delete' })).toBe(
      true,
    );
    expect(rules.allows(request)).toBe(false);
    rules.replace([
      {
        users: ['runner'],
        verbs: ['update'],
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['pull'],
      },
    ]);
    expect(rules.allows({ ...request, verb: 'update', resource: 'secrets', name: 'pull' })).toBe(true);
    expect(rules.allows({ ...request, verb: 'update', resource: 'secrets', name: 'other' })).toBe(false);
    expect(rules.list()).toHaveLength(1);
  });
});

describe('audit log', () => {
  it('summarises the distinct permissions a user exercised', () => {
    const audit = new AuditLog();
    const at = new Date().toISOString();
    audit.record({ ...request, allowed: true, at });
    audit.record({ ...request, allowed: true, at });
    audit.record({
      ...request,
      verb: 'create',
      resource: 'workflows',
      apiGroup: 'argoproj.io',
      allowed: false,
      at,
    });
    audit.record({ ...request, user: 'someone-else', allowed: true, at });
    expect(audit.permissionsUsed('runner')).toEqual([
      { verb: 'get', apiGroup: '', resource: 'pods/log', namespace: 'ingest' },
      { verb: 'create', apiGroup: 'argoproj.io', resource: 'workflows', namespace: 'ingest' },
    ]);
    expect(audit.entries({ allowed: false })).toHaveLength(1);
    audit.clear();
    expect(audit.entries()).toEqual([]);
  });
});
