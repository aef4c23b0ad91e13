// A kubeconfig (YAML) that points a client at the emulator, trusting its CA and presenting a bearer token.
import { stringify } from 'yaml';

interface KubeconfigBase {
  /** The emulator's URL (`https://127.0.0.1:<port>`). */
  server: string;
  /** PEM of the CA the client must trust. */
  caCert: string;
  /** Default namespace of the context. */
  namespace?: string;
  /** Name of the cluster, user and context entries. Default `emulator`. */
  name?: string;
  /** Name of the user entry, when it differs from `name`. */
  userName?: string;
}

/** Either a bearer token (static, or an EKS token from createEksToken) or a whole user entry (an `exec` plugin). */
export type KubeconfigOptions = KubeconfigBase &
  ({ token: string; user?: never } | { user: Record<string, unknown>; token?: never });

export function createKubeconfig(options: KubeconfigOptions): string {
  const name = options.name ?? 'emulator';
  const userName = options.userName ?? name;
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
    users: [{ name: userName, user: options.user ?? { token: options.token } }],
    contexts: [
      {
        name,
        context: {
          cluster: name,
          user: userName,
          ...(options.namespace ? { namespace: options.namespace } : {}),
        },
      },
    ],
    'current-context': name,
  });
}
