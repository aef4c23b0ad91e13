// End to end against the Kubernetes emulator, in both bridge modes: a real WebSocket with the protocol client,
// the real handlers behind the local API Gateway stand-in (inbound) or the keeper dialling the Collate-side
// stand-in (outbound), dynalite, core's operations through the real Kubernetes adapter
// over HTTPS, Argo's CRD schemas enforced, and the emulator's simulated Argo controller running the pods.
// Proves the request path and the heartbeat's reconciliation end to end; not a real Argo or kubelet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS, MANAGED_BY, RESOURCES, pipelineLabelValue } from '@hybrid-runner/core';
import {
  createKubeconfig,
  startKubernetesEmulator,
  type KubernetesEmulator,
} from '@hybrid-runner/k8s-emulator';
import { KubernetesCluster } from '@hybrid-runner/kubernetes';
import { BridgeClient, OPERATIONS, type PipelineStatusPayload } from '@hybrid-runner/protocol';
import { AGENT_ID, BRIDGE_MODES, TOKEN, startStage, type BridgeUnderTest } from './stage.ts';
import { expectClosingOperations } from './operations.ts';

const NAMESPACE = 'collate-ingestion';
const CLUSTER_TOKEN = 'bridge-e2e-cluster-token';

let emulator: KubernetesEmulator;
let cluster: KubernetesCluster;

const workflowConfig = {
  source: { type: 'mysql', serviceName: 'mysql', sourceConfig: { config: { type: 'DatabaseMetadata' } } },
  sink: { type: 'metadata-rest', config: {} },
  workflowConfig: { openMetadataServerConfig: { hostPort: 'https://collate.example/api' } },
};
const pipeline = (name: string) => ({
  name,
  fullyQualifiedName: `prod.mysql.${name}`,
  pipelineType: 'metadata' as const,
});

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    auth: { mode: 'static', tokens: { [CLUSTER_TOKEN]: { username: 'runner', groups: ['hybrid-runner'] } } },
    namespaces: [NAMESPACE],
    controller: { pendingMs: 10, podRunMs: 60, cronTickMs: 0 },
  });
  cluster = await KubernetesCluster.connect({
    mode: 'kubeconfig',
    text: createKubeconfig({ server: emulator.url, caCert: emulator.caCert, token: CLUSTER_TOKEN }),
  });
  // What the install provides: the pods' service account and the registry pull secret.
  await cluster.create(RESOURCES.serviceAccount, NAMESPACE, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'ingestion' },
  });
  await cluster.create(RESOURCES.secret, NAMESPACE, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'omd-registry-credentials' },
    type: 'kubernetes.io/dockerconfigjson',
    stringData: { '.dockerconfigjson': '{"auths":{}}' },
  });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await emulator?.close();
});

describe('bridge against the Kubernetes emulator', () => {
  for (const mode of BRIDGE_MODES) {
    describe(mode, () => {
      let stage: BridgeUnderTest;
      let bridge: BridgeClient;
      const statusEvents: PipelineStatusPayload[] = [];
      beforeAll(async () => {
        stage = await startStage(mode, { cluster, settings: { namespace: NAMESPACE } });
        bridge = await BridgeClient.connect(stage.url, {
          token: TOKEN,
          agentId: AGENT_ID,
          requestTimeoutMs: 20_000,
          reconnect: { maxAttempts: 0 },
        });
        bridge.on('pipelineStatus', (payload) => statusEvents.push(payload));
      }, 30_000);
      afterAll(async () => {
        await bridge?.close();
        await stage?.close();
      });

      /** Runs the heartbeat function until an event for `workflowName` reaches `state` (or fails the test). */
      async function heartbeatUntil(workflowName: string, state: string): Promise<PipelineStatusPayload> {
        let found: PipelineStatusPayload | undefined;
        await expect
          .poll(
            async () => {
              await stage.heartbeat();
              found = statusEvents.find((e) => e.workflowName === workflowName && e.pipelineState === state);
              return found !== undefined;
            },
            { timeout: 10_000, interval: 50 },
          )
          .toBe(true);
        return found!;
      }

      it(`round-trips every operation (${OPERATIONS.length}) through the real adapter`, async () => {
        const p = pipeline('roundtrip');
        expect(await bridge.request('ping', {})).toMatchObject({ pong: true, agentId: AGENT_ID });
        expect(await bridge.request('getServiceStatus', {})).toMatchObject({ code: 200, status: 'healthy' });
        expect(await bridge.request('deployPipeline', { pipeline: p, workflowConfig })).toMatchObject({
          code: 200,
        });
        const run = await bridge.request('runPipeline', { pipeline: p });
        await heartbeatUntil(run.workflowName, 'success');
        const { runs } = await bridge.request('getPipelineStatus', { pipeline: p });
        expect(runs[0]).toMatchObject({ runId: run.runId, pipelineState: 'success' });
        const logs = await bridge.request('getIngestionLogs', { pipeline: p, runId: run.runId });
        expect(logs.total).toBeGreaterThanOrEqual(1);
        expect(await bridge.request('killIngestion', { pipeline: p })).toMatchObject({ code: 200 });
        await expectClosingOperations(bridge, p);
        const left = await cluster.list(RESOURCES.workflow, NAMESPACE, {
          labelSelector: `${LABELS.managedBy}=${MANAGED_BY},${LABELS.pipeline}=${pipelineLabelValue(p.fullyQualifiedName)}`,
        });
        expect(left.items).toHaveLength(0);
      });

      it('reports a run whose image cannot be pulled as failed, with the reason, through the heartbeat', async () => {
        const p = pipeline('pull_fails');
        const scenario = emulator.controller!.setScenario(
          { labelSelector: `${LABELS.pipeline}=${pipelineLabelValue(p.fullyQualifiedName)}` },
          { outcome: 'imagePullError', message: 'pull access denied: authorization token has expired' },
        );
        try {
          await bridge.request('deployPipeline', { pipeline: p, workflowConfig });
          const run = await bridge.request('runPipeline', { pipeline: p });
          const failed = await heartbeatUntil(run.workflowName, 'failed');
          expect(failed).toMatchObject({
            pipelineFQN: p.fullyQualifiedName,
            runId: run.runId,
            reason: expect.stringMatching(/ErrImagePull|ImagePullBackOff/),
          });
          // Reported once: further heartbeats do not repeat it.
          const count = statusEvents.filter(
            (e) => e.workflowName === run.workflowName && e.pipelineState === 'failed',
          ).length;
          await stage.heartbeat();
          expect(
            statusEvents.filter((e) => e.workflowName === run.workflowName && e.pipelineState === 'failed')
              .length,
          ).toBe(count);
        } finally {
          scenario.remove();
        }
      });
    });
  }
});
