// The real Lambda handlers in the local stage, and what the stage composes around them. They read their
// environment when first used, so they are loaded only once it is set. The bridge and the runner are composed
// from the environment exactly as in Lambda; only with a kubeconfig (a real cluster, which the composition
// root cannot reach as it reaches EKS) is the runner handed its cluster and stores.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DynamoDbCursorStore,
  DynamoDbIdempotencyStore,
  SecretsManagerSecretStore,
  secretsManagerTokenProvider,
} from '@hybrid-runner/aws';
import type { RunnerSettings } from '@hybrid-runner/core';
import type { KubernetesCluster } from '@hybrid-runner/kubernetes';
import type { Cleanups } from './cleanups.ts';

/** Awaits a record of promises together, keeping their names. */
async function awaitAll<T extends Record<string, Promise<unknown>>>(
  promises: T,
): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  const entries = await Promise.all(
    Object.entries(promises).map(async ([name, promise]) => [name, await promise] as const),
  );
  return Object.fromEntries(entries) as { [K in keyof T]: Awaited<T[K]> };
}

/** Loads the handlers and the composition modules; call it only after the functions' environment is set. */
export function loadStageFunctions() {
  return awaitAll({
    connect: import('../../../functions/bridge/connect.ts'),
    disconnect: import('../../../functions/bridge/disconnect.ts'),
    message: import('../../../functions/bridge/message.ts'),
    heartbeat: import('../../../functions/schedule/heartbeat.ts'),
    ecrRefresh: import('../../../functions/schedule/ecr-refresh.ts'),
    bridgeContext: import('../../../functions/lib/bridge-context.ts'),
    runnerContext: import('../../../functions/lib/runner-context.ts'),
    newNamespacesCheck: import('../../../functions/lib/new-namespaces-check.ts'),
  });
}

export type StageFunctions = Awaited<ReturnType<typeof loadStageFunctions>>;

export interface ComposeRunnerOptions {
  functions: StageFunctions;
  settings: RunnerSettings;
  /** With a kubeconfig: the cluster to submit to; otherwise the runner finds the sandbox through EKS. */
  realCluster?: KubernetesCluster | undefined;
  stateTable: string;
  authTokenSecret: string;
}

/**
 * Composes the bridge and the runner (HYBRID_RUNNER_MANAGEMENT_ENDPOINT, set by the inbound bridge, points the
 * bridge's senders at the plain-HTTP management API) and returns the ECR refresh handler. Dropping the
 * configuration on close also drops what the composition cached, so a next stage in this process starts afresh.
 */
export function composeRunner(options: ComposeRunnerOptions, cleanups: Cleanups) {
  const { bridgeContext, runnerContext, ecrRefresh } = options.functions;
  cleanups.add(() => bridgeContext.configureBridge(undefined));
  const secretsClient = new SecretsManagerClient({});
  cleanups.add(() => secretsClient.destroy());
  const dynamoClient = new DynamoDBClient({});
  cleanups.add(() => dynamoClient.destroy());

  const ecrDeps = ecrRefresh.ecrRefreshDepsFromEnv(process.env);
  if (options.realCluster) {
    const cluster = options.realCluster;
    runnerContext.configureRunner({
      settings: options.settings,
      cluster,
      idempotency: new DynamoDbIdempotencyStore({ client: dynamoClient, tableName: options.stateTable }),
      cursor: new DynamoDbCursorStore({ client: dynamoClient, tableName: options.stateTable }),
      secrets: new SecretsManagerSecretStore({ client: secretsClient }),
      botToken: secretsManagerTokenProvider({ client: secretsClient, secretId: options.authTokenSecret }),
    });
    ecrDeps.cluster = async () => cluster;
  }
  cleanups.add(() => runnerContext.configureRunner(undefined));
  return { refreshRegistry: ecrRefresh.createEcrRefreshHandler(ecrDeps) };
}
