// Argo template variables (`{{workflow.name}}`, `{{inputs.parameters.x}}`, …): the ones the simulated
// controller knows, and their substitution into a pod's main container.
import type { Execution } from './execution.ts';
import { isJson, metadataOf } from './kube-json.ts';
import type { Json } from './kube-json.ts';

/** A `{{variable}}` reference; group 1 is the variable's name. */
export const VARIABLE = /\{\{\s*([^{}\s]+)\s*\}\}/g;
export const KNOWN_VARIABLE_PREFIXES = [
  'workflow.',
  'inputs.',
  'outputs.',
  'steps.',
  'tasks.',
  'pod.',
  'node.',
  'item',
  'retries',
  'lastRetry.',
  'cronworkflow.',
];

/** Replaces known variables in every string of `value`; unknown ones stay as written. */
export function substitute(value: unknown, variables: Record<string, string>): unknown {
  if (typeof value === 'string')
    return value.replace(VARIABLE, (whole, name: string) => variables[name] ?? whole);
  if (Array.isArray(value)) return value.map((item) => substitute(item, variables));
  if (isJson(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, variables)]));
  return value;
}

/** The variables a pod of `execution` sees: the workflow's fields and parameters, its pod and node names. */
export function podVariables(
  execution: Execution,
  podName: string,
  nodeName: string,
  workflowStatus: string | undefined,
): Record<string, string> {
  const metadata = metadataOf(execution.workflow);
  const parameters = (
    ((execution.spec['arguments'] as Json | undefined)?.['parameters'] as Json[] | undefined) ?? []
  ).map((p) => [`workflow.parameters.${String(p['name'])}`, String(p['value'] ?? '')]);
  return {
    'workflow.name': execution.name,
    'workflow.namespace': execution.namespace,
    'workflow.uid': execution.uid,
    'workflow.serviceAccountName': String(execution.spec['serviceAccountName'] ?? 'default'),
    'workflow.creationTimestamp': String(metadata['creationTimestamp'] ?? ''),
    'workflow.status': workflowStatus ?? 'Running',
    'pod.name': podName,
    'node.name': nodeName,
    ...Object.fromEntries(parameters),
  };
}
