// `hybrid-runner secrets put <name>`: stores a secret in Secrets Manager (on the local stage: its wire
// stand-in, through AWS_ENDPOINT_URL_SECRETS_MANAGER). The value is read from stdin so it never shows in
// the shell history or the process list, and it is never printed.
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CliError, EXIT } from '../exit-codes.ts';
import type { Output } from '../output.ts';

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of stdin) parts.push(Buffer.isBuffer(part) ? part : Buffer.from(part as string));
  return Buffer.concat(parts)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export async function runSecretsCommand(options: {
  action: 'put';
  name: string;
  out: Output;
  stdin?: NodeJS.ReadableStream;
  client?: SecretsManagerClient;
}): Promise<void> {
  const value = await readStdin(options.stdin ?? process.stdin);
  if (!value)
    throw new CliError(
      `No value on stdin for ${options.name}: pipe it in, e.g. \`printf %s "$PASSWORD" | hybrid-runner secrets put ${options.name}\`.`,
      EXIT.usage,
    );
  const client = options.client ?? new SecretsManagerClient({});
  try {
    try {
      await client.send(new CreateSecretCommand({ Name: options.name, SecretString: value }));
    } catch (error) {
      if (!(error instanceof ResourceExistsException)) throw error;
      await client.send(new PutSecretValueCommand({ SecretId: options.name, SecretString: value }));
    }
  } catch (error) {
    throw new CliError(
      `Could not store ${options.name}: ${(error as Error).name}: check AWS credentials and region (or that npm start is running).`,
      EXIT.unreachable,
      { cause: error },
    );
  }
  options.out.result({ stored: options.name }, `stored ${options.name}`);
}
