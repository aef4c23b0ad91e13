// The environment that points the CLI, doctor and kubectl at the local stage's stand-ins (recorded in the stage
// file): the operator's placeholder keys and the stand-ins' endpoints, never a secret value beyond those.
import { AWS_ENDPOINT_ENV } from './aws-stand-ins.ts';
import { LOCAL_REGION } from './stage-config.ts';
import type { AwsKeys } from './stage-credentials.ts';

export function localClientEnvironment(options: {
  operatorKeys: AwsKeys;
  /** secretsManager absent with real Secrets Manager, eks with a real cluster. */
  endpoints: { dynamodb: string; ecr: string; secretsManager?: string | undefined; eks?: string | undefined };
  /** The kubeconfig the operator uses: the user's (a real cluster) or the stage's. */
  kubeconfig: string;
  namespace: string;
}): Record<string, string> {
  const { operatorKeys, endpoints } = options;
  return {
    AWS_REGION: LOCAL_REGION,
    // With real Secrets Manager the CLI uses the user's own credentials; else the operator's placeholders.
    ...(endpoints.secretsManager
      ? { AWS_ACCESS_KEY_ID: operatorKeys.accessKeyId, AWS_SECRET_ACCESS_KEY: operatorKeys.secretAccessKey }
      : {}),
    [AWS_ENDPOINT_ENV.dynamodb]: endpoints.dynamodb,
    [AWS_ENDPOINT_ENV.ecr]: endpoints.ecr,
    ...(endpoints.secretsManager ? { [AWS_ENDPOINT_ENV.secretsManager]: endpoints.secretsManager } : {}),
    ...(endpoints.eks ? { [AWS_ENDPOINT_ENV.eks]: endpoints.eks } : {}),
    KUBECONFIG: options.kubeconfig,
    HYBRID_RUNNER_NAMESPACE: options.namespace,
  };
}
