// The part of an Argo Workflow's `status.nodes[*]` the runner reads (status, retries, archived logs), in one
// place: Argo's NodeStatus (argoproj.io/v1alpha1), every field optional since a controller writes them over time.
export interface ArgoNodeStatus {
  id?: string;
  name?: string;
  displayName?: string;
  /** Pod, Retry, Steps, DAG, … */
  type?: string;
  phase?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  templateName?: string;
  children?: string[];
  outputs?: {
    parameters?: Array<{ name?: string; value?: string }>;
    artifacts?: Array<{ name?: string; s3?: { key?: string } }>;
    exitCode?: string;
  };
}

/** The nodes of a Workflow's status, as a list (none before the controller writes any). */
export function workflowNodes(status: unknown): ArgoNodeStatus[] {
  const nodes = (status as { nodes?: Record<string, ArgoNodeStatus> } | undefined)?.nodes;
  return nodes ? Object.values(nodes) : [];
}
