import { afterEach, describe, expect, it } from 'vitest';
import { FUNCTION_ENV } from '@hybrid-runner/config';
import { AWS_ENDPOINT_ENV, localStageConfig } from '@hybrid-runner/local';
import {
  localFunctionEnvironment,
  setEnvironment,
  type LocalFunctionEnvironmentOptions,
} from '../../../packages/local/src/function-environment.ts';
import { stageSecretIds } from '../../../packages/local/src/stage-config.ts';

const base = (config = localStageConfig('a')): LocalFunctionEnvironmentOptions => ({
  config,
  secretIds: stageSecretIds(config),
  runnerKeys: { accessKeyId: 'AKIARUNNER', secretAccessKey: 'runner-secret' },
  endpoints: {
    dynamodb: 'http://127.0.0.1:1',
    ecr: 'http://127.0.0.1:2',
    secretsManager: 'http://127.0.0.1:3',
  },
  tables: { state: 'state', connections: 'connections' },
});

describe('localFunctionEnvironment (what the stack sets on the functions, pointed at the stand-ins)', () => {
  it('inbound: the WebSocket API variables, the hardening, no keeper URL', () => {
    const env = localFunctionEnvironment(base());
    expect(env[FUNCTION_ENV.connectionsTable]).toBe('connections');
    expect(env[FUNCTION_ENV.rateLimit]).toBeDefined();
    expect(env[FUNCTION_ENV.outboundUrl]).toBeUndefined();
    expect(env[AWS_ENDPOINT_ENV.secretsManager]).toBe('http://127.0.0.1:3');
    expect(env.AWS_ACCESS_KEY_ID).toBe('AKIARUNNER');
    expect(Object.keys(env)).toContain('AWS_PROFILE');
    expect(env.AWS_PROFILE).toBeUndefined();
  });

  it('outbound: the keeper URL and none of the WebSocket API variables', () => {
    const env = localFunctionEnvironment({ ...base(), outboundUrl: 'ws://127.0.0.1:4/agent' });
    expect(env[FUNCTION_ENV.outboundUrl]).toBe('ws://127.0.0.1:4/agent');
    expect(env[FUNCTION_ENV.connectionsTable]).toBeUndefined();
    expect(env[FUNCTION_ENV.rateLimit]).toBeUndefined();
  });

  it('with real Secrets Manager leaves its endpoint variable alone; with a real cluster unsets EKS and S3', () => {
    const { secretsManager: _dropped, ...endpoints } = base().endpoints;
    const env = localFunctionEnvironment({ ...base(), endpoints });
    expect(Object.keys(env)).not.toContain(AWS_ENDPOINT_ENV.secretsManager);
    expect(Object.keys(env)).toEqual(expect.arrayContaining([AWS_ENDPOINT_ENV.eks, AWS_ENDPOINT_ENV.s3]));
    expect(env[AWS_ENDPOINT_ENV.eks]).toBeUndefined();
  });
});

describe('setEnvironment', () => {
  afterEach(() => {
    delete process.env.LOCAL_STAGE_TEST_A;
    delete process.env.LOCAL_STAGE_TEST_B;
  });

  it('sets and unsets variables, and its undo restores what was there', () => {
    process.env.LOCAL_STAGE_TEST_A = 'before';
    const undo = setEnvironment({ LOCAL_STAGE_TEST_A: undefined, LOCAL_STAGE_TEST_B: 'set' });
    expect(process.env.LOCAL_STAGE_TEST_A).toBeUndefined();
    expect(process.env.LOCAL_STAGE_TEST_B).toBe('set');
    undo();
    expect(process.env.LOCAL_STAGE_TEST_A).toBe('before');
    expect('LOCAL_STAGE_TEST_B' in process.env).toBe(false);
  });
});
