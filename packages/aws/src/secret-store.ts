// Core's SecretStore on AWS Secrets Manager. `exists` uses DescribeSecret, which returns metadata only:
// the runner checks that a `secret:` reference resolves without ever being able to read the value
// (its IAM policy needs secretsmanager:DescribeSecret, not GetSecretValue).
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RunnerError } from '@hybrid-runner/core';
import type { SecretStore } from '@hybrid-runner/core';
import type { AwsCredentials } from './eks/token.ts';

export interface SecretsManagerSecretStoreOptions {
  region?: string;
  credentials?: AwsCredentials;
  /** Secrets Manager endpoint override (the local stand-in). */
  endpointOverride?: string;
  /** A ready client (tests); otherwise one is built from the options. */
  client?: SecretsManagerClient;
}

export class SecretsManagerSecretStore implements SecretStore {
  readonly #client: SecretsManagerClient;

  constructor(options: SecretsManagerSecretStoreOptions = {}) {
    this.#client =
      options.client ??
      new SecretsManagerClient({
        ...(options.region ? { region: options.region } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
        ...(options.endpointOverride ? { endpoint: options.endpointOverride } : {}),
      });
  }

  /** True when the secret exists and is not scheduled for deletion. The SDK retries throttling itself. */
  async exists(name: string): Promise<boolean> {
    try {
      const described = await this.#client.send(new DescribeSecretCommand({ SecretId: name }));
      // A secret pending deletion still describes, but GetSecretValue on it fails in the pod.
      return described.DeletedDate === undefined;
    } catch (error) {
      const errorName = error instanceof Error ? error.name : '';
      if (errorName === 'ResourceNotFoundException') return false;
      if (errorName === 'AccessDeniedException') {
        throw new RunnerError(
          'internal',
          `The runner may not describe the secret "${name}": allow secretsmanager:DescribeSecret on the ` +
            "secret prefix in the function's IAM role.",
          { cause: error },
        );
      }
      throw new RunnerError(
        'internal',
        `Could not check the secret "${name}" in AWS Secrets Manager (${errorName || 'unknown error'}): retry later.`,
        { cause: error },
      );
    }
  }
}
