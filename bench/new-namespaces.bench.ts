// The heartbeat's added cost for the new-namespace check, against the heartbeat's cluster work without it
// (the registry expiry read), measured in the same run: Kubernetes API round trips and time per beat, with
// 100 namespaces (ingestion + 99 matching `team-*`) in the emulator, through the real adapter over HTTPS,
// with 0 and 25 ms added to every call. The check runs beside the expiry read and takes its record from that
// same read of the pull secret, as the heartbeat pass does.
import {
  readPullSecretRecord,
  refreshForNewNamespaces,
  refreshRegistryCredentials,
  resolveRegistryRefreshSettings,
  systemClock,
} from '@hybrid-runner/core';
import type { ClusterPort, RegistryAuth } from '@hybrid-runner/core';
import { createKubeconfig, startKubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import { KubernetesCluster } from '@hybrid-runner/kubernetes';
import { measure, printFigures, printRatio } from './lib.ts';

const NAMESPACE_COUNT = 100;
const TOKEN = 'bench-runner-token';
const teams = Array.from({ length: NAMESPACE_COUNT - 1 }, (_, i) => `team-${String(i).padStart(3, '0')}`);
const emulator = await startKubernetesEmulator({
  crdFiles: [],
  controller: false,
  namespaces: ['collate', ...teams],
  auth: { mode: 'static', tokens: { [TOKEN]: { username: 'bench', groups: ['system:masters'] } } },
});
const connected = await KubernetesCluster.connect({
  mode: 'kubeconfig',
  text: createKubeconfig({ server: emulator.url, caCert: emulator.caCert, token: TOKEN }),
});

// Counts the port's calls: each is one API round trip (the adapter pages lists at 500, so 100 fit in one).
let roundTrips = 0;
const cluster = new Proxy(connected, {
  get(target, property, receiver) {
    const value = Reflect.get(target, property, receiver) as unknown;
    if (typeof value !== 'function') return value;
    return (...args: unknown[]) => {
      roundTrips++;
      return (value as (...a: unknown[]) => unknown).apply(target, args);
    };
  },
}) as ClusterPort;

const settings = resolveRegistryRefreshSettings({ ingestionNamespace: 'collate', namespaces: ['team-*'] });
const auth: RegistryAuth = {
  login: async (registryHost) => ({
    username: 'AWS',
    password: 'bench-password',
    proxyEndpoint: `https://${registryHost}`,
    expiresAt: new Date(Date.now() + 12 * 3600_000),
  }),
};
const report = await refreshRegistryCredentials({ cluster: connected, auth, clock: systemClock }, settings);
if (!report.ok) throw new Error('the setup refresh failed');
let starts = 0;
const refresh = { start: async () => void starts++ };

const readRecord = () => readPullSecretRecord(cluster, { namespace: 'collate', name: settings.secretName });
const withoutCheck = () => readRecord().then((record) => record.ecrCredentialsExpireAt);
const withCheck = () => {
  const record = readRecord();
  return Promise.all([
    record.then((read) => read.ecrCredentialsExpireAt),
    refreshForNewNamespaces(
      { cluster, refresh, targetedNamespaces: record.then((read) => read.targetedNamespaces) },
      settings,
    ),
  ]).then(([, outcome]) => {
    if (outcome.error || !outcome.checked) throw new Error(`check failed: ${outcome.error ?? 'not checked'}`);
    return outcome;
  });
};

async function tripsOf(fn: () => Promise<unknown>): Promise<number> {
  const before = roundTrips;
  await fn();
  return roundTrips - before;
}

for (const latency of [0, 25]) {
  emulator.faults.setLatency(latency);
  const rows = [
    await measure('heartbeat without the check (expiry read)', withoutCheck, { samples: 30, warmup: 3 }),
    await measure('heartbeat with the check, no new namespace', withCheck, { samples: 30, warmup: 3 }),
  ];
  printFigures(
    `Heartbeat cluster work, ${NAMESPACE_COUNT} namespaces, ${latency} ms per Kubernetes call`,
    rows,
  );
  const [base, checked] = rows as [(typeof rows)[0], (typeof rows)[0]];
  printRatio('with the check', checked.medianMs, 'without it', base.medianMs, 'ms');
  console.log(`- added per beat: ${(checked.medianMs - base.medianMs).toFixed(2)} ms (median)`);
}
const baseTrips = await tripsOf(withoutCheck);
const checkedTrips = await tripsOf(withCheck);
console.log(
  `- round trips per beat: ${checkedTrips} with the check vs ${baseTrips} without it (added ${checkedTrips - baseTrips}: one namespace list page, concurrent with the pull secret's read, which serves both)`,
);
emulator.cluster.create(emulator.cluster.resource('', 'namespaces'), undefined, {
  metadata: { name: 'team-new' },
});
const newTrips = await tripsOf(withCheck);
console.log(
  `- with one new namespace: ${newTrips} round trips, ${starts} refresh start(s) (one Lambda invoke in AWS)`,
);

await emulator.close();
