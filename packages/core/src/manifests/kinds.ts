// The shapes of the manifests the runner builds: Workflow, CronWorkflow and the config Secret.
import type { KubeObject, ObjectMeta } from '../ports.ts';
import type { Json } from './json.ts';

export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';

export interface ContainerSpec extends Json {
  name: string;
  image: string;
  command: string[];
  env: Array<{ name: string; value?: string; valueFrom?: Json }>;
}

export interface WorkflowSpec extends Json {
  entrypoint: string;
  templates: Array<Json & { name: string }>;
  serviceAccountName: string;
  podMetadata: { labels: Record<string, string>; annotations: Record<string, string> };
}

export interface WorkflowManifest extends KubeObject {
  kind: 'Workflow';
  metadata: ObjectMeta & { name: string; namespace: string; labels: Record<string, string> };
  spec: WorkflowSpec;
}

export interface CronWorkflowManifest extends KubeObject {
  kind: 'CronWorkflow';
  metadata: ObjectMeta & { name: string; namespace: string; labels: Record<string, string> };
  spec: Json & {
    schedules: string[];
    timezone?: string;
    suspend: boolean;
    concurrencyPolicy: string;
    workflowMetadata: { labels: Record<string, string>; annotations: Record<string, string> };
    workflowSpec: WorkflowSpec;
  };
}

export interface SecretManifest extends KubeObject {
  kind: 'Secret';
  metadata: ObjectMeta & { name: string; namespace: string; labels: Record<string, string> };
  type: 'Opaque';
  /** Base64 values, as the API server stores and returns them. */
  data: Record<string, string>;
}
