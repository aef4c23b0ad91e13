// Discovery as the API server serves it: /version, /api, /api/v1, /apis and each group and version, built
// from the resources the store serves (and the access reviews, which are no stored kind).
import { ACCESS_REVIEW_API_RESOURCES, ACCESS_REVIEW_GROUP, ACCESS_REVIEW_VERSION } from './access-review.ts';
import type { ResourceDefinition } from './resources.ts';

export const EMULATED_KUBERNETES_VERSION = {
  major: '1',
  minor: '33',
  gitVersion: 'v1.33.0-hybrid-runner-emulator',
};

function resourceList(groupVersion: string, definitions: ResourceDefinition[]): unknown {
  const resources: unknown[] = [];
  for (const d of definitions) {
    resources.push({
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      ...(d.shortNames.length ? { shortNames: d.shortNames } : {}),
    });
    for (const sub of d.subresources) {
      resources.push({
        name: `${d.plural}/${sub}`,
        singularName: '',
        namespaced: d.namespaced,
        kind: d.kind,
        verbs: ['get'],
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

/** The discovery document at `path`, or undefined when `path` is no discovery path. */
export function discoveryDocument(
  path: string,
  definitions: readonly ResourceDefinition[],
  address: string,
): unknown | undefined {
  if (path === '/version')
    return {
      ...EMULATED_KUBERNETES_VERSION,
      gitCommit: 'emulator',
      gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z',
      goVersion: 'go1.24',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  if (path === '/api')
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }],
    };
  if (path === '/api/v1')
    return resourceList(
      'v1',
      definitions.filter((d) => d.group === ''),
    );
  const groups = new Map<string, Set<string>>();
  for (const d of definitions)
    if (d.group) groups.set(d.group, (groups.get(d.group) ?? new Set()).add(d.version));
  // Access reviews are no stored kind, so the store does not know them; clients discover them here.
  groups.set(ACCESS_REVIEW_GROUP, new Set([ACCESS_REVIEW_VERSION]));
  const groupBody = (name: string, versions: Set<string>): unknown => {
    const list = [...versions].map((version) => ({ groupVersion: `${name}/${version}`, version }));
    return { kind: 'APIGroup', apiVersion: 'v1', name, versions: list, preferredVersion: list[0] };
  };
  if (path === '/apis')
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => groupBody(name, versions)),
    };
  const groupMatch = /^\/apis\/([^/]+)$/.exec(path);
  if (groupMatch) {
    const versions = groups.get(groupMatch[1] ?? '');
    return versions ? groupBody(groupMatch[1] ?? '', versions) : undefined;
  }
  const versionMatch = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (versionMatch?.[1] === ACCESS_REVIEW_GROUP && versionMatch[2] === ACCESS_REVIEW_VERSION) {
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: `${ACCESS_REVIEW_GROUP}/${ACCESS_REVIEW_VERSION}`,
      resources: ACCESS_REVIEW_API_RESOURCES,
    };
  }
  if (versionMatch) {
    const served = definitions.filter((d) => d.group === versionMatch[1] && d.version === versionMatch[2]);
    return served.length ? resourceList(`${versionMatch[1]}/${versionMatch[2]}`, served) : undefined;
  }
  return undefined;
}
