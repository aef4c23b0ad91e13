// The keys the local stage's parties sign with, and the secrets they unlock: by default placeholder access
// keys with secret keys random per start (the stand-ins accept only these), the token as given and fresh
// Collate ECR keys; with USE_AWS_SECRETS_MANAGER=1 the runner is the user's own AWS identity and the bot token
// and ECR keys are read from the real Secrets Manager.
import { randomBytes } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { parseEcrKeysSecret, secretsManagerTokenProvider } from '@hybrid-runner/aws';
import { LOCAL_REGION, type StageSecretIds } from './stage-config.ts';

export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Placeholder access key ids the stand-ins accept (secret keys are random per start). */
const KEY_IDS = {
  runner: 'AKIALOCALRUNNER00001',
  operator: 'AKIALOCALOPERATOR001',
  collateEcr: 'AKIALOCALCOLLATEECR1',
} as const;

const randomSecretKey = () => randomBytes(30).toString('base64');

export interface StageCredentials {
  /** The runner's identity (the functions' keys): placeholders, or the user's own with real Secrets Manager. */
  runner: AwsKeys;
  /** The operator's (CLI, doctor, kubectl through the kubeconfig): always placeholders. */
  operator: AwsKeys;
  /** The keys Collate hands out for its ECR, stored in the ECR keys secret. */
  collateEcr: AwsKeys;
  /** The bot token Collate presents: as given, or the one stored in the real Secrets Manager. */
  token: string;
  /** Whether the secrets live in the real Secrets Manager (then no stand-in is started for it). */
  fromAwsSecretsManager: boolean;
}

export async function resolveStageCredentials(options: {
  token: string;
  secretIds: StageSecretIds;
  useAwsSecretsManager?: boolean | undefined;
}): Promise<StageCredentials> {
  const operator: AwsKeys = { accessKeyId: KEY_IDS.operator, secretAccessKey: randomSecretKey() };
  if (!options.useAwsSecretsManager) {
    return {
      runner: { accessKeyId: KEY_IDS.runner, secretAccessKey: randomSecretKey() },
      operator,
      collateEcr: { accessKeyId: KEY_IDS.collateEcr, secretAccessKey: randomSecretKey() },
      token: options.token,
      fromAwsSecretsManager: false,
    };
  }
  // The user's own credentials, resolved once: the local stand-ins and the emulator accept them too.
  const resolved = await fromNodeProviderChain()();
  const runner: AwsKeys = {
    accessKeyId: resolved.accessKeyId,
    secretAccessKey: resolved.secretAccessKey,
    ...(resolved.sessionToken ? { sessionToken: resolved.sessionToken } : {}),
  };
  const { authToken, ecrKeys } = options.secretIds;
  const client = new SecretsManagerClient({ region: LOCAL_REGION, credentials: runner });
  try {
    const token = await secretsManagerTokenProvider({ client, secretId: authToken })();
    const keys = await client.send(new GetSecretValueCommand({ SecretId: ecrKeys }));
    const collateEcr = parseEcrKeysSecret(keys.SecretString, ecrKeys);
    return { runner, operator, collateEcr, token, fromAwsSecretsManager: true };
  } catch (error) {
    throw new Error(
      `USE_AWS_SECRETS_MANAGER=1 needs the secrets ${authToken} (the bot token) and ${ecrKeys} ` +
        `(ECR keys JSON) in Secrets Manager (${LOCAL_REGION}): ${(error as Error).message}`,
    );
  } finally {
    client.destroy();
  }
}
