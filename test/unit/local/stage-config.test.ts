import { describe, expect, it } from 'vitest';
import { LOCAL_CLUSTER_NAME, localStageConfig } from '@hybrid-runner/local';
import { stageSecretIds } from '../../../packages/local/src/stage-config.ts';

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

describe('stageSecretIds', () => {
  it('names the bot token and ECR keys secrets, and the previous token only during a rotation', () => {
    const plain = stageSecretIds(localStageConfig('a'));
    expect(plain.authToken).not.toBe('');
    expect(plain.ecrKeys).not.toBe('');
    expect(plain.authToken).not.toBe(plain.ecrKeys);
    expect(plain.previousAuthToken).toBeUndefined();
    const rotating = stageSecretIds(
      localStageConfig('a', {
        HYBRID_RUNNER__bridge__previousAuthToken__secretArn:
          'arn:aws:secretsmanager:eu-west-1:111122223333:secret:old-token-AbCdEf',
        HYBRID_RUNNER__bridge__previousAuthToken__retireAt: '2030-01-01T00:00:00Z',
      }),
    );
    expect(rotating.previousAuthToken).toBe(
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:old-token-AbCdEf',
    );
  });
});
