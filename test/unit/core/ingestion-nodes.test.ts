// The ingestion taint, the pool selector and the scheduler's taint/selector rules doctor relies on. The cases
// of toleratesTaint follow Kubernetes' own (k8s.io/api core/v1 Toleration.ToleratesTaint and its tests).
import { describe, expect, it } from 'vitest';
import {
  INGESTION_TAINT,
  ingestionToleration,
  nodePoolSelector,
  nodeRefusal,
  nodeView,
  toleratesTaint,
  untoleratedTaints,
} from '@hybrid-runner/core';

const taint = { key: 'foo', value: 'bar', effect: 'NoSchedule' };

describe('toleratesTaint (Kubernetes rule)', () => {
  it.each([
    [
      'same key, value and effect',
      { key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoSchedule' },
      true,
    ],
    ['another value', { key: 'foo', operator: 'Equal', value: 'baz', effect: 'NoSchedule' }, false],
    ['another effect', { key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoExecute' }, false],
    ['empty effect matches every effect', { key: 'foo', operator: 'Equal', value: 'bar' }, true],
    ['Exists ignores the value', { key: 'foo', operator: 'Exists', effect: 'NoSchedule' }, true],
    ['Exists with an empty key tolerates everything', { operator: 'Exists' }, true],
    ['an empty operator means Equal', { key: 'foo', value: 'bar' }, true],
    ['another key', { key: 'other', operator: 'Exists' }, false],
    ['an unknown operator tolerates nothing', { key: 'foo', operator: 'Gt', value: 'bar' }, false],
  ])('%s', (_what, toleration, expected) => {
    expect(toleratesTaint(toleration, taint)).toBe(expected);
  });

  it('ignores PreferNoSchedule taints for placement', () => {
    expect(untoleratedTaints([{ key: 'soft', effect: 'PreferNoSchedule' }, taint], [])).toEqual([taint]);
  });
});

describe('ingestion taint and pool selector', () => {
  it('the ingestion toleration tolerates exactly the ingestion taint', () => {
    expect(toleratesTaint(ingestionToleration(), INGESTION_TAINT)).toBe(true);
    expect(toleratesTaint(ingestionToleration(), { ...INGESTION_TAINT, value: 'false' })).toBe(false);
    expect(
      toleratesTaint(ingestionToleration(), { key: 'dedicated', value: 'true', effect: 'NoSchedule' }),
    ).toBe(false);
  });

  it('tells why a node cannot take a pod: cordoned, a missing label, an untolerated taint', () => {
    const pod = { nodeSelector: nodePoolSelector('collate-ingestion'), tolerations: [ingestionToleration()] };
    const poolNode = nodeView({
      metadata: { name: 'ip-10-0-1-2', labels: { 'karpenter.sh/nodepool': 'collate-ingestion' } },
      spec: { taints: [INGESTION_TAINT] },
    });
    expect(nodeRefusal(poolNode, pod)).toBeUndefined();
    expect(nodeRefusal({ ...poolNode, unschedulable: true }, pod)).toBe('cordoned');
    expect(nodeRefusal(nodeView({ metadata: { name: 'general' } }), pod)).toBe(
      'lacks label karpenter.sh/nodepool=collate-ingestion',
    );
    expect(
      nodeRefusal(
        nodeView({
          metadata: { name: 'gpu', labels: {} },
          spec: { taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }] },
        }),
        { nodeSelector: {}, tolerations: [] },
      ),
    ).toBe('taint nvidia.com/gpu:NoSchedule');
  });
});
