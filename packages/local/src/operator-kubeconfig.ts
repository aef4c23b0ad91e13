// The operator's kubeconfig for the sandbox cluster (`.hybrid-runner/kubeconfig`): kubectl, doctor and the CLI
// reach the emulator with it. It holds no token: its exec entry mints a fresh EKS token with this project's
// CLI from the operator's placeholder keys, as `aws eks get-token` would. Written 0600, removed on close.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createKubeconfig } from '@hybrid-runner/k8s-emulator';
import type { Cleanups } from './cleanups.ts';
import { LOCAL_CLUSTER_NAME, LOCAL_REGION } from './stage-config.ts';
import type { AwsKeys } from './stage-credentials.ts';

export interface OperatorKubeconfigOptions {
  server: string;
  caCert: string;
  namespace: string;
  /** Absolute paths for the exec entry: Node 24 and the CLI's bin script. */
  cli: { node: string; script: string };
  keys: AwsKeys;
}

/** A kubeconfig for the operator whose `exec` entry mints a fresh EKS token with this project's CLI. */
export function operatorKubeconfig(options: OperatorKubeconfigOptions): string {
  const name = LOCAL_CLUSTER_NAME;
  return createKubeconfig({
    server: options.server,
    caCert: options.caCert,
    namespace: options.namespace,
    name,
    userName: `${name}-operator`,
    user: {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: options.cli.node,
        args: [options.cli.script, 'eks', 'token', '--cluster', name, '--region', LOCAL_REGION],
        env: [
          { name: 'AWS_ACCESS_KEY_ID', value: options.keys.accessKeyId },
          { name: 'AWS_SECRET_ACCESS_KEY', value: options.keys.secretAccessKey },
          // A session token or profile from the user's shell would not match these keys.
          { name: 'AWS_SESSION_TOKEN', value: '' },
          { name: 'AWS_PROFILE', value: '' },
        ],
        interactiveMode: 'Never',
        provideClusterInfo: false,
      },
    },
  });
}

/** Writes the operator's kubeconfig to `path` (owner-only), and removes it when the stage closes. */
export function writeOperatorKubeconfig(
  path: string,
  options: OperatorKubeconfigOptions,
  cleanups: Cleanups,
): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, operatorKubeconfig(options), { mode: 0o600 });
  cleanups.add(() => rmSync(path, { force: true }));
}
