// `hybrid-runner doctor`: checks a stage end to end and prints each check with its fix. Every check runs
// even when an earlier one failed, unless it cannot (no cluster → no permission check).
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { parseStageConfig, toRunnerSettings } from '@hybrid-runner/config';
import type { StageConfig } from '@hybrid-runner/config';
import {
  DEFAULT_PULL_SECRET_NAME,
  REGISTRY_CREDENTIALS_ANNOTATIONS,
  RESOURCES,
  hoursUntil,
} from '@hybrid-runner/core';
import type { KubeObject } from '@hybrid-runner/core';
import { KubernetesCluster, RUNNER_RBAC_RULES } from '@hybrid-runner/kubernetes';
import { BridgeClient } from '@hybrid-runner/protocol';
import type { Output } from '../output.ts';
import { mark } from '../output.ts';
import { applyStageEnvironment, findStageFile } from '../stage-file.ts';
import { argoPlacementCheck, ingestionSchedulingCheck } from './doctor-placement.ts';
import type { LocalStageInfo } from '../stage-file.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it; present unless the check passed. */
  fix?: string;
}

/** Pull credentials closer than this to expiry are a warning: the refresh runs every 4 hours. */
const PULL_SECRET_WARN_HOURS = 4;

const ACCESS_REVIEWS = {
  self: {
    group: 'authorization.k8s.io',
    version: 'v1',
    kind: 'SelfSubjectAccessReview',
    plural: 'selfsubjectaccessreviews',
    namespaced: false,
  },
  subject: {
    group: 'authorization.k8s.io',
    version: 'v1',
    kind: 'SubjectAccessReview',
    plural: 'subjectaccessreviews',
    namespaced: false,
  },
} as const;

function failure(check: string, error: unknown, fix: string): CheckResult {
  return { check, status: 'fail', detail: error instanceof Error ? error.message : String(error), fix };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function collectChecks(stage: LocalStageInfo): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const namespace = stage.namespace ?? 'collate-ingestion';

  let config: StageConfig | undefined;
  try {
    config = parseStageConfig(stage.config ?? {}, 'the stage configuration');
    results.push({ check: 'configuration', status: 'ok', detail: 'the stage configuration is valid' });
  } catch (error) {
    results.push(
      failure('configuration', error, 'correct the fields named above in the stage file, then restart'),
    );
  }

  try {
    const credentials = await withTimeout(fromNodeProviderChain()(), 5000, 'the AWS credential chain');
    results.push({
      check: 'aws credentials',
      status: 'ok',
      detail: `found (access key ${credentials.accessKeyId.slice(0, 4)}…)`,
    });
  } catch (error) {
    results.push(
      failure(
        'aws credentials',
        error,
        'configure AWS credentials (aws configure, AWS_PROFILE or SSO login)',
      ),
    );
  }

  let cluster: KubernetesCluster | undefined;
  try {
    cluster = await KubernetesCluster.connect({ mode: 'kubeconfig' });
    const version = await withTimeout(cluster.serverVersion(), 10_000, 'the Kubernetes API');
    results.push({
      check: 'cluster reachable',
      status: 'ok',
      detail: `${cluster.config.server} (Kubernetes ${version.gitVersion})`,
    });
  } catch (error) {
    cluster = undefined;
    results.push(
      failure(
        'cluster reachable',
        error,
        'check KUBECONFIG / the EKS endpoint access, and that the cluster is up',
      ),
    );
  }

  if (cluster) {
    const denied: string[] = [];
    // The runner's own identity is what matters: a SubjectAccessReview for it when the stage names it
    // (the local stage does), else a self review (doctor running with the runner's credentials).
    const subject = stage.runnerSubject;
    const reviewType = subject ? ACCESS_REVIEWS.subject : ACCESS_REVIEWS.self;
    const whose = subject
      ? `the runner (${[subject.user, ...subject.groups].filter(Boolean).join(', ')})`
      : 'these credentials';
    try {
      for (const rule of RUNNER_RBAC_RULES) {
        for (const resource of rule.resources) {
          for (const verb of rule.verbs) {
            const [plural, subresource] = resource.split('/');
            const review = await cluster.create<KubeObject>(reviewType, undefined, {
              apiVersion: 'authorization.k8s.io/v1',
              kind: reviewType.kind,
              metadata: {},
              spec: {
                ...(subject
                  ? { ...(subject.user ? { user: subject.user } : {}), groups: subject.groups }
                  : {}),
                resourceAttributes: {
                  namespace,
                  verb,
                  group: rule.apiGroups[0] ?? '',
                  resource: plural,
                  ...(subresource ? { subresource } : {}),
                },
              },
            });
            if (!(review.status as { allowed?: boolean } | undefined)?.allowed)
              denied.push(`${verb} ${resource}`);
          }
        }
      }
      results.push(
        denied.length === 0
          ? {
              check: 'permissions',
              status: 'ok',
              detail: `every rule the runner needs is granted to ${whose} in ${namespace}`,
            }
          : {
              check: 'permissions',
              status: 'fail',
              detail: `missing for ${whose} in ${namespace}: ${denied.join(', ')}`,
              fix: 'grant these verbs to the runner’s Kubernetes group (the stack’s Role does; see docs/deploy.md)',
            },
      );
    } catch (error) {
      results.push(
        failure(
          'permissions',
          error,
          subject
            ? 'the operator credentials must be allowed to create SubjectAccessReviews (cluster admins are)'
            : 'the API server must allow SelfSubjectAccessReview (it does by default)',
        ),
      );
    }

    try {
      const [workflows, cronWorkflows] = await Promise.all([
        cluster.hasResource(RESOURCES.workflow.group, RESOURCES.workflow.version, RESOURCES.workflow.plural),
        cluster.hasResource(
          RESOURCES.cronWorkflow.group,
          RESOURCES.cronWorkflow.version,
          RESOURCES.cronWorkflow.plural,
        ),
      ]);
      results.push(
        workflows && cronWorkflows
          ? {
              check: 'argo crds',
              status: 'ok',
              detail: 'Workflow and CronWorkflow (argoproj.io/v1alpha1) are served',
            }
          : {
              check: 'argo crds',
              status: 'fail',
              detail: `missing: ${[!workflows && 'workflows', !cronWorkflows && 'cronworkflows'].filter(Boolean).join(', ')}`,
              fix: 'install Argo Workflows 3.7 (argo.install: true in the stage configuration, then npx sst deploy)',
            },
      );
    } catch (error) {
      results.push(
        failure('argo crds', error, 'check that the cluster is reachable and discovery is allowed'),
      );
    }

    if (config && stage.sandboxControl) {
      // The sandbox's simulated controller has no pod and places every pod itself: nothing to look at.
      const detail = 'not checked: the sandbox cluster’s simulated Argo controller places every pod itself';
      results.push({ check: 'argo placement', status: 'ok', detail });
      results.push({ check: 'ingestion scheduling', status: 'ok', detail });
    } else if (config) {
      const settings = toRunnerSettings(config);
      results.push(await argoPlacementCheck(cluster, config));
      results.push(
        await ingestionSchedulingCheck(cluster, config, {
          nodeSelector: settings.nodeSelector,
          tolerations: settings.tolerations,
        }),
      );
    }

    try {
      const secret = await cluster.get<KubeObject>(RESOURCES.secret, namespace, DEFAULT_PULL_SECRET_NAME);
      const expiresAt = secret?.metadata.annotations?.[REGISTRY_CREDENTIALS_ANNOTATIONS.expiresAt];
      if (!secret) {
        results.push({
          check: 'pull secret',
          status: 'fail',
          detail: `${DEFAULT_PULL_SECRET_NAME} is missing in ${namespace}`,
          fix: 'run `npx hybrid-runner ecr refresh` (and check the ECR keys secret)',
        });
      } else if (!expiresAt) {
        results.push({
          check: 'pull secret',
          status: 'warn',
          detail: 'present, but with no expiry annotation',
          fix: 'run `npx hybrid-runner ecr refresh` to let the runner manage it',
        });
      } else {
        const hours = hoursUntil(expiresAt, new Date());
        results.push(
          hours <= 0
            ? {
                check: 'pull secret',
                status: 'fail',
                detail: `expired at ${expiresAt}`,
                fix: 'run `npx hybrid-runner ecr refresh` and check the ECR refresh alarm',
              }
            : hours < PULL_SECRET_WARN_HOURS
              ? {
                  check: 'pull secret',
                  status: 'warn',
                  detail: `expires in ${hours.toFixed(1)} h`,
                  fix: 'the next scheduled refresh should renew it; run `npx hybrid-runner ecr refresh` to be sure',
                }
              : { check: 'pull secret', status: 'ok', detail: `valid for ${hours.toFixed(1)} h more` },
        );
      }
    } catch (error) {
      results.push(
        failure('pull secret', error, 'allow the runner to get secrets in the ingestion namespace'),
      );
    }
  }

  try {
    const client = await BridgeClient.connect(stage.url, {
      token: stage.token,
      agentId: stage.agentId,
      reconnect: { maxAttempts: 0 },
    });
    try {
      const pong = await client.request('ping', {}, { timeoutMs: 10_000 });
      results.push({ check: 'bridge', status: 'ok', detail: `${stage.url} answers as ${pong.agentId}` });
    } finally {
      await client.close();
    }
  } catch (error) {
    results.push(
      failure('bridge', error, 'start the runner (npm start) or check the URL, token and agent id'),
    );
  }
  return results;
}

export async function runDoctor(options: { out: Output; stageFile?: string }): Promise<boolean> {
  const file = options.stageFile ?? findStageFile();
  if (!file) {
    options.out.result(
      { ok: false, checks: [] },
      mark.fail(
        'No stage found: start the local stage with `npm start` (doctor reads the file it leaves in .hybrid-runner/).',
      ),
    );
    return false;
  }
  const stage = applyStageEnvironment(file);
  if (!stage) return false;
  const checks = await collectChecks(stage);
  const ok = checks.every((c) => c.status !== 'fail');
  const icon = { ok: mark.ok, warn: mark.warn, fail: mark.fail } as const;
  options.out.result(
    { ok, checks },
    checks
      .map((c) => `${icon[c.status](`${c.check}: ${c.detail}`)}${c.fix ? `\n    fix: ${c.fix}` : ''}`)
      .join('\n'),
  );
  return ok;
}
