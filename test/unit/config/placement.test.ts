// argo.placement, argo.server.enabled and ingestion.nodes.karpenter: defaults, refusals with their fix, and
// the ingestion pods' placement in the runner settings.
import { describe, expect, it } from 'vitest';
import { parseStageConfig, toRunnerSettings } from '@hybrid-runner/config';
import type { StageConfigInput } from '@hybrid-runner/config';
import { INGESTION_TAINT } from '@hybrid-runner/core';

const base: StageConfigInput = { serverHost: 'acme.getcollate.io', cluster: { name: 'prod-eks' } };
const problems = (input: StageConfigInput) => {
  try {
    parseStageConfig(input);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
};

describe('placement configuration', () => {
  it('defaults: Argo on the nodes, no Argo server, no Karpenter pool', () => {
    const config = parseStageConfig(base);
    expect(config.argo.placement).toBe('nodes');
    expect(config.argo.server.enabled).toBe(false);
    expect(config.ingestion.nodes.karpenter).toMatchObject({
      enabled: false,
      nodePoolName: 'collate-ingestion',
      nodeClassName: 'default',
      capacityTypes: ['spot', 'on-demand'],
      consolidateAfter: '1m',
    });
  });

  it('fargate needs private subnets: its own, else the vpc ones', () => {
    expect(problems({ ...base, argo: { placement: 'fargate' } })).toContain(
      'argo.fargate.subnetIds: is needed with argo.placement "fargate"',
    );
    expect(
      problems({
        ...base,
        argo: { placement: 'fargate' },
        vpc: { subnetIds: ['subnet-0a'], securityGroupIds: ['sg-0b'] },
      }),
    ).toBe('');
    expect(problems({ ...base, argo: { placement: 'fargate', fargate: { subnetIds: ['subnet-0a'] } } })).toBe(
      '',
    );
  });

  it('fargate refuses an Argo namespace shared with the ingestion pods (they would go to Fargate too)', () => {
    expect(
      problems({
        ...base,
        namespaces: { argo: 'collate-ingestion', ingestion: 'collate-ingestion' },
        argo: { placement: 'fargate', fargate: { subnetIds: ['subnet-0a'] } },
      }),
    ).toContain('namespaces.argo: must differ from namespaces.ingestion');
  });

  it('refuses a chart value that contradicts argo.server.enabled', () => {
    expect(problems({ ...base, argo: { values: { server: { enabled: true } } } })).toContain(
      'argo.values.server.enabled: contradicts argo.server.enabled',
    );
    expect(
      problems({ ...base, argo: { server: { enabled: true }, values: { server: { enabled: true } } } }),
    ).toBe('');
  });

  it('refuses bad Karpenter values with the fix', () => {
    const karpenter = (value: Record<string, unknown>) =>
      problems({ ...base, ingestion: { nodes: { karpenter: { enabled: true, ...value } } } });
    expect(karpenter({ capacityTypes: [] })).toContain('needs at least one of "spot", "on-demand"');
    expect(karpenter({ capacityTypes: ['spot', 'spot'] })).toContain('lists a capacity type twice');
    expect(karpenter({ capacityTypes: ['reserved'] })).toContain('ingestion.nodes.karpenter.capacityTypes');
    expect(karpenter({ instanceTypes: ['large'] })).toContain(
      'must be an EC2 instance type such as "m6a.large"',
    );
    expect(karpenter({ consolidateAfter: '10 minutes' })).toContain('"30s", "5m" or "1h", or "Never"');
  });

  it('with Karpenter, ingestion pods tolerate only the pool taint and select only the pool', () => {
    const config = parseStageConfig({
      ...base,
      ingestion: { nodes: { karpenter: { enabled: true, nodePoolName: 'etl' } } },
      ingestionPods: { customConfig: { workflowParams: { podMetadata: { annotations: { team: 'data' } } } } },
    });
    const settings = toRunnerSettings(config);
    expect(settings.tolerations).toEqual([
      { key: INGESTION_TAINT.key, operator: 'Equal', value: 'true', effect: 'NoSchedule' },
    ]);
    expect(settings.nodeSelector).toEqual({ 'karpenter.sh/nodepool': 'etl' });
    expect(settings.workflowParams).toEqual({
      podMetadata: { annotations: { team: 'data', 'karpenter.sh/do-not-disrupt': 'true' } },
    });
  });

  it('with Karpenter, refuses tolerations or a node selector of the pods’ own', () => {
    const input = { ...base, ingestion: { nodes: { karpenter: { enabled: true } } } };
    expect(
      problems({ ...input, ingestionPods: { tolerations: [{ key: 'dedicated', operator: 'Exists' }] } }),
    ).toContain('ingestionPods.tolerations: must be empty with ingestion.nodes.karpenter.enabled');
    expect(problems({ ...input, ingestionPods: { nodeSelector: { dedicated: 'ingestion' } } })).toContain(
      'ingestionPods.nodeSelector: must be empty with ingestion.nodes.karpenter.enabled',
    );
  });

  it('without Karpenter, the pods keep their own tolerations and node selector', () => {
    const toleration = { key: 'dedicated', operator: 'Equal', value: 'ingestion', effect: 'NoSchedule' };
    const settings = toRunnerSettings(
      parseStageConfig({
        ...base,
        ingestionPods: { tolerations: [toleration], nodeSelector: { pool: 'etl' } },
      }),
    );
    expect(settings.tolerations).toEqual([toleration]);
    expect(settings.nodeSelector).toEqual({ pool: 'etl' });
    expect(settings.workflowParams).toBeUndefined();
  });
});
