// The stage's bot tokens: the current ingestion bot JWT and, during a rotation, the previous one with its
// retirement time (both read from Secrets Manager by ARN, never from the environment). The connect function
// accepts either until the previous one retires; the runner sends only `current` (a dial-out connection
// takes it from `botTokens()`); every token read is registered for log redaction at once.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { rotatingTokenSet, secretsManagerTokenProvider, type TokenSetProvider } from '@hybrid-runner/aws';
import { readFunctionEnvironment, type FunctionEnvironment } from '@hybrid-runner/config';
import { registeringSecrets } from '@hybrid-runner/observability';
import { onBridgeReconfigured } from './bridge-context.ts';
import { describeError, logger } from './logger.ts';

/** The tokens are re-read this often, so a rotated secret takes effect without a redeploy. */
export const TOKEN_CACHE_MS = 15 * 60_000;

/** The token set the function environment names, read with this client (traced or not, the caller's choice). */
export function tokenSetFromEnvironment(
  functionEnv: Pick<FunctionEnvironment, 'authTokenSecret' | 'previousAuthToken'>,
  client: SecretsManagerClient,
): TokenSetProvider {
  const stored = (secretId: string) =>
    registeringSecrets(
      secretsManagerTokenProvider({ client, secretId, cacheMs: TOKEN_CACHE_MS }),
      (token) => [token],
    );
  const previous = functionEnv.previousAuthToken;
  return rotatingTokenSet({
    current: stored(functionEnv.authTokenSecret),
    ...(previous ? { previous: { token: stored(previous.secretArn), retireAt: previous.retireAt } } : {}),
    onPreviousUnreadable: (error) =>
      logger.warn('Previous bot token not readable: only the current token is accepted', {
        error: describeError(error),
      }),
  });
}

let cached: TokenSetProvider | undefined;
onBridgeReconfigured(() => {
  cached = undefined;
});

/** The token set of this container's stage, built from the environment on first use. */
export function botTokens(env: NodeJS.ProcessEnv = process.env): TokenSetProvider {
  cached ??= tokenSetFromEnvironment(readFunctionEnvironment(env), new SecretsManagerClient({}));
  return cached;
}
