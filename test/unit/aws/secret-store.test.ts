import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerSecretStore } from '@hybrid-runner/aws';

const secretsManager = mockClient(SecretsManagerClient);
const store = new SecretsManagerSecretStore({
  client: new SecretsManagerClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  }),
});

function awsError(name: string) {
  return Object.assign(new Error(`${name} from the mock`), { name, $metadata: {} });
}

beforeEach(() => secretsManager.reset());

describe('SecretsManagerSecretStore', () => {
  it('checks existence with DescribeSecret and never reads the value', async () => {
    secretsManager
      .on(DescribeSecretCommand, { SecretId: '/collate/hybrid-ingestion-runner/db' })
      .resolves({ Name: '/collate/hybrid-ingestion-runner/db' });
    secretsManager
      .on(DescribeSecretCommand, { SecretId: '/collate/hybrid-ingestion-runner/none' })
      .rejects(awsError('ResourceNotFoundException'));
    expect(await store.exists('/collate/hybrid-ingestion-runner/db')).toBe(true);
    expect(await store.exists('/collate/hybrid-ingestion-runner/none')).toBe(false);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('treats a secret scheduled for deletion as missing (the pod could not read it)', async () => {
    secretsManager.on(DescribeSecretCommand).resolves({ Name: 'x', DeletedDate: new Date() });
    expect(await store.exists('x')).toBe(false);
  });

  it('names the IAM permission on AccessDenied and reports other failures without a value', async () => {
    secretsManager
      .on(DescribeSecretCommand)
      .rejectsOnce(awsError('AccessDeniedException'))
      .rejects(awsError('InternalServiceError'));
    await expect(store.exists('/collate/hybrid-ingestion-runner/db')).rejects.toThrow(
      /allow secretsmanager:DescribeSecret/,
    );
    await expect(store.exists('/collate/hybrid-ingestion-runner/db')).rejects.toThrow(
      /InternalServiceError.*retry later/,
    );
  });
});
