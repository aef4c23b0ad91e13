import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BadRequestError,
  DEFAULT_PULL_SECRET_NAME,
  DEFAULT_REGISTRY_HOST,
  DOCKER_CONFIG_JSON_KEY,
  DOCKER_CONFIG_JSON_TYPE,
  REGISTRY_CREDENTIALS_ANNOTATIONS,
  RegistryLoginError,
  buildDockerConfigJson,
  buildPullSecret,
  decodeAuthorizationToken,
  formatRegistryRefreshReport,
  hoursUntil,
  mapWithConcurrency,
  matchesNamespacePattern,
  parseRegistryHost,
  planSecretWrite,
  resolveRegistryRefreshSettings,
  selectTargetNamespaces,
} from '@hybrid-runner/core';
import type { KubeObject, RegistryLogin } from '@hybrid-runner/core';

const login = (registryHost: string, expiresAt: string, password = 'pw-secret'): RegistryLogin => ({
  registryHost,
  credentials: {
    username: 'AWS',
    password,
    proxyEndpoint: `https://${registryHost}`,
    expiresAt: new Date(expiresAt),
  },
});

describe('parseRegistryHost', () => {
  it('reads account and region from the default host', () => {
    expect(parseRegistryHost(DEFAULT_REGISTRY_HOST)).toEqual({
      host: DEFAULT_REGISTRY_HOST,
      account: '118146679784',
      region: 'eu-west-1',
    });
  });

  it('accepts an https endpoint, an image reference, FIPS and China hosts', () => {
    expect(parseRegistryHost('https://123456789012.dkr.ecr.us-east-2.amazonaws.com/').region).toBe(
      'us-east-2',
    );
    expect(
      parseRegistryHost(
        '118146679784.dkr.ecr.eu-west-1.amazonaws.com/collate-customers-ingestion-slim:om-1.13.3',
      ).host,
    ).toBe(DEFAULT_REGISTRY_HOST);
    expect(parseRegistryHost('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com').region).toBe(
      'us-gov-west-1',
    );
    expect(parseRegistryHost('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn').account).toBe(
      '123456789012',
    );
  });

  it.each(['docker.io', '1234.dkr.ecr.eu-west-1.amazonaws.com', '118146679784.dkr.ecr.amazonaws.com', ''])(
    'refuses %j with a message that shows the expected form',
    (input) => {
      expect(() => parseRegistryHost(input)).toThrow(BadRequestError);
      expect(() => parseRegistryHost(input)).toThrow(
        /<12-digit account>\.dkr\.ecr\.<region>\.amazonaws\.com/,
      );
    },
  );

  it('round-trips any account and region it builds', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{12}$/),
        fc.constantFrom('eu-west-1', 'us-east-1', 'ap-southeast-2', 'eu-central-2', 'us-gov-east-1'),
        (account, region) => {
          const parsed = parseRegistryHost(`${account}.dkr.ecr.${region}.amazonaws.com`);
          expect(parsed).toMatchObject({ account, region });
        },
      ),
    );
  });
});

describe('decodeAuthorizationToken', () => {
  it('splits AWS:<password> at the first colon only', () => {
    const token = Buffer.from('AWS:eyJwYXlsb2FkIjo:with:colons').toString('base64');
    expect(decodeAuthorizationToken(token)).toEqual({
      username: 'AWS',
      password: 'eyJwYXlsb2FkIjo:with:colons',
    });
  });

  it('refuses non-base64 and tokens without a password, never quoting the token', () => {
    for (const token of ['not base64!!', Buffer.from('AWSnopassword').toString('base64'), '']) {
      let error: unknown;
      try {
        decodeAuthorizationToken(token);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(RegistryLoginError);
      if (token) expect((error as Error).message).not.toContain(token);
    }
    expect(() => decodeAuthorizationToken(Buffer.from('AWS:').toString('base64'))).toThrow(
      /<user>:<password>/,
    );
  });
});

describe('pull secret', () => {
  it('builds a dockerconfigjson with auth = base64(user:password) per registry', () => {
    const config = JSON.parse(
      buildDockerConfigJson([
        { registryHost: 'a.example', username: 'AWS', password: 'p1' },
        { registryHost: 'b.example', username: 'AWS', password: 'p2' },
      ]),
    ) as { auths: Record<string, { auth: string; password: string }> };
    expect(Object.keys(config.auths)).toEqual(['a.example', 'b.example']);
    expect(Buffer.from(config.auths['b.example']!.auth, 'base64').toString()).toBe('AWS:p2');
  });

  it('annotates the earliest expiry and the refresh time', () => {
    const secret = buildPullSecret({
      name: DEFAULT_PULL_SECRET_NAME,
      namespace: 'ns',
      refreshedAt: new Date('2026-01-01T00:00:00Z'),
      logins: [
        login('118146679784.dkr.ecr.eu-west-1.amazonaws.com', '2026-01-01T12:00:00Z'),
        login('118146679784.dkr.ecr.us-east-1.amazonaws.com', '2026-01-01T11:00:00Z'),
      ],
    });
    expect(secret.type).toBe(DOCKER_CONFIG_JSON_TYPE);
    expect(secret.metadata.annotations).toMatchObject({
      [REGISTRY_CREDENTIALS_ANNOTATIONS.expiresAt]: '2026-01-01T11:00:00.000Z',
      [REGISTRY_CREDENTIALS_ANNOTATIONS.refreshedAt]: '2026-01-01T00:00:00.000Z',
    });
    const data = (secret.data as Record<string, string>)[DOCKER_CONFIG_JSON_KEY]!;
    expect(JSON.parse(Buffer.from(data, 'base64').toString()).auths).toHaveProperty(
      '118146679784.dkr.ecr.us-east-1.amazonaws.com',
    );
  });

  it('plans create, in-place replace that keeps foreign metadata, or refuses another type', () => {
    const desired = buildPullSecret({
      name: 'pull',
      namespace: 'ns',
      refreshedAt: new Date(),
      logins: [login(DEFAULT_REGISTRY_HOST, '2030-01-01T00:00:00Z')],
    });
    expect(planSecretWrite(undefined, desired)).toEqual({ action: 'create', secret: desired });
    const existing: KubeObject & { type: string } = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: DOCKER_CONFIG_JSON_TYPE,
      metadata: { name: 'pull', namespace: 'ns', uid: 'u-1', resourceVersion: '7', labels: { team: 'a' } },
    };
    const plan = planSecretWrite(existing, desired);
    expect(plan.action).toBe('replace');
    if (plan.action !== 'replace') return;
    expect(plan.secret.metadata).toMatchObject({ uid: 'u-1', resourceVersion: '7', labels: { team: 'a' } });
    expect(plan.secret.data).toEqual(desired.data);
    expect(planSecretWrite({ ...existing, immutable: true }, desired)).toMatchObject({
      action: 'refuse',
      reason: expect.stringContaining('is immutable'),
    });
    const refused = planSecretWrite({ ...existing, type: 'Opaque' }, desired);
    expect(refused).toMatchObject({
      action: 'refuse',
      reason: expect.stringContaining('kubectl delete secret pull -n ns'),
    });
  });
});

describe('settings', () => {
  it('defaults to the published registry and secret name', () => {
    const settings = resolveRegistryRefreshSettings({ ingestionNamespace: 'collate-ingestion' });
    expect(settings).toMatchObject({
      registries: [DEFAULT_REGISTRY_HOST],
      secretName: 'omd-registry-credentials',
      namespaces: [],
      serviceAccounts: [],
      concurrency: 8,
    });
  });

  it.each([
    [{ ingestionNamespace: 'Bad_NS' }, /ingestionNamespace "Bad_NS"/],
    [{ ingestionNamespace: 'ok', namespaces: ['team-*', 'a/b'] }, /namespaces\[1\] "a\/b"/],
    [{ ingestionNamespace: 'ok', excludeNamespaces: ['UPPER'] }, /excludeNamespaces\[0\]/],
    [{ ingestionNamespace: 'ok', secretName: 'no spaces' }, /secretName/],
    [{ ingestionNamespace: 'ok', concurrency: 0 }, /concurrency/],
    [{ ingestionNamespace: 'ok', registries: ['quay.io'] }, /not an ECR registry host/],
  ])('names the wrong setting: %j', (input, message) => {
    expect(() => resolveRegistryRefreshSettings(input)).toThrow(message);
  });
});

describe('namespace targeting', () => {
  const ns = (name: string, terminating = false) => ({ name, terminating });

  it('matches whole names with * and ?', () => {
    expect(matchesNamespacePattern('team-a', 'team-*')).toBe(true);
    expect(matchesNamespacePattern('my-team-a', 'team-*')).toBe(false);
    expect(matchesNamespacePattern('team-ab', 'team-?')).toBe(false);
    expect(matchesNamespacePattern('team-b', 'team-?')).toBe(true);
    expect(matchesNamespacePattern('anything', '*')).toBe(true);
  });

  it('targets the ingestion namespace first, then sorted matches minus excludes and terminating ones', () => {
    const targets = selectTargetNamespaces(
      {
        ingestionNamespace: 'collate',
        namespaces: ['team-*', 'extra', 'gone'],
        excludeNamespaces: ['team-secret*'],
      },
      [
        ns('kube-system'),
        ns('collate'),
        ns('team-b'),
        ns('team-a'),
        ns('team-secret-x'),
        ns('team-old', true),
        ns('extra'),
      ],
    );
    expect(targets.namespaces).toEqual(['collate', 'extra', 'team-a', 'team-b']);
    expect(targets.skipped).toEqual([
      { namespace: 'gone', reason: 'namespace does not exist' },
      { namespace: 'team-old', reason: 'namespace is terminating' },
      { namespace: 'team-secret-x', reason: 'excluded' },
    ]);
  });

  it('never excludes the ingestion namespace and keeps literal names when the list is unreadable', () => {
    const targets = selectTargetNamespaces(
      {
        ingestionNamespace: 'collate',
        namespaces: ['team-*', 'extra', 'skip-me'],
        excludeNamespaces: ['*-me', 'coll*'],
      },
      undefined,
    );
    expect(targets.namespaces).toEqual(['collate', 'extra']);
    expect(targets.skipped).toEqual([{ namespace: 'skip-me', reason: 'excluded' }]);
  });
});

describe('helpers', () => {
  it('mapWithConcurrency keeps order and never exceeds the limit', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithConcurrency([5, 1, 3, 2, 4, 0], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 30, 20, 40, 0]);
    expect(peak).toBe(2);
  });

  it('hoursUntil and the report text', () => {
    expect(hoursUntil('2026-01-01T12:00:00Z', new Date('2026-01-01T00:00:00Z'))).toBe(12);
    const text = formatRegistryRefreshReport({
      ok: false,
      secretName: 'pull',
      registries: [DEFAULT_REGISTRY_HOST],
      refreshedAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-01T12:00:00.000Z',
      outcomes: [
        {
          namespace: 'a',
          status: 'updated',
          attempts: 1,
          serviceAccounts: [{ name: 'ingestion', result: 'patched' }],
        },
        { namespace: 'b', status: 'failed', attempts: 1, error: 'forbidden', serviceAccounts: [] },
      ],
      skipped: [{ namespace: 'c', reason: 'excluded' }],
      updated: 1,
      failed: 1,
      durationMs: 12.4,
    });
    expect(text.split('\n')).toEqual([
      `ECR pull secret pull for ${DEFAULT_REGISTRY_HOST}: 1 namespace(s) updated, 1 failed, token expires 2026-01-01T12:00:00.000Z (12 ms)`,
      '  a: updated; service accounts: ingestion patched',
      '  b: failed: forbidden',
      '  c: skipped (excluded)',
    ]);
  });
});
