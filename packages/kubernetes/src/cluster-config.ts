// The one place that loads how to reach a cluster (like the client library's own KubeConfig loaders):
// EKS (DescribeCluster for endpoint and CA, a self-minted token that refreshes) or a kubeconfig (current
// or named context, for local use). Everything that talks to the cluster takes TLS and auth from here.
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import type { User } from '@kubernetes/client-node';
import { EksTokenProvider, describeEksCluster } from '@hybrid-runner/aws';
import type { AwsCredentials, BearerTokenProvider } from '@hybrid-runner/aws';
import { ClusterUnavailableError } from '@hybrid-runner/core';
import type { Clock } from '@hybrid-runner/core';

export interface EksClusterSource {
  mode: 'eks';
  clusterName: string;
  region: string;
  credentials?: AwsCredentials;
  /** EKS API endpoint override (the local stand-in); the Kubernetes endpoint still comes from DescribeCluster. */
  endpointOverride?: string;
  clock?: Clock;
}

export interface KubeconfigSource {
  mode: 'kubeconfig';
  /** Kubeconfig file; default: $KUBECONFIG, ~/.kube/config, then in-cluster service account. */
  path?: string;
  /** Kubeconfig YAML itself instead of a file (the local stage, tests). */
  text?: string;
  /** Context to use; default: the current context. */
  context?: string;
}

export type ClusterSource = EksClusterSource | KubeconfigSource;

export interface ClusterConfig {
  /** The client library's config: current context set, TLS and auth resolved per request. */
  kubeConfig: KubeConfig;
  /** API server URL. */
  server: string;
  /** For messages: which cluster this is. */
  description: string;
  /** Default namespace of the context, when it names one. */
  namespace?: string;
  /** Present when the bearer token can be minted again (EKS): a 401 then gets one fresh attempt. */
  tokenProvider?: BearerTokenProvider;
}

/** Auth provider name our authenticator answers to in the KubeConfig user. */
const BEARER_TOKEN_AUTH_PROVIDER = 'hybrid-runner-bearer-token';

type AuthenticatedOptions = Parameters<KubeConfig['applyToHTTPSOptions']>[0];

/** Plugs a refreshing token provider into the client's authentication (its `Authenticator` contract). */
class BearerTokenAuthenticator {
  readonly #provider: BearerTokenProvider;
  constructor(provider: BearerTokenProvider) {
    this.#provider = provider;
  }
  isAuthProvider(user: User): boolean {
    return (user.authProvider as { name?: string } | undefined)?.name === BEARER_TOKEN_AUTH_PROVIDER;
  }
  async applyAuthentication(_user: User, opts: AuthenticatedOptions): Promise<void> {
    opts.headers = { ...opts.headers, Authorization: `Bearer ${await this.#provider.token()}` };
  }
}

/** A KubeConfig for one server whose bearer token comes from `tokenProvider` on every request. */
export function kubeConfigWithTokenProvider(options: {
  name: string;
  server: string;
  /** Base64 of the PEM CA bundle (kubeconfig `certificate-authority-data`, DescribeCluster's format). */
  caData: string;
  tokenProvider: BearerTokenProvider;
}): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.addAuthenticator(new BearerTokenAuthenticator(options.tokenProvider));
  kubeConfig.loadFromClusterAndUser(
    { name: options.name, server: options.server, caData: options.caData, skipTLSVerify: false },
    { name: `${options.name}-runner`, authProvider: { name: BEARER_TOKEN_AUTH_PROVIDER, config: {} } },
  );
  return kubeConfig;
}

export async function loadClusterConfig(source: ClusterSource): Promise<ClusterConfig> {
  return source.mode === 'eks' ? loadEksConfig(source) : loadKubeconfig(source);
}

async function loadEksConfig(source: EksClusterSource): Promise<ClusterConfig> {
  if (!source.clusterName || !source.region) {
    throw new ClusterUnavailableError(
      'EKS mode needs the cluster name and its region: set them in the stage configuration.',
    );
  }
  const info = await describeEksCluster({
    clusterName: source.clusterName,
    region: source.region,
    ...(source.credentials ? { credentials: source.credentials } : {}),
    ...(source.endpointOverride ? { endpointOverride: source.endpointOverride } : {}),
  });
  const tokenProvider = new EksTokenProvider({
    clusterName: source.clusterName,
    region: source.region,
    ...(source.credentials ? { credentials: source.credentials } : {}),
    ...(source.clock ? { clock: source.clock } : {}),
  });
  return {
    kubeConfig: kubeConfigWithTokenProvider({
      name: source.clusterName,
      server: info.endpoint,
      caData: info.certificateAuthorityData,
      tokenProvider,
    }),
    server: info.endpoint,
    description: `EKS cluster "${source.clusterName}" (${source.region})`,
    tokenProvider,
  };
}

function loadKubeconfig(source: KubeconfigSource): ClusterConfig {
  const kubeConfig = new KubeConfig();
  let origin: string;
  try {
    if (source.text !== undefined) {
      kubeConfig.loadFromString(source.text);
      origin = 'the given kubeconfig';
    } else if (source.path) {
      if (!existsSync(source.path)) {
        throw new ClusterUnavailableError(
          `The kubeconfig file ${source.path} does not exist: check the path.`,
        );
      }
      kubeConfig.loadFromFile(source.path);
      origin = source.path;
    } else {
      kubeConfig.loadFromDefault();
      origin = process.env.KUBECONFIG ? `$KUBECONFIG (${process.env.KUBECONFIG})` : 'the default kubeconfig';
    }
  } catch (error) {
    if (error instanceof ClusterUnavailableError) throw error;
    // Only the reason and position: the YAML parser's own message quotes the source, which may hold a token.
    const { reason, mark } = error as { reason?: string; mark?: { line?: number; column?: number } };
    const where =
      mark?.line !== undefined ? ` at line ${mark.line + 1}, column ${(mark.column ?? 0) + 1}` : '';
    throw new ClusterUnavailableError(
      `Could not read the kubeconfig: ${reason ?? 'invalid content'}${where}. Check its YAML.`,
    );
  }
  if (source.context) {
    if (!kubeConfig.getContextObject(source.context)) {
      const known = kubeConfig.getContexts().map((context) => context.name);
      throw new ClusterUnavailableError(
        `The kubeconfig (${origin}) has no context "${source.context}"; it has: ${known.join(', ') || 'none'}.`,
      );
    }
    kubeConfig.setCurrentContext(source.context);
  }
  const cluster = kubeConfig.getCurrentCluster();
  // loadFromDefault silently falls back to http://localhost:8080 when it finds nothing at all.
  if (!cluster || (cluster.name === 'cluster' && cluster.server === 'http://localhost:8080')) {
    throw new ClusterUnavailableError(
      `No cluster found in ${origin}: set KUBECONFIG, pass a kubeconfig path, or choose a context that names a cluster.`,
    );
  }
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
  return {
    kubeConfig,
    server: cluster.server,
    description: `cluster "${cluster.name}" (kubeconfig context "${kubeConfig.getCurrentContext()}")`,
    ...(context?.namespace ? { namespace: context.namespace } : {}),
  };
}
