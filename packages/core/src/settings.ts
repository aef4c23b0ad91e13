// The runner's settings as core sees them: what manifests and operations need. packages/config validates
// a stage's configuration and produces this; core never reads the environment itself.
import { DEFAULT_SECRET_PREFIX } from '@hybrid-runner/protocol';

export interface ResourceQuantities {
  cpu?: string;
  memory?: string;
}

export interface ResourceRequirements {
  limits?: ResourceQuantities;
  requests?: ResourceQuantities;
}

export interface EnvVar {
  name: string;
  value: string;
}

export type SecretsManagerProvider = 'managed-aws' | 'kubernetes';

export interface RunnerSettings {
  /** The runner's identity towards Collate (`config.agentId`). */
  agentId: string;
  /** Collate host without protocol (`config.serverHost`). */
  serverHost: string;
  /** https/wss (true) or http/ws (false) towards the Collate server. */
  useSecureProtocols: boolean;
  /** Reported in ping, getServiceStatus and runnerStatus. */
  runnerVersion: string;
  /** Namespace of the ingestion Workflows, CronWorkflows, config Secrets and pods. */
  namespace: string;
  image: { repository: string; tag: string; pullPolicy?: 'Always' | 'IfNotPresent' | 'Never' };
  imagePullSecrets: string[];
  serviceAccountName: string;
  resources: ResourceRequirements;
  automationResources: ResourceRequirements;
  extraEnv: EnvVar[];
  tolerations: Array<Record<string, unknown>>;
  nodeSelector: Record<string, string>;
  affinity?: Record<string, unknown>;
  /** Merged into the main container (values `customConfig.containerParams`). */
  customContainerParams?: Record<string, unknown>;
  /** Merged into the Workflow spec (values `customConfig.workflowParams`, where tolerations usually go). */
  workflowParams?: Record<string, unknown>;
  /** Completed workflows are deleted after this many seconds (published default: one week). */
  ttlSecondsAfterCompletion: number;
  /** Argo pod GC; absent keeps pods (and their logs) until the workflow's TTL removes them. */
  podGC?: {
    strategy: 'OnPodCompletion' | 'OnPodSuccess' | 'OnWorkflowCompletion' | 'OnWorkflowSuccess';
    deleteDelayDuration?: string;
  };
  /** Upper bound on a run's duration; absent means none. */
  activeDeadlineSeconds?: number;
  secretsManager: { provider: SecretsManagerProvider; region?: string; prefix: string };
}

export const DEFAULT_INGESTION_IMAGE = {
  repository: '118146679784.dkr.ecr.eu-west-1.amazonaws.com/collate-customers-ingestion-slim-eu-west-1',
  tag: 'om-1.13.3-cl-1.13.3',
} as const;

/** Defaults that match the published chart 1.13.3. */
export function defaultRunnerSettings(overrides: Partial<RunnerSettings> = {}): RunnerSettings {
  return {
    agentId: 'RemoteRunner',
    serverHost: 'my-cluster.getcollate.io',
    useSecureProtocols: true,
    runnerVersion: '0.1.0',
    namespace: 'collate-ingestion',
    image: { ...DEFAULT_INGESTION_IMAGE, pullPolicy: 'IfNotPresent' },
    imagePullSecrets: ['omd-registry-credentials'],
    serviceAccountName: 'ingestion',
    resources: { limits: { cpu: '1000m', memory: '4096Mi' }, requests: { cpu: '1000m', memory: '4096Mi' } },
    automationResources: {
      limits: { cpu: '500m', memory: '512Mi' },
      requests: { cpu: '200m', memory: '256Mi' },
    },
    extraEnv: [],
    tolerations: [],
    nodeSelector: {},
    ttlSecondsAfterCompletion: 7 * 24 * 3600,
    secretsManager: { provider: 'kubernetes', prefix: DEFAULT_SECRET_PREFIX },
    ...overrides,
  };
}
