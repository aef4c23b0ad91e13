// Labels and annotations Argo v3.7 puts on Workflows and their pods, and the images and node the simulated
// controller reports; tests and clients select by these names.
export const LABEL_WORKFLOW = 'workflows.argoproj.io/workflow';
export const LABEL_COMPLETED = 'workflows.argoproj.io/completed';
export const LABEL_PHASE = 'workflows.argoproj.io/phase';
export const LABEL_CRON_WORKFLOW = 'workflows.argoproj.io/cron-workflow';
export const LABEL_ON_EXIT = 'workflows.argoproj.io/on-exit';
export const ANNOTATION_POD_NAME_FORMAT = 'workflows.argoproj.io/pod-name-format';
export const ANNOTATION_NODE_NAME = 'workflows.argoproj.io/node-name';
export const ANNOTATION_NODE_ID = 'workflows.argoproj.io/node-id';
export const ANNOTATION_SCHEDULED_TIME = 'workflows.argoproj.io/scheduled-time';
/** Argo (workflowpod.go) names `main` as the container kubectl logs/exec use when none is given. */
export const ANNOTATION_DEFAULT_CONTAINER = 'kubectl.kubernetes.io/default-container';
/** The executor image the simulated pods report for their init and wait containers. */
export const EXECUTOR_IMAGE = 'quay.io/argoproj/argoexec:v3.7.18';
/** The one node every simulated pod is scheduled on. */
export const NODE_NAME = 'emulated-node-1';
