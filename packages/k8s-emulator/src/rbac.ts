// A small RBAC evaluator (verbs × resources × namespaces per user or group, subresources as `pods/log`) and
// an audit log of every authorization decision, so tests can prove which permissions an operation needs.

export interface RbacRule {
  /** Users and groups the rule applies to (`system:authenticated` is every authenticated user). */
  users?: string[];
  groups?: string[];
  /** e.g. `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, or `*`. */
  verbs: string[];
  /** API groups; `''` is the core group, `*` any. */
  apiGroups: string[];
  /** Resources, `pods/log` for a subresource, `*` any. */
  resources: string[];
  /** Namespaces the rule covers (a Role's binding). Absent: every namespace and the cluster scope (a ClusterRole). */
  namespaces?: string[];
  /** Restricts get/update/patch/delete to these object names. */
  resourceNames?: string[];
}

export interface AccessRequest {
  user: string;
  groups: string[];
  verb: string;
  apiGroup: string;
  /** `pods` or `pods/log`. */
  resource: string;
  namespace: string | undefined;
  name: string | undefined;
}

export interface AuditEntry extends AccessRequest {
  allowed: boolean;
  /** HTTP status of the response, when known. */
  code?: number;
  at: string;
}

/** Every authenticated user may do everything: the default when no rules are given. */
export const ALLOW_ALL: RbacRule[] = [
  { groups: ['system:authenticated'], verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
];

function includesOrStar(list: string[] | undefined, value: string): boolean {
  return list !== undefined && (list.includes('*') || list.includes(value));
}

export class RbacRules {
  private rules: RbacRule[];

  constructor(rules: RbacRule[] = ALLOW_ALL) {
    this.rules = structuredClone(rules);
  }

  /** Replaces the rule set (tests change permissions at run time). */
  replace(rules: RbacRule[]): void {
    this.rules = structuredClone(rules);
  }

  add(rule: RbacRule): void {
    this.rules.push(structuredClone(rule));
  }

  list(): RbacRule[] {
    return structuredClone(this.rules);
  }

  /**
   * The rules that apply to a subject in `namespace` (undefined: at cluster scope only): those naming the
   * user or one of its groups, cluster-wide or bound in that namespace, as a RoleBinding there would be.
   */
  applicableTo(subject: { user: string; groups: string[] }, namespace: string | undefined): RbacRule[] {
    return this.list().filter(
      (rule) =>
        ((rule.users ?? []).includes(subject.user) ||
          (rule.groups ?? []).some((group) => subject.groups.includes(group))) &&
        (rule.namespaces === undefined || (namespace !== undefined && rule.namespaces.includes(namespace))),
    );
  }

  allows(request: AccessRequest): boolean {
    return this.rules.some((rule) => {
      const subject =
        (rule.users ?? []).includes(request.user) ||
        (rule.groups ?? []).some((group) => request.groups.includes(group));
      if (!subject) return false;
      if (!includesOrStar(rule.verbs, request.verb)) return false;
      if (!includesOrStar(rule.apiGroups, request.apiGroup)) return false;
      if (!includesOrStar(rule.resources, request.resource)) return false;
      if (rule.namespaces !== undefined) {
        if (request.namespace === undefined || !rule.namespaces.includes(request.namespace)) return false;
      }
      if (rule.resourceNames !== undefined && rule.resourceNames.length > 0) {
        if (request.name === undefined || !rule.resourceNames.includes(request.name)) return false;
      }
      return true;
    });
  }
}

export class AuditLog {
  private readonly log: AuditEntry[] = [];

  record(entry: AuditEntry): void {
    this.log.push(entry);
  }

  /** A copy of the entries, optionally only one user's or only allowed/denied ones. */
  entries(filter: { user?: string; allowed?: boolean } = {}): AuditEntry[] {
    return this.log
      .filter(
        (entry) =>
          (filter.user === undefined || entry.user === filter.user) &&
          (filter.allowed === undefined || entry.allowed === filter.allowed),
      )
      .map((entry) => ({ ...entry }));
  }

  /** Distinct `verb resource namespace` triples used by a user: the least privileges a flow needs. */
  permissionsUsed(
    user: string,
  ): Array<{ verb: string; apiGroup: string; resource: string; namespace: string | undefined }> {
    const seen = new Map<
      string,
      { verb: string; apiGroup: string; resource: string; namespace: string | undefined }
    >();
    for (const entry of this.log) {
      if (entry.user !== user) continue;
      const key = `${entry.verb} ${entry.apiGroup} ${entry.resource} ${entry.namespace ?? ''}`;
      if (!seen.has(key))
        seen.set(key, {
          verb: entry.verb,
          apiGroup: entry.apiGroup,
          resource: entry.resource,
          namespace: entry.namespace,
        });
    }
    return [...seen.values()].sort((a, b) =>
      `${a.resource} ${a.verb}`.localeCompare(`${b.resource} ${b.verb}`),
    );
  }

  clear(): void {
    this.log.length = 0;
  }
}
