// What an install provides in the ingestion namespace before the runner can start a pod there: the pods'
// service account and the registry pull secret (empty: the tests pull nothing). One place for the tests
// that run the operations against the Kubernetes emulator.
import {
  DEFAULT_PULL_SECRET_NAME,
  DOCKER_CONFIG_JSON_KEY,
  DOCKER_CONFIG_JSON_TYPE,
  RESOURCES,
} from '@hybrid-runner/core';
import type { ClusterPort } from '@hybrid-runner/core';

export async function provideInstallPrerequisites(
  cluster: ClusterPort,
  namespace: string,
  serviceAccountName = 'ingestion',
): Promise<void> {
  await cluster.create(RESOURCES.serviceAccount, namespace, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: serviceAccountName },
  });
  await cluster.create(RESOURCES.secret, namespace, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: DEFAULT_PULL_SECRET_NAME },
    type: DOCKER_CONFIG_JSON_TYPE,
    stringData: { [DOCKER_CONFIG_JSON_KEY]: '{"auths":{}}' },
  });
}
