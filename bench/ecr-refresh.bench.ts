// ECR pull-secret refresh of 100 namespaces with 25 ms added to every Kubernetes API call (the emulator's
// latency injection, through the real adapter over HTTPS) and to every ECR call (the wire stand-in):
// bounded concurrency (the default, 8, and 16) beside the sequential approach, measured in the same run.
// Target: ≤ 1.5 s for the bounded refresh.
import { ECRClient } from '@aws-sdk/client-ecr';
import { createEcrRegistryAuth } from '@hybrid-runner/aws';
import {
  REGISTRY_REFRESH_DEFAULTS,
  refreshRegistryCredentials,
  resolveRegistryRefreshSettings,
  systemClock,
} from '@hybrid-runner/core';
import type { RegistryRefreshReport } from '@hybrid-runner/core';
import { createKubeconfig, startKubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import { KubernetesCluster } from '@hybrid-runner/kubernetes';
import { startEcrStandIn } from '../packages/local/src/standins/ecr.ts';
import { measure, printFigures, printRatio } from './lib.ts';

const NAMESPACE_COUNT = 100;
const LATENCY_MS = 25;
const ACCESS_KEY_ID = 'AKIABENCHMARKKEY0001';
const SECRET_ACCESS_KEY = 'bench-secret';
const TOKEN = 'bench-runner-token';

const teams = Array.from({ length: NAMESPACE_COUNT - 1 }, (_, i) => `team-${String(i).padStart(3, '0')}`);
const emulator = await startKubernetesEmulator({
  crdFiles: [],
  controller: false,
  namespaces: ['collate', ...teams],
  auth: { mode: 'static', tokens: { [TOKEN]: { username: 'bench', groups: ['system:masters'] } } },
});
const ecr = await startEcrStandIn({
  accessKeys: { [ACCESS_KEY_ID]: { secretAccessKey: SECRET_ACCESS_KEY } },
});
const cluster = await KubernetesCluster.connect({
  mode: 'kubeconfig',
  text: createKubeconfig({ server: emulator.url, caCert: emulator.caCert, token: TOKEN }),
});
const auth = createEcrRegistryAuth({
  credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
  ecrClientFor: (region, credentials) =>
    new ECRClient({ region, endpoint: ecr.url, maxAttempts: 1, ...(credentials ? { credentials } : {}) }),
});

async function refresh(concurrency: number): Promise<RegistryRefreshReport> {
  const report = await refreshRegistryCredentials(
    { cluster, auth, clock: systemClock },
    resolveRegistryRefreshSettings({ ingestionNamespace: 'collate', namespaces: ['team-*'], concurrency }),
  );
  if (!report.ok || report.updated !== NAMESPACE_COUNT) {
    throw new Error(`refresh incomplete: ${report.updated} updated, ${report.failed} failed`);
  }
  return report;
}

// The first run creates the secrets; every measured run updates all 100 in place (get + replace each).
await refresh(16);
emulator.faults.setLatency(LATENCY_MS);
ecr.setLatency(LATENCY_MS);

const defaultConcurrency = REGISTRY_REFRESH_DEFAULTS.concurrency;
const rows = [
  await measure('sequential (concurrency 1)', () => refresh(1), { samples: 2, warmup: 0 }),
  await measure(`bounded, concurrency ${defaultConcurrency} (default)`, () => refresh(defaultConcurrency), {
    samples: 5,
    warmup: 1,
  }),
  await measure('bounded, concurrency 16', () => refresh(16), { samples: 5, warmup: 1 }),
];
printFigures(
  `ECR refresh of ${NAMESPACE_COUNT} namespaces, ${LATENCY_MS} ms per Kubernetes and ECR call`,
  rows,
);
const [sequential, bounded, wide] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
printRatio(`concurrency ${defaultConcurrency}`, bounded.medianMs, 'sequential', sequential.medianMs, 'ms');
printRatio('concurrency 16', wide.medianMs, 'sequential', sequential.medianMs, 'ms');
console.log(
  `- target ≤ 1500 ms for the bounded refresh: concurrency ${defaultConcurrency} ${bounded.medianMs <= 1500 ? 'meets' : 'misses'} it (median ${bounded.medianMs.toFixed(0)} ms)`,
);

await Promise.all([emulator.close(), ecr.close()]);
