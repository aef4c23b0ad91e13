import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { RbacRules } from '@hybrid-runner/k8s-emulator';
import { RUNNER_RBAC_RULES } from '@hybrid-runner/kubernetes';
import {
  LOCAL_CLUSTER_NAME,
  LOCAL_GROUPS,
  localStageConfig,
  operatorKubeconfig,
  sandboxRbacRules,
} from '@hybrid-runner/local';

describe('localStageConfig', () => {
  it('is a valid stage configuration for the sandbox: managed secrets, local cluster, chart defaults', () => {
    const config = localStageConfig('my-agent');
    expect(config).toMatchObject({
      agentId: 'my-agent',
      cluster: { name: LOCAL_CLUSTER_NAME, region: 'eu-west-1' },
      secretsManager: { provider: 'managed-aws', prefix: '/collate/hybrid-ingestion-runner/' },
      namespaces: { ingestion: 'collate-ingestion' },
      ecr: { pullSecretName: 'omd-registry-credentials' },
    });
  });

  it('takes HYBRID_RUNNER__ overrides and names the variable when one is invalid', () => {
    expect(
      localStageConfig('a', { HYBRID_RUNNER__namespaces__ingestion: 'ingest' }).namespaces.ingestion,
    ).toBe('ingest');
    expect(() => localStageConfig('a', { HYBRID_RUNNER__namespaces__ingestion: 'Not_A_Namespace' })).toThrow(
      /namespaces\.ingestion/,
    );
  });
});

describe('sandboxRbacRules (least privilege as the stack grants it)', () => {
  const config = localStageConfig('a');
  const rules = new RbacRules(sandboxRbacRules(config, 'operator'));
  const bridge = { user: 'runner', groups: [LOCAL_GROUPS.bridge, 'system:authenticated'] };
  const registry = { user: 'runner', groups: [LOCAL_GROUPS.registry, 'system:authenticated'] };
  const ask = (
    who: { user: string; groups: string[] },
    verb: string,
    resource: string,
    apiGroup = '',
    namespace: string | undefined = 'collate-ingestion',
    name?: string,
  ) => rules.allows({ ...who, verb, resource, apiGroup, namespace, name });

  it('grants the bridge group every RUNNER_RBAC_RULES verb in the ingestion namespace only', () => {
    for (const rule of RUNNER_RBAC_RULES)
      for (const resource of rule.resources)
        for (const verb of rule.verbs) {
          expect(ask(bridge, verb, resource, rule.apiGroups[0])).toBe(true);
          expect(ask(bridge, verb, resource, rule.apiGroups[0], 'default')).toBe(false);
        }
    expect(ask(bridge, 'delete', 'pods')).toBe(false);
    expect(ask(bridge, 'list', 'namespaces', '', undefined)).toBe(false);
    expect(ask(bridge, 'create', 'serviceaccounts')).toBe(false);
  });

  it('lets the registry group create the pull secret and change it by name only', () => {
    expect(ask(registry, 'create', 'secrets')).toBe(true);
    expect(ask(registry, 'update', 'secrets', '', 'collate-ingestion', 'omd-registry-credentials')).toBe(
      true,
    );
    expect(ask(registry, 'update', 'secrets', '', 'collate-ingestion', 'someone-elses-secret')).toBe(false);
    expect(ask(registry, 'list', 'secrets')).toBe(false);
    expect(ask(registry, 'create', 'workflows', 'argoproj.io')).toBe(false);
  });

  it('follows the stack when registry targets are patterns: a cluster-wide role for the registry group', () => {
    const patterns = new RbacRules(
      sandboxRbacRules(
        localStageConfig('a', { HYBRID_RUNNER__ecr__targetNamespaces__include: '[collate-*]' }),
        'operator',
      ),
    );
    const asks = (verb: string, resource: string, namespace: string | undefined, name?: string) =>
      patterns.allows({ ...registry, verb, resource, apiGroup: '', namespace, name });
    expect(asks('list', 'namespaces', undefined)).toBe(true);
    expect(asks('update', 'secrets', 'collate-team-b', 'omd-registry-credentials')).toBe(true);
    expect(asks('update', 'secrets', 'collate-team-b', 'other')).toBe(false);
  });

  it('binds the ingestion service account to the executor rules only', () => {
    const pod = {
      user: 'system:serviceaccount:collate-ingestion:ingestion',
      groups: ['system:authenticated'],
    };
    expect(ask(pod, 'create', 'workflowtaskresults', 'argoproj.io')).toBe(true);
    expect(ask(pod, 'create', 'workflows', 'argoproj.io')).toBe(false);
  });

  it('lets the operator do everything', () => {
    expect(ask({ user: 'operator', groups: [] }, 'delete', 'namespaces', '', undefined, 'kube-system')).toBe(
      true,
    );
  });
});

describe('operatorKubeconfig', () => {
  it('authenticates through an exec entry running the project CLI with the operator keys, not a stored token', () => {
    const text = operatorKubeconfig({
      server: 'https://127.0.0.1:6443',
      caCert: '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n',
      namespace: 'collate-ingestion',
      cli: { node: '/repo/node_modules/.bin/node', script: '/repo/packages/cli/bin/hybrid-runner.js' },
      keys: { accessKeyId: 'AKIAOPERATOR00000001', secretAccessKey: 'operator-secret' },
    });
    const kubeconfig = parse(text) as {
      clusters: Array<{ cluster: Record<string, string> }>;
      users: Array<{ user: Record<string, unknown> }>;
      contexts: Array<{ context: Record<string, string> }>;
    };
    expect(kubeconfig.clusters[0]?.cluster).toEqual({
      server: 'https://127.0.0.1:6443',
      'certificate-authority-data': Buffer.from(
        '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n',
      ).toString('base64'),
    });
    const user = kubeconfig.users[0]?.user ?? {};
    expect(user.token).toBeUndefined();
    expect(user.exec).toMatchObject({
      command: '/repo/node_modules/.bin/node',
      args: [
        '/repo/packages/cli/bin/hybrid-runner.js',
        'eks',
        'token',
        '--cluster',
        LOCAL_CLUSTER_NAME,
        '--region',
        'eu-west-1',
      ],
      env: expect.arrayContaining([
        { name: 'AWS_ACCESS_KEY_ID', value: 'AKIAOPERATOR00000001' },
        { name: 'AWS_SECRET_ACCESS_KEY', value: 'operator-secret' },
        { name: 'AWS_SESSION_TOKEN', value: '' },
      ]),
    });
    expect(kubeconfig.contexts[0]?.context.namespace).toBe('collate-ingestion');
  });
});
