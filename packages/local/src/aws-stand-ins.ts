// The AWS services the local stage stands in for on the wire, and the variables through which the AWS SDK
// finds them: the Secrets Manager stand-in holds the secrets the stack would create (bot token, a rotation's
// previous token, Collate's ECR keys) beside the user's seeded ones; the ECR stand-in hands out pull
// credentials for Collate's keys. DynamoDB (dynalite), S3 (s3rver) and EKS have their own modules.
import type { Cleanups } from './cleanups.ts';
import { startEcrStandIn, type EcrStandIn } from './standins/ecr.ts';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from './standins/secrets-manager.ts';
import { LOCAL_REGION, type StageSecretIds } from './stage-config.ts';
import type { StageCredentials } from './stage-credentials.ts';

/** The service endpoint variables the AWS SDK for JavaScript v3 honours (service id, upper-cased). */
export const AWS_ENDPOINT_ENV = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  secretsManager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  eks: 'AWS_ENDPOINT_URL_EKS',
  ecr: 'AWS_ENDPOINT_URL_ECR',
  s3: 'AWS_ENDPOINT_URL_S3',
} as const;

/** The Secrets Manager stand-in, for the runner's and the operator's keys, holding the stage's secrets. */
export async function startStageSecretsManager(
  options: {
    credentials: StageCredentials;
    secretIds: StageSecretIds;
    previousToken?: string | undefined;
    seedSecrets?: Record<string, string> | undefined;
  },
  cleanups: Cleanups,
): Promise<SecretsManagerStandIn> {
  const { runner, operator, collateEcr, token } = options.credentials;
  const { authToken, ecrKeys, previousAuthToken } = options.secretIds;
  const standIn = await startSecretsManagerStandIn({
    region: LOCAL_REGION,
    accessKeys: {
      [runner.accessKeyId]: runner.secretAccessKey,
      [operator.accessKeyId]: operator.secretAccessKey,
    },
    secrets: {
      ...options.seedSecrets,
      [authToken]: token,
      ...(previousAuthToken && options.previousToken ? { [previousAuthToken]: options.previousToken } : {}),
      [ecrKeys]: JSON.stringify({
        accessKeyId: collateEcr.accessKeyId,
        secretAccessKey: collateEcr.secretAccessKey,
      }),
    },
  });
  cleanups.add(() => standIn.close());
  return standIn;
}

/** The ECR stand-in, which accepts Collate's ECR keys only (as Collate's registry would). */
export async function startStageEcr(credentials: StageCredentials, cleanups: Cleanups): Promise<EcrStandIn> {
  const { collateEcr } = credentials;
  const ecr = await startEcrStandIn({
    accessKeys: { [collateEcr.accessKeyId]: { secretAccessKey: collateEcr.secretAccessKey } },
  });
  cleanups.add(() => ecr.close());
  return ecr;
}
