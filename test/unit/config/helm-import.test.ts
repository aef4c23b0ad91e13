import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  StageConfigError,
  cronToEventBridge,
  importHelmValues,
  parseStageConfig,
} from '@hybrid-runner/config';
import { secretValuesOnCommandLines } from '../../support/secret-commands.ts';

const chartValuesPath = join(
  import.meta.dirname,
  '../../../../shared/fixtures/helm/chart-1.13.3-values.yaml',
);
const chartValues = readFileSync(chartValuesPath, 'utf8');

// The minimal values file of the published installation page (seed-eks-hybrid-runner.txt), with the
// optional Secrets Manager part of the same page, and fake secret values that must never be copied.
const seedValues = `
config:
  agentId: "aws-prod"
  authToken: eyJhbGciOiJSUzI1NiJ9.fake-bot-jwt.signature
  serverHost: acme.getcollate.io
  secretsManager: "managed-aws"
  ingestionPods:
    serviceAccount:
      annotations:
        eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/collate-ingestion

ecrRegistryHelper:
  collateCredentials:
    values:
      accessKeyId: AKIAFAKEACCESSKEY000
      secretAccessKey: fakeSecretAccessKeyValue0000000000000000

installArgoWorkflows: true
`;

/** Every key path of a YAML mapping, down to the leaves. */
function keyPaths(node: unknown, prefix = ''): string[] {
  if (!node || typeof node !== 'object' || Array.isArray(node) || Object.keys(node).length === 0)
    return [prefix];
  return Object.entries(node).flatMap(([key, value]) => keyPaths(value, prefix ? `${prefix}.${key}` : key));
}

describe('importHelmValues on the seed page minimal values', () => {
  const result = importHelmValues(seedValues, { stage: 'prod' });

  it('maps the settings to the stage configuration', () => {
    expect(result.config).toMatchObject({
      agentId: 'aws-prod',
      serverHost: 'acme.getcollate.io',
      secretsManager: { provider: 'managed-aws' },
      ingestionPods: {
        identity: 'irsa',
        serviceAccount: {
          annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/collate-ingestion' },
        },
      },
      argo: { install: true },
      authToken: { sstSecret: 'CollateAuthToken' },
      ecr: { keys: { sstSecret: 'CollateEcrCredentials' } },
    });
  });

  it('never writes a secret value into the output, and says how to store each one', () => {
    const output = JSON.stringify(result);
    for (const secret of ['fake-bot-jwt', 'AKIAFAKEACCESSKEY000', 'fakeSecretAccessKeyValue']) {
      expect(output).not.toContain(secret);
    }
    expect(result.secretsFound.map((found) => found.key)).toEqual([
      'config.authToken',
      'ecrRegistryHelper.collateCredentials.values.accessKeyId',
      'ecrRegistryHelper.collateCredentials.values.secretAccessKey',
    ]);
    expect(result.secretsFound[0]?.howToStore).toMatch(
      /^npx sst secret set CollateAuthToken --stage prod \(it prompts/,
    );
    expect(result.secretsFound[1]?.howToStore).toMatch(
      /^npx sst secret set CollateEcrCredentials --stage prod < ecr-keys\.json/,
    );
    // the value is read from the prompt or stdin, never given as an argument
    for (const found of result.secretsFound) expect(secretValuesOnCommandLines(found.howToStore)).toEqual([]);
  });

  it('becomes a valid stage once the cluster is named, and only then', () => {
    expect(() => parseStageConfig(result.config)).toThrow(/cluster: is required/);
    const config = parseStageConfig({ ...result.config, cluster: { name: 'prod-eks', region: 'eu-west-1' } });
    expect(config.ingestionPods.identity).toBe('irsa');
    expect(config.secretsManager.provider).toBe('managed-aws');
  });

  it('lists nothing as unsupported when every value has an equivalent', () => {
    expect(result.unsupported).toEqual([]);
  });
});

describe('importHelmValues on the full chart 1.13.3 values file', () => {
  const result = importHelmValues(chartValues);

  it('accounts for every key: mapped, a secret, or unsupported with a reason', () => {
    const mappedKeys = new Set([
      'config.agentId',
      'config.authToken',
      'config.serverHost',
      'config.useSecureProtocols',
      'config.secretsManager',
      'config.ingestionPods.repository',
      'config.ingestionPods.tag',
      'config.ingestionPods.imagePullSecrets',
      'config.ingestionPods.serviceAccount.create',
      'config.ingestionPods.serviceAccount.name',
      'config.ingestionPods.resources.limits.cpu',
      'config.ingestionPods.resources.limits.memory',
      'config.ingestionPods.resources.requests.cpu',
      'config.ingestionPods.resources.requests.memory',
      'config.ingestionPods.automationResources.limits.cpu',
      'config.ingestionPods.automationResources.limits.memory',
      'config.ingestionPods.automationResources.requests.cpu',
      'config.ingestionPods.automationResources.requests.memory',
      'config.ingestionPods.extraEnvs',
      'ecrRegistryHelper.enabled',
      'ecrRegistryHelper.schedule',
      'ecrRegistryHelper.collateCredentials.values.accessKeyId',
      'ecrRegistryHelper.collateCredentials.values.secretAccessKey',
      'ecrRegistryHelper.collateCredentials.values.account',
      'installArgoWorkflows',
      'createArgoWorkflowsNamespace',
      'argoWorkflows.fullnameOverride',
      'argoWorkflows.namespaceOverride',
      'argoWorkflows.crds.install',
      'argoWorkflows.controller.serviceAccount.create',
      'argoWorkflows.controller.serviceAccount.name',
      'argoWorkflows.server.serviceAccount.create',
      'argoWorkflows.server.serviceAccount.name',
      'argoWorkflows.server.extraArgs',
      'argoWorkflows.artifactRepository.archiveLogs',
    ]);
    const unsupportedKeys = result.unsupported.map((entry) => entry.key);
    for (const entry of result.unsupported) expect(entry.reason.length).toBeGreaterThan(20);
    const unaccounted = keyPaths(parseYaml(chartValues)).filter(
      (path) =>
        !mappedKeys.has(path) && !unsupportedKeys.some((key) => path === key || path.startsWith(`${key}.`)),
    );
    expect(unaccounted).toEqual([]);
    expect(unsupportedKeys).toEqual(
      expect.arrayContaining([
        'replicaCount',
        'image',
        'service',
        'serviceAccount',
        'openshift',
        'podDisruptionBudget',
        'serviceMonitor',
        'prometheusRules',
        'grafanaDashboard',
        'nodeSelector',
        'tolerations',
        'affinity',
        'config.ingestionPods.serviceAccount.automount',
        'config.ingestionPods.additionalPipelineConfigs',
        'config.argoWorkflows.endpoint',
        'ecrRegistryHelper.image',
        'ecrRegistryHelper.serviceAccount',
        'ecrRegistryHelper.resources',
        'ecrRegistryHelper.collateCredentials.secretRef',
      ]),
    );
  });

  it('keeps the chart defaults (and our 4-hour refresh for the unchanged 6-hour chart schedule)', () => {
    const config = parseStageConfig({ ...result.config, cluster: { name: 'eks' } });
    expect(config.agentId).toBe('RemoteRunner');
    expect(config.serverHost).toBe('my-cluster.getcollate.io');
    expect(config.secretsManager.provider).toBe('kubernetes');
    expect(config.ingestionPods.imagePullSecrets).toEqual(['omd-registry-credentials']);
    expect(config.ecr.schedule).toBe('rate(4 hours)');
    expect(config.ecr.registry).toBe('118146679784.dkr.ecr.eu-west-1.amazonaws.com');
    expect(config.argo.install).toBe(false);
    expect(config.argo.values).toMatchObject({ fullnameOverride: 'argo-workflows', crds: { install: true } });
    expect(config.namespaces.argo).toBe('argo-workflows');
    expect(result.secretsFound).toEqual([]);
  });
});

describe('importHelmValues edge cases', () => {
  it('converts a changed 5-field cron schedule and TTL, and carries customConfig tolerations', () => {
    const result = importHelmValues(`
config:
  serverHost: a.getcollate.io
  ingestionPods:
    namespace: ingest
    extraEnvs: ["A:1", "B:two"]
    customConfig:
      enabled: true
      workflowParams:
        tolerations: [{key: dedicated, operator: Equal, value: x, effect: NoSchedule}]
  argoWorkflows:
    secondsAfterCompletionTTL: "3600"
ecrRegistryHelper:
  schedule: "15 */2 * * *"
`);
    const config = parseStageConfig({ ...result.config, cluster: { name: 'eks' } });
    expect(config.ecr.schedule).toBe('cron(15 */2 * * ? *)');
    expect(config.ingestionPods.ttlSecondsAfterCompletion).toBe(3600);
    expect(config.namespaces.ingestion).toBe('ingest');
    expect(config.ingestionPods.extraEnv).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'two' },
    ]);
    expect(config.ingestionPods.customConfig.workflowParams).toEqual({
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'x', effect: 'NoSchedule' }],
    });
  });

  it('reports customConfig that the values file disabled, and keys the chart does not have', () => {
    const result = importHelmValues(`
config:
  ingestionPods:
    customConfig: {enabled: false, workflowParams: {priority: 1}}
madeUpKey: 1
`);
    expect(result.unsupported).toEqual([
      {
        key: 'config.ingestionPods.customConfig',
        reason: 'disabled in the values file (enabled: false), so it is not carried over',
      },
      { key: 'madeUpKey', reason: 'not a value of the published chart 1.13.3, so it has no equivalent here' },
    ]);
  });

  it('gives field-level errors for values that cannot become a valid stage', () => {
    expect(() => importHelmValues('config:\n  secretsManager: vault\n')).toThrow(
      /secretsManager.provider: must be one of "managed-aws", "kubernetes"/,
    );
    expect(() =>
      importHelmValues('config:\n  argoWorkflows:\n    secondsAfterCompletionTTL: soon\n'),
    ).toThrow(/config.argoWorkflows.secondsAfterCompletionTTL: must be a number of seconds/);
    expect(() => importHelmValues('- a list')).toThrow(StageConfigError);
    expect(() => importHelmValues('a: [')).toThrow(/cannot be parsed as YAML/);
  });

  it('reports a YAML syntax error by position only: the parser quotes the line, which holds the keys', () => {
    const secretAccessKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const values = `ecrRegistryHelper:\n  collateCredentials:\n    values:\n      secretAccessKey: ${secretAccessKey}\n     accessKeyId: AKIAIOSFODNN7EXAMPLE\n`;
    let message = '';
    try {
      importHelmValues(values);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/cannot be parsed as YAML \(line 5, column \d+/);
    expect(message).not.toContain(secretAccessKey);
    expect(message).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('converts standard cron to EventBridge, keeping a day-of-week', () => {
    expect(cronToEventBridge('0 0/6 * * *')).toBe('cron(0 0/6 * * ? *)');
    expect(cronToEventBridge('0 3 * * 1')).toBe('cron(0 3 ? * 1 *)');
    expect(() => cronToEventBridge('@daily')).toThrow(/not a 5-field cron expression/);
  });
});
