import { describe, expect, it } from 'vitest';
import { ClusterUnavailableError } from '@hybrid-runner/core';
import { harness } from './setup.ts';

describe('ping', () => {
  it('answers with the agent id and runner version', async () => {
    const h = harness({ agentId: 'HybridEU', runnerVersion: '1.2.3' });
    expect(await h.operations.ping({})).toEqual({ pong: true, agentId: 'HybridEU', version: '1.2.3' });
  });
});

describe('getServiceStatus', () => {
  it('is healthy when the API answers and Argo’s CRDs are served', async () => {
    const h = harness({ runnerVersion: '1.2.3' });
    expect(await h.operations.getServiceStatus({})).toEqual({
      code: 200,
      status: 'healthy',
      platform: 'Argo',
      version: '1.2.3',
      reason: 'Kubernetes v1.31.2-eks-fake; Argo Workflows CRDs served',
    });
    expect(h.cluster.criticalPath()).toBe(1);
  });

  it('is unhealthy, with the reason, when the API is unreachable', async () => {
    const h = harness();
    h.cluster.reachable = false;
    const status = await h.operations.getServiceStatus({});
    expect(status).toMatchObject({ code: 200, status: 'unhealthy', platform: 'Argo' });
    expect(status.reason).toMatch(/Kubernetes API not reachable: fake API server is down/);
  });

  it('is unhealthy when Argo is not installed or the check fails', async () => {
    const h = harness();
    h.cluster.served.delete('argoproj.io/v1alpha1/cronworkflows');
    expect((await h.operations.getServiceStatus({})).reason).toMatch(
      /Argo Workflows is not installed .*cronworkflows\.argoproj\.io\/v1alpha1 not served/,
    );
    h.cluster.failOnce('hasResource', undefined, new ClusterUnavailableError('discovery 503'));
    expect((await h.operations.getServiceStatus({})).reason).toMatch(
      /Could not check the Argo CRDs: discovery 503/,
    );
  });
});
