// Health and identity: ping and getServiceStatus. getServiceStatus never throws: an unreachable API server
// or missing Argo CRDs are reported as `unhealthy` with the reason, so Collate can show it.
import type { OperationResult } from '@hybrid-runner/protocol';
import type { OperationDeps } from './context.ts';

/** The Argo resources the runner needs the API server to serve. */
export const REQUIRED_ARGO_RESOURCES = [
  { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows' },
  { group: 'argoproj.io', version: 'v1alpha1', plural: 'cronworkflows' },
] as const;

export async function ping(deps: OperationDeps): Promise<OperationResult<'ping'>> {
  return { pong: true, agentId: deps.settings.agentId, version: deps.settings.runnerVersion };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function getServiceStatus(deps: OperationDeps): Promise<OperationResult<'getServiceStatus'>> {
  const { cluster, settings } = deps;
  const base = { code: 200 as const, platform: 'Argo' as const, version: settings.runnerVersion };
  const [version, ...served] = await Promise.allSettled([
    cluster.serverVersion(),
    ...REQUIRED_ARGO_RESOURCES.map((r) => cluster.hasResource(r.group, r.version, r.plural)),
  ]);
  if (version?.status === 'rejected') {
    return {
      ...base,
      status: 'unhealthy',
      reason: `Kubernetes API not reachable: ${describeError(version.reason)}`,
    };
  }
  const failedCheck = served.find((outcome) => outcome.status === 'rejected');
  if (failedCheck) {
    return {
      ...base,
      status: 'unhealthy',
      reason: `Could not check the Argo CRDs: ${describeError((failedCheck as PromiseRejectedResult).reason)}`,
    };
  }
  const missing = REQUIRED_ARGO_RESOURCES.filter(
    (_resource, index) => (served[index] as PromiseFulfilledResult<boolean>).value !== true,
  ).map((r) => `${r.plural}.${r.group}/${r.version}`);
  if (missing.length > 0) {
    return {
      ...base,
      status: 'unhealthy',
      reason: `Argo Workflows is not installed in the cluster (${missing.join(', ')} not served): install Argo Workflows 3.7 or later.`,
    };
  }
  const kubernetes = version && version.status === 'fulfilled' ? version.value.gitVersion : 'unknown';
  return { ...base, status: 'healthy', reason: `Kubernetes ${kubernetes}; Argo Workflows CRDs served` };
}
