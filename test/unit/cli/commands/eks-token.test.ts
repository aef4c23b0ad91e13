import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decodeEksToken } from '@hybrid-runner/aws';
import { runEksTokenCommand } from '../../../../packages/cli/src/commands/eks-token.ts';
import { CliError, EXIT } from '../../../../packages/cli/src/exit-codes.ts';

const credentials = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' };

describe('eks token command', () => {
  it('prints an ExecCredential exactly like `aws eks get-token`', async () => {
    const stdout = new PassThrough();
    let printed = '';
    stdout.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
    const credential = await runEksTokenCommand({
      cluster: 'ingest',
      region: 'eu-west-1',
      credentials,
      now: () => new Date('2026-05-01T10:00:00.123Z'),
      stdout,
    });
    expect(JSON.parse(printed)).toEqual(credential);
    expect(credential).toMatchObject({
      kind: 'ExecCredential',
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      spec: {},
      status: { expirationTimestamp: '2026-05-01T10:14:00Z' },
    });
    const url = decodeEksToken(credential.status.token);
    expect(url.hostname).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session');
  });

  it('explains missing arguments with the usage exit code', async () => {
    const error = await runEksTokenCommand({ cluster: '', region: 'eu-west-1', credentials }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ exitCode: EXIT.usage });
    expect((error as Error).message).toMatch(/--cluster/);
    await expect(runEksTokenCommand({ cluster: 'c', region: '', credentials })).rejects.toThrow(/--region/);
  });

  it('reports missing AWS credentials as unreachable', async () => {
    const error = await runEksTokenCommand({
      cluster: 'c',
      region: 'eu-west-1',
      credentials: async () => {
        throw new Error('no credentials');
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: EXIT.unreachable });
  });
});
