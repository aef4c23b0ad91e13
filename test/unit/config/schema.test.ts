import { describe, expect, it } from 'vitest';
import { defaultRunnerSettings } from '@hybrid-runner/core';
import {
  IDENTITY_MODES,
  POD_GC_STRATEGIES,
  PULL_POLICIES,
  SECRETS_MANAGER_PROVIDERS,
  StageConfigError,
  parseStageConfig,
  toRunnerSettings,
} from '@hybrid-runner/config';

const minimal = { serverHost: 'acme.getcollate.io', cluster: { name: 'prod-eks', region: 'eu-west-1' } };

function problemsOf(input: unknown): string[] {
  try {
    parseStageConfig(input, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(StageConfigError);
    expect((error as Error).message).toContain('test.yaml is not a valid stage configuration');
    return (error as StageConfigError).problems;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('stage configuration defaults', () => {
  it('match the published chart 1.13.3 where the chart has a value', () => {
    const config = parseStageConfig(minimal);
    expect(config.agentId).toBe('RemoteRunner');
    expect(config.useSecureProtocols).toBe(true);
    expect(config.secretsManager).toEqual({
      provider: 'kubernetes',
      prefix: '/collate/hybrid-ingestion-runner/',
    });
    expect(config.ingestionPods.image).toEqual({
      repository: '118146679784.dkr.ecr.eu-west-1.amazonaws.com/collate-customers-ingestion-slim-eu-west-1',
      tag: 'om-1.13.3-cl-1.13.3',
      pullPolicy: 'IfNotPresent',
    });
    expect(config.ingestionPods.imagePullSecrets).toEqual(['omd-registry-credentials']);
    expect(config.ingestionPods.serviceAccount).toEqual({ create: true, name: 'ingestion', annotations: {} });
    expect(config.ingestionPods.resources).toEqual({
      limits: { cpu: '1000m', memory: '4096Mi' },
      requests: { cpu: '1000m', memory: '4096Mi' },
    });
    expect(config.ingestionPods.automationResources).toEqual({
      limits: { cpu: '500m', memory: '512Mi' },
      requests: { cpu: '200m', memory: '256Mi' },
    });
    expect(config.ingestionPods.ttlSecondsAfterCompletion).toBe(604800);
    expect(config.ingestionPods.identity).toBe('none');
    expect(config.namespaces).toEqual({ ingestion: 'collate-ingestion', argo: 'argo-workflows' });
    expect(config.ecr).toMatchObject({
      enabled: true,
      registry: '118146679784.dkr.ecr.eu-west-1.amazonaws.com',
      pullSecretName: 'omd-registry-credentials',
      patchServiceAccount: false,
      keys: { sstSecret: 'CollateEcrCredentials' },
      targetNamespaces: { exclude: [] },
    });
    expect(config.argo).toEqual({
      install: false,
      chartVersion: '0.45.26',
      createNamespace: true,
      values: {},
      placement: 'nodes',
      fargate: {},
      // Differs from the chart on purpose: Collate does not need the Argo server (UI), so it is off by default.
      server: { enabled: false },
    });
    expect(config.authToken).toEqual({ sstSecret: 'CollateAuthToken' });
    expect(config.vpc).toBeUndefined();
    expect(config.alarms.emails).toEqual([]);
    expect(config.observability).toEqual({ tracing: false, logLevel: 'INFO' });
  });

  it('schedule the heartbeat every minute and the registry refresh every 4 hours', () => {
    const config = parseStageConfig(minimal);
    expect(config.schedules.heartbeat).toBe('rate(1 minute)');
    expect(config.ecr.schedule).toBe('rate(4 hours)');
  });

  it('give the same RunnerSettings as core defaults for a default stage', () => {
    const settings = toRunnerSettings(parseStageConfig(minimal));
    expect(settings).toEqual(
      defaultRunnerSettings({
        serverHost: 'acme.getcollate.io',
        secretsManager: {
          provider: 'kubernetes',
          prefix: '/collate/hybrid-ingestion-runner/',
          region: 'eu-west-1',
        },
      }),
    );
  });
});

describe('every enum is accepted', () => {
  it.each(IDENTITY_MODES)('ingestionPods.identity %s', (identity) => {
    const provider = identity === 'none' ? 'kubernetes' : 'managed-aws';
    const config = parseStageConfig({
      ...minimal,
      secretsManager: { provider },
      ingestionPods: { identity },
    });
    expect(config.ingestionPods.identity).toBe(identity);
  });
  it.each(SECRETS_MANAGER_PROVIDERS)('secretsManager.provider %s', (provider) => {
    const config = parseStageConfig({
      ...minimal,
      secretsManager: { provider },
      ingestionPods: { identity: 'irsa' },
    });
    expect(toRunnerSettings(config).secretsManager.provider).toBe(provider);
  });
  it.each(PULL_POLICIES)('ingestionPods.image.pullPolicy %s', (pullPolicy) => {
    const config = parseStageConfig({ ...minimal, ingestionPods: { image: { pullPolicy } } });
    expect(toRunnerSettings(config).image.pullPolicy).toBe(pullPolicy);
  });
  it.each(POD_GC_STRATEGIES)('ingestionPods.podGC.strategy %s', (strategy) => {
    const config = parseStageConfig({
      ...minimal,
      ingestionPods: { podGC: { strategy, deleteDelayDuration: '1h' } },
    });
    expect(toRunnerSettings(config).podGC).toEqual({ strategy, deleteDelayDuration: '1h' });
  });
  it.each(['DEBUG', 'INFO', 'WARN', 'ERROR'])('observability.logLevel %s', (logLevel) => {
    expect(parseStageConfig({ ...minimal, observability: { logLevel } }).observability.logLevel).toBe(
      logLevel,
    );
  });
});

describe('accepted forms', () => {
  it('reads extra env in the chart\'s "key:value" form, as {name, value} and as a map', () => {
    const fromChart = parseStageConfig({
      ...minimal,
      ingestionPods: { extraEnv: ['LOG_LEVEL:DEBUG', 'URL:http://x:1'] },
    });
    expect(fromChart.ingestionPods.extraEnv).toEqual([
      { name: 'LOG_LEVEL', value: 'DEBUG' },
      { name: 'URL', value: 'http://x:1' },
    ]);
    const fromMap = parseStageConfig({ ...minimal, ingestionPods: { extraEnv: { A: 1, B: true } } });
    expect(fromMap.ingestionPods.extraEnv).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'true' },
    ]);
    const fromList = parseStageConfig({
      ...minimal,
      ingestionPods: { extraEnv: [{ name: 'X', value: 'y' }] },
    });
    expect(toRunnerSettings(fromList).extraEnv).toEqual([{ name: 'X', value: 'y' }]);
  });

  it("reads image pull secrets as the chart's comma-separated string", () => {
    const config = parseStageConfig({
      ...minimal,
      ingestionPods: { imagePullSecrets: 'omd-registry-credentials, b ,,c' },
    });
    expect(config.ingestionPods.imagePullSecrets).toEqual(['omd-registry-credentials', 'b', 'c']);
  });

  it('carries placement, custom params, GC and deadline into RunnerSettings', () => {
    const tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'ingestion', effect: 'NoSchedule' }];
    const settings = toRunnerSettings(
      parseStageConfig({
        ...minimal,
        namespaces: { ingestion: 'ingest' },
        ingestionPods: {
          tolerations,
          nodeSelector: { pool: 'ingestion' },
          affinity: { nodeAffinity: {} },
          customConfig: { containerParams: { workingDir: '/x' }, workflowParams: { priority: 3 } },
          activeDeadlineSeconds: 3600,
          resources: { limits: { cpu: 2, memory: '8Gi' } },
        },
      }),
    );
    expect(settings).toMatchObject({
      namespace: 'ingest',
      tolerations,
      nodeSelector: { pool: 'ingestion' },
      affinity: { nodeAffinity: {} },
      customContainerParams: { workingDir: '/x' },
      workflowParams: { priority: 3 },
      activeDeadlineSeconds: 3600,
      resources: { limits: { cpu: '2', memory: '8Gi' } },
    });
  });

  it('takes a secret ARN instead of an SST secret name', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:collate/token-AbCdEf';
    expect(parseStageConfig({ ...minimal, authToken: { secretArn: arn } }).authToken).toEqual({
      secretArn: arn,
    });
  });

  it('refuses runner secrets under the prefix the ingestion pods and secret: references may read', () => {
    const underPrefix =
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:/collate/hybrid-ingestion-runner/';
    expect(() =>
      parseStageConfig({ ...minimal, authToken: { secretArn: `${underPrefix}bot-jwt-AbCdEf` } }),
    ).toThrow(/authToken\.secretArn: names a secret under secretsManager\.prefix/);
    expect(() =>
      parseStageConfig({ ...minimal, ecr: { keys: { secretArn: `${underPrefix}ecr-keys-AbCdEf` } } }),
    ).toThrow(/ecr\.keys\.secretArn: .*keep Collate's ECR keys in a secret outside that prefix/);
    // A custom prefix moves the boundary with it.
    const custom = { ...minimal, secretsManager: { prefix: 'team-a/' } };
    expect(() =>
      parseStageConfig({
        ...custom,
        authToken: { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team-a/jwt-AbCdEf' },
      }),
    ).toThrow(/authToken\.secretArn/);
    expect(
      parseStageConfig({
        ...custom,
        authToken: { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team-b/jwt-AbCdEf' },
      }).authToken,
    ).toHaveProperty('secretArn');
  });

  it('accepts VPC settings with subnets and security groups', () => {
    const vpc = { subnetIds: ['subnet-0abc'], securityGroupIds: ['sg-0def'] };
    expect(parseStageConfig({ ...minimal, vpc }).vpc).toEqual(vpc);
  });
});

describe('bad configurations name the field and the fix', () => {
  it('requires serverHost and cluster', () => {
    const problems = problemsOf({});
    expect(problems).toContain(
      'serverHost: is required: your Collate host without protocol, e.g. "mycompany.getcollate.io"',
    );
    expect(problems).toContain('cluster: is required: {name: <EKS cluster name>, region: <AWS region>}');
  });

  it('rejects a server host with a protocol', () => {
    expect(problemsOf({ ...minimal, serverHost: 'https://acme.getcollate.io' })).toEqual([
      'serverHost: must be a host name without protocol or path, e.g. "mycompany.getcollate.io"',
    ]);
  });

  it('lists unknown fields with their path', () => {
    expect(problemsOf({ ...minimal, ingestionPods: { tolerance: [] } })).toEqual([
      'ingestionPods: unknown field "tolerance": remove it or check the spelling (docs/deploy.md lists every field)',
    ]);
  });

  it('names the allowed values of an enum', () => {
    expect(problemsOf({ ...minimal, secretsManager: { provider: 'vault' } })).toEqual([
      'secretsManager.provider: must be one of "managed-aws", "kubernetes"',
    ]);
    expect(problemsOf({ ...minimal, ingestionPods: { identity: 'kiam' } })).toEqual([
      'ingestionPods.identity: must be one of "irsa", "pod-identity", "none"',
    ]);
  });

  it('requires a pod identity when secrets are in AWS Secrets Manager', () => {
    expect(problemsOf({ ...minimal, secretsManager: { provider: 'managed-aws' } })).toEqual([
      'ingestionPods.identity: must be "irsa" or "pod-identity" when secretsManager.provider is "managed-aws", so ingestion pods can read their secrets',
    ]);
  });

  it('requires the pods to pull with the secret the ECR refresh keeps valid', () => {
    expect(problemsOf({ ...minimal, ecr: { pullSecretName: 'collate-pull' } })).toEqual([
      'ingestionPods.imagePullSecrets: does not include ecr.pullSecretName "collate-pull", the secret the ECR refresh keeps valid: add it, or set ecr.pullSecretName to one of these',
    ]);
    const renamed = parseStageConfig({
      ...minimal,
      ecr: { pullSecretName: 'collate-pull' },
      ingestionPods: { imagePullSecrets: ['collate-pull'] },
    });
    expect(renamed.ingestionPods.imagePullSecrets).toEqual(['collate-pull']);
    // Without the refresh the operator manages pull secrets alone.
    expect(
      parseStageConfig({ ...minimal, ecr: { enabled: false, pullSecretName: 'collate-pull' } }).ecr.enabled,
    ).toBe(false);
  });

  it('refuses an IRSA annotation with Pod Identity', () => {
    const problems = problemsOf({
      ...minimal,
      ingestionPods: {
        identity: 'pod-identity',
        serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/x' } },
      },
    });
    expect(problems).toEqual([
      'ingestionPods.serviceAccount.annotations: eks.amazonaws.com/role-arn is an IRSA annotation: set ingestionPods.identity to "irsa" or remove it',
    ]);
  });

  it('refuses IRSA on a service account it may not annotate', () => {
    const problems = problemsOf({
      ...minimal,
      ingestionPods: { identity: 'irsa', serviceAccount: { create: false } },
    });
    expect(problems[0]).toMatch(
      /^ingestionPods\.serviceAccount\.create: is false, so the stack cannot annotate it/,
    );
  });

  it('rejects Argo chart versions off the 3.7 line', () => {
    expect(problemsOf({ ...minimal, argo: { chartVersion: '0.41.0' } })).toEqual([
      'argo.chartVersion: must be an argo-workflows chart version on the 0.45 line (Argo Workflows 3.7), e.g. "0.45.26"',
    ]);
  });

  it('rejects schedules that EventBridge would refuse', () => {
    expect(problemsOf({ ...minimal, ecr: { schedule: '0 */4 * * *' } })).toEqual([
      'ecr.schedule: must be an EventBridge schedule expression such as "rate(4 hours)" or "cron(0 0/4 * * ? *)" (six fields)',
    ]);
  });

  it('refuses a heartbeat rarer than every 5 minutes (the protocol promises an event that often)', () => {
    const message =
      'schedules.heartbeat: must fire at least every 5 minutes (the bridge protocol promises an event that often, ' +
      'or API Gateway closes idle connections after 10): use "rate(1 minute)" (the default) up to "rate(5 minutes)"';
    for (const heartbeat of [
      'rate(10 minutes)',
      'rate(1 hour)',
      'rate(1 day)',
      'cron(0/10 * * * ? *)',
      'cron(0,30 * * * ? *)',
      'cron(0/5 8-17 * * ? *)',
      'cron(* * ? * MON-FRI *)',
      'cron(0/7 * * * ? *)',
    ])
      expect(problemsOf({ ...minimal, schedules: { heartbeat } }), heartbeat).toEqual([message]);
    for (const heartbeat of [
      'rate(1 minute)',
      'rate(5 minutes)',
      'cron(* * * * ? *)',
      'cron(0/5 * * * ? *)',
      'cron(1-59/2,0 * * * ? *)',
    ])
      expect(parseStageConfig({ ...minimal, schedules: { heartbeat } }).schedules.heartbeat).toBe(heartbeat);
  });

  it('checks names, quantities, regions, ids and e-mails, reporting each with its path', () => {
    const problems = problemsOf({
      ...minimal,
      cluster: { name: 'prod', region: 'Europe' },
      namespaces: { ingestion: 'Collate_Ingestion' },
      ingestionPods: {
        resources: { limits: { cpu: 'lots' } },
        extraEnv: ['NOVALUE'],
        ttlSecondsAfterCompletion: -1,
      },
      vpc: { subnetIds: ['vpc-1'], securityGroupIds: [] },
      alarms: { emails: ['not-an-email'] },
      authToken: { sstSecret: 'Token', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x' },
      ecr: { targetNamespaces: { include: ['Bad Name'] } },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'cluster.region: must be an AWS region such as "eu-west-1"',
        'namespaces.ingestion: namespaces.ingestion must be a lowercase DNS label such as "collate-ingestion" (a-z, 0-9, "-")',
        'ingestionPods.resources.limits.cpu: must be a Kubernetes quantity such as "500m", "1" or "512Mi"',
        'ingestionPods.extraEnv[0]: must be "KEY:value" (the chart form) or {name, value}',
        'ingestionPods.ttlSecondsAfterCompletion: must be a positive number of seconds (published default: 604800, one week)',
        'vpc.subnetIds[0]: must be a subnet id such as "subnet-0abc1234"',
        'alarms.emails[0]: must be an e-mail address',
        'authToken: set either sstSecret or secretArn, not both',
        'ecr.targetNamespaces.include[0]: must be a namespace name, optionally with "*" (any run of characters) or "?" (one character) wildcards (e.g. "collate-*")',
      ]),
    );
  });

  it('says what type a field must have', () => {
    expect(problemsOf({ ...minimal, useSecureProtocols: 'yes', ingestionPods: { tolerations: {} } })).toEqual(
      ['useSecureProtocols: must be true or false', 'ingestionPods.tolerations: must be a list'],
    );
  });

  it("says what bound a value breaks instead of zod's generic text", () => {
    expect(
      problemsOf({
        ...minimal,
        agentId: 'x'.repeat(300),
        ingestionPods: { image: { tag: '' }, activeDeadlineSeconds: 0.5 },
      }),
    ).toEqual([
      'agentId: must be at most 256 characters',
      'ingestionPods.image.tag: must not be empty',
      'ingestionPods.activeDeadlineSeconds: must be a whole number',
    ]);
  });
});

describe('bridge.jwks (optional JWT verification)', () => {
  const JWKS_URL = 'https://acme.getcollate.io/api/v1/system/config/jwks';

  it('is absent by default and keeps a given https URL and issuer', () => {
    expect(parseStageConfig(minimal).bridge.jwks).toBeUndefined();
    expect(
      parseStageConfig({ ...minimal, bridge: { jwks: { url: JWKS_URL, issuer: 'open-metadata.org' } } })
        .bridge.jwks,
    ).toEqual({ url: JWKS_URL, issuer: 'open-metadata.org' });
    expect(parseStageConfig({ ...minimal, bridge: { jwks: { url: JWKS_URL } } }).bridge.jwks).toEqual({
      url: JWKS_URL,
    });
  });

  it('refuses a URL that is not https, an empty issuer and unknown fields, saying what to give', () => {
    for (const url of ['http://acme.getcollate.io/jwks', 'acme.getcollate.io/jwks', '']) {
      expect(problemsOf({ ...minimal, bridge: { jwks: { url } } })).toEqual([
        expect.stringMatching(/^bridge\.jwks\.url: must be the https URL of the Collate server's JWKS/),
      ]);
    }
    expect(problemsOf({ ...minimal, bridge: { jwks: { url: JWKS_URL, issuer: '' } } })).toEqual([
      'bridge.jwks.issuer: must not be empty: leave issuer out to accept any issuer the keys signed',
    ]);
    expect(problemsOf({ ...minimal, bridge: { jwks: { issuer: 'x' } } })).toEqual([
      expect.stringMatching(/^bridge\.jwks\.url: /),
    ]);
    expect(problemsOf({ ...minimal, bridge: { jwksUrl: JWKS_URL } })).toHaveLength(1);
  });
});
