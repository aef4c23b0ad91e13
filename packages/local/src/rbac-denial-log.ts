// Denied requests are what least privilege costs: the local stage writes a line to its log for each request
// the sandbox cluster's RBAC refused, as it happens, so a missing rule shows up beside the failure it causes.
import type { KubernetesEmulator } from '@hybrid-runner/k8s-emulator';

/** Logs each new denial in the emulator's audit every `intervalMs`; returns the stop. */
export function logRbacDenials(
  audit: Pick<KubernetesEmulator['audit'], 'entries'>,
  log: (message: string) => void,
  intervalMs = 1000,
): () => void {
  let seen = 0;
  const watcher = setInterval(() => {
    const entries = audit.entries({ allowed: false });
    for (const entry of entries.slice(seen))
      log(`RBAC denied ${entry.user} ${entry.verb} ${entry.resource} in ${entry.namespace ?? '(cluster)'}`);
    seen = entries.length;
  }, intervalMs);
  // The watcher alone must not keep the process alive.
  watcher.unref();
  return () => clearInterval(watcher);
}
