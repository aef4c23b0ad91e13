// The $connect token check, built once per container: the bot token from Secrets Manager (by ARN from the
// environment, never the token itself), optional JWKS verification, or the injected authorizer.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  connectAuthorizer,
  jwksVerifier,
  secretsManagerTokenProvider,
  type ConnectAuthorizer,
} from '@hybrid-runner/aws';
import { readFunctionEnvironment } from '@hybrid-runner/config';
import { registeringSecrets } from '@hybrid-runner/observability';
import { bridgeOverrides, onBridgeReconfigured } from './bridge-context.ts';

/** The bot token is re-read this often, so a rotated secret takes effect without a redeploy. */
export const TOKEN_CACHE_MS = 15 * 60_000;

let cached: ConnectAuthorizer | undefined;
onBridgeReconfigured(() => {
  cached = undefined;
});

export function authorizer(env: NodeJS.ProcessEnv = process.env): ConnectAuthorizer {
  const injected = bridgeOverrides();
  if (injected) return injected.authorizer;
  if (!cached) {
    const functionEnv = readFunctionEnvironment(env);
    const { jwks } = functionEnv;
    cached = connectAuthorizer({
      agentId: functionEnv.settings.agentId,
      // Registered for redaction as soon as it is read, before anything could log it.
      token: registeringSecrets(
        secretsManagerTokenProvider({
          client: new SecretsManagerClient({}),
          secretId: functionEnv.authTokenSecret,
          cacheMs: TOKEN_CACHE_MS,
        }),
        (token) => [token],
      ),
      ...(jwks
        ? { verifyJwt: jwksVerifier({ jwksUrl: jwks.url, ...(jwks.issuer ? { issuer: jwks.issuer } : {}) }) }
        : {}),
    });
  }
  return cached;
}
