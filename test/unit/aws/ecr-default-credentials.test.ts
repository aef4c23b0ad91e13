// Without a keys secret the ECR login signs with the default AWS credentials: the function's role in Lambda,
// the operator's own profile or environment for `hybrid-runner ecr refresh`. Errors must point at both,
// not only at "the function's IAM role" an operator at a terminal does not have.
import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ECRClient, ECRServiceException, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { createEcrRegistryAuth } from '@hybrid-runner/aws';
import { DEFAULT_REGISTRY_HOST } from '@hybrid-runner/core';

const ecrMock = mockClient(ECRClient);
afterEach(() => ecrMock.reset());

function rejectWith(name: string) {
  ecrMock.on(GetAuthorizationTokenCommand).rejects(
    new ECRServiceException({
      name,
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: `${name} from ECR`,
    }),
  );
}

async function loginMessage(): Promise<string> {
  const registryAuth = createEcrRegistryAuth({
    ecrClientFor: (region) => new ECRClient({ region }),
    retry: { sleep: async () => undefined, random: () => 0.5 },
  });
  const error = await registryAuth.login(DEFAULT_REGISTRY_HOST).then(
    () => undefined,
    (caught: unknown) => caught as Error,
  );
  expect(error).toBeInstanceOf(Error);
  return error!.message;
}

describe('ECR login with the default AWS credentials (no keys secret)', () => {
  it.each([
    [
      'UnrecognizedClientException',
      /does not recognise the default AWS credentials .*your AWS profile or environment/,
    ],
    ['ExpiredTokenException', /default AWS credentials expired .*renew your AWS session/],
    ['AccessDeniedException', /the default AWS credentials .*may not call ecr:GetAuthorizationToken/],
  ])('%s names the function role and, locally, the operator credentials', async (name, message) => {
    rejectWith(name);
    expect(await loginMessage()).toMatch(message);
  });
});
