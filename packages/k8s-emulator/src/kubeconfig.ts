// A kubeconfig (YAML) that points a client at the emulator, trusting its CA and presenting a bearer token.
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** The emulator's URL (`https://127.0.0.1:<port>`). */
  server: string;
  /** PEM of the CA the client must trust. */
  caCert: string;
  /** Bearer token: a static token or an EKS token from createEksToken. */
  token: string;
  /** Default namespace of the context. */
  namespace?: string;
  /** Name of the cluster, user and context entries. Default `emulator`. */
  name?: string;
}

export function createKubeconfig(options: KubeconfigOptions): string {
  const name = options.name ?? 'emulator';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: options.server,
          'certificate-authority-data': Buffer.from(options.caCert).toString('base64'),
        },
      },
    ],
    users: [{ name, user: { token: options.token } }],
    contexts: [
      {
        name,
        context: {
          cluster: name,
          user: name,
          ...(options.namespace ? { namespace: options.namespace } : {}),
        },
      },
    ],
    'current-context': name,
  });
}
