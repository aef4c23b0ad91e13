// The composition root built from the environment the stack sets (no network: clients are only
// constructed). The token is never in the environment, only the secret's ARN.
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoDbConnectionStore, ManagementApiSender } from '@hybrid-runner/aws';
import { FUNCTION_ENV } from '@hybrid-runner/config';
import { defaultRunnerSettings } from '@hybrid-runner/core';
import { OBSERVABILITY_ENV } from '@hybrid-runner/observability';
import { authorizer } from '../../../functions/lib/authorizer.ts';
import { bridgeContext, configureBridge } from '../../../functions/lib/bridge-context.ts';
import { senderFor } from '../../../functions/lib/senders.ts';

const env: NodeJS.ProcessEnv = {
  [FUNCTION_ENV.settings]: JSON.stringify(
    defaultRunnerSettings({ agentId: 'from-env', runnerVersion: '9.9.9' }),
  ),
  [FUNCTION_ENV.clusterName]: 'ingestion',
  [FUNCTION_ENV.clusterRegion]: 'eu-west-1',
  [FUNCTION_ENV.connectionsTable]: 'connections-table',
  [FUNCTION_ENV.stateTable]: 'state-table',
  [FUNCTION_ENV.authTokenSecret]: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:bot-token',
  [FUNCTION_ENV.managementEndpoint]: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
  [OBSERVABILITY_ENV.stage]: 'prod',
  [OBSERVABILITY_ENV.agentId]: 'from-env',
  [OBSERVABILITY_ENV.metricsSink]: 'off',
  AWS_REGION: 'eu-west-1',
};

afterAll(() => configureBridge(undefined));

describe('composition from the environment', () => {
  it('builds the connection context, authorizer and senders from the stack variables', () => {
    configureBridge(undefined);
    const context = bridgeContext(env);
    expect(context).toMatchObject({ agentId: 'from-env', runnerVersion: '9.9.9' });
    expect(context.connections).toBeInstanceOf(DynamoDbConnectionStore);
    expect(context.metrics).toMatchObject({ stage: 'prod', agentId: 'from-env' });
    expect(authorizer(env)).toBe(authorizer(env));
    const fromEvent = senderFor(
      { domainName: 'abc.execute-api.eu-west-1.amazonaws.com', stage: 'prod' },
      env,
    );
    expect(fromEvent).toBeInstanceOf(ManagementApiSender);
    expect(senderFor({ domainName: 'abc.execute-api.eu-west-1.amazonaws.com', stage: 'prod' }, env)).toBe(
      fromEvent,
    );
    // Without an event (the heartbeat) the configured endpoint is used: the same API, the same sender.
    expect(senderFor(undefined, env)).toBe(fromEvent);
    // A custom domain is not a management endpoint: the configured one wins over the event's.
    expect(senderFor({ domainName: 'runner.example.com', stage: 'prod' }, env)).toBe(fromEvent);
  });

  it('fails at first use with the name of a missing variable', () => {
    const { [FUNCTION_ENV.authTokenSecret]: _omitted, ...partial } = env;
    configureBridge(undefined);
    expect(() => authorizer(partial)).toThrow(FUNCTION_ENV.authTokenSecret);
  });
});
