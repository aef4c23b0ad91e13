// `hybrid-runner ecr refresh`: refreshes the ECR pull secret now, from the operator's machine, with the
// same core code the scheduled function runs (the published chart's `kubectl create job --from=cronjob/
// ecr-registry-helper`). It reaches the cluster through a kubeconfig or EKS, and logs in to ECR with the
// keys secret in Secrets Manager or the operator's own AWS credentials. Prints the per-namespace report.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  RegistryLoginError,
  formatRegistryRefreshReport,
  isRunnerError,
  refreshRegistryCredentials,
  resolveRegistryRefreshSettings,
  systemClock,
} from '@hybrid-runner/core';
import type {
  Clock,
  ClusterPort,
  RegistryAuth,
  RegistryRefreshInput,
  RegistryRefreshReport,
} from '@hybrid-runner/core';
import { createEcrRegistryAuth } from '@hybrid-runner/aws';
import { KubernetesCluster } from '@hybrid-runner/kubernetes';
import type { ClusterSource } from '@hybrid-runner/kubernetes';
import { EXIT, CliError } from '../exit-codes.ts';
import { createOutput, mark } from '../output.ts';
import type { Output } from '../output.ts';

export interface EcrRefreshCommandOptions {
  /** The ingestion namespace (always refreshed). */
  namespace: string;
  /** More namespaces: names or `*`/`?` patterns (`--include`, repeatable). */
  include?: string[];
  exclude?: string[];
  /** Registry hosts (`--registry`, repeatable); default Collate's. */
  registries?: string[];
  secretName?: string;
  /** Service accounts to add the secret to (`--service-account`, repeatable). */
  serviceAccounts?: string[];
  concurrency?: number;
  /** ARN or name of the Secrets Manager secret with Collate's keys; absent: your own AWS credentials. */
  keysSecret?: string;
  /** Region of the keys secret; default the SDK's (AWS_REGION, profile). */
  keysSecretRegion?: string;
  /** How to reach the cluster; default the current kubeconfig context. */
  clusterSource?: ClusterSource;
  json?: boolean;
  /** Injected in tests and by the local stage. */
  cluster?: ClusterPort;
  auth?: RegistryAuth;
  /** ECR endpoint override (the local ECR stand-in). */
  ecrEndpoint?: string;
  clock?: Clock;
  output?: Output;
}

/** Runs the refresh; resolves with the report when every namespace succeeded, else throws a CliError. */
export async function runEcrRefreshCommand(
  options: EcrRefreshCommandOptions,
): Promise<RegistryRefreshReport> {
  const output = options.output ?? createOutput({ json: Boolean(options.json) });
  const input: RegistryRefreshInput = {
    ingestionNamespace: options.namespace,
    ...(options.registries?.length ? { registries: options.registries } : {}),
    ...(options.include ? { namespaces: options.include } : {}),
    ...(options.exclude ? { excludeNamespaces: options.exclude } : {}),
    ...(options.serviceAccounts ? { serviceAccounts: options.serviceAccounts } : {}),
    ...(options.secretName ? { secretName: options.secretName } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  };
  if (!options.namespace) {
    throw new CliError('ecr refresh needs --namespace <ingestion namespace>.', EXIT.usage);
  }
  let settings;
  try {
    settings = resolveRegistryRefreshSettings(input);
  } catch (error) {
    throw new CliError(`ecr refresh: ${(error as Error).message}`, EXIT.usage, { cause: error });
  }

  let cluster = options.cluster;
  if (!cluster) {
    output.progress('Connecting to the cluster…');
    try {
      cluster = await KubernetesCluster.connect(options.clusterSource ?? { mode: 'kubeconfig' });
    } catch (error) {
      throw new CliError((error as Error).message, EXIT.unreachable, { cause: error });
    }
  }
  const auth =
    options.auth ??
    createEcrRegistryAuth({
      ...(options.keysSecret ? { keysSecretId: options.keysSecret } : {}),
      ...(options.ecrEndpoint ? { ecrEndpoint: options.ecrEndpoint } : {}),
      secretsManager: new SecretsManagerClient(
        options.keysSecretRegion ? { region: options.keysSecretRegion } : {},
      ),
    });

  output.progress(`Refreshing ${settings.secretName} for ${settings.registries.join(', ')}…`);
  let report: RegistryRefreshReport;
  try {
    report = await refreshRegistryCredentials(
      { cluster, auth, clock: options.clock ?? systemClock },
      settings,
    );
  } catch (error) {
    const exitCode =
      isRunnerError(error) && error.code === 'cluster_unavailable' ? EXIT.unreachable : EXIT.operationFailed;
    throw new CliError((error as Error).message, exitCode, { cause: error });
  }
  output.result(report, humanReport(report));
  if (report.loginError) {
    throw new CliError(`ECR login failed, no secret was touched: ${report.loginError}`, EXIT.unreachable, {
      cause: new RegistryLoginError(report.loginError),
    });
  }
  if (!report.ok) {
    throw new CliError(
      `ECR pull secret refresh incomplete: ${report.failed} namespace(s) failed` +
        (report.listError ? ' and namespaces could not be listed' : '') +
        ' (see the report above).',
      EXIT.operationFailed,
    );
  }
  return report;
}

function humanReport(report: RegistryRefreshReport): string {
  const [summary, ...rest] = formatRegistryRefreshReport(report).split('\n');
  const head = report.ok ? mark.ok(summary ?? '') : mark.fail(summary ?? '');
  return [
    head,
    ...rest.map((line) =>
      / failed|login failed|list failed/.test(line) ? mark.fail(line.trim()) : `  ${line.trim()}`,
    ),
  ].join('\n');
}
