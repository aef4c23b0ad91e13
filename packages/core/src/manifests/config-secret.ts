// The Secret that holds a workflow's rendered config (the only place the bot JWT is written).
import { objectAnnotations, objectLabels, type ObjectIdentity } from '../names.ts';
import type { RunnerSettings } from '../settings.ts';
import { ARGO_API_VERSION, type SecretManifest } from './kinds.ts';

/** Key of the workflow config inside the config Secret. */
export const CONFIG_SECRET_KEY = 'config';

export interface BuildConfigSecretOptions {
  name: string;
  /** Rendered config text (renderWorkflowConfig / renderAutomationConfig / renderApplicationConfig). */
  config: string;
  settings: RunnerSettings;
  identity: ObjectIdentity;
  /** Makes the Secret go away with its Workflow (one-off runs); set once the Workflow's uid is known. */
  owner?: { name: string; uid: string; kind?: 'Workflow' | 'CronWorkflow' };
}

export function buildConfigSecret(options: BuildConfigSecretOptions): SecretManifest {
  const metadata: SecretManifest['metadata'] = {
    name: options.name,
    namespace: options.settings.namespace,
    labels: objectLabels(options.identity),
    annotations: objectAnnotations(options.identity),
  };
  if (options.owner) {
    metadata.ownerReferences = [
      {
        apiVersion: ARGO_API_VERSION,
        kind: options.owner.kind ?? 'Workflow',
        name: options.owner.name,
        uid: options.owner.uid,
      },
    ];
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata,
    type: 'Opaque',
    data: { [CONFIG_SECRET_KEY]: Buffer.from(options.config, 'utf8').toString('base64') },
  };
}
