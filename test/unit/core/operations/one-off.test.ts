import { describe, expect, it, vi } from 'vitest';
import { ClusterUnavailableError, RESOURCES, SecretReferenceError } from '@hybrid-runner/core';
import type { AutomationWorkflow } from '@hybrid-runner/protocol';
import { BOT_TOKEN, PREFIX, harness, configOf } from './setup.ts';

const NS = 'collate-ingestion';

function testConnection(password: string): AutomationWorkflow {
  return {
    id: 'wf-1',
    name: 'test-connection-mysql',
    workflowType: 'TEST_CONNECTION',
    request: {
      connection: {
        config: { type: 'Mysql', username: 'ingest', authType: { password }, hostPort: 'db:3306' },
      },
      serviceType: 'Database',
    },
  };
}

describe('runAutomationsWorkflow', () => {
  it('checks every reference, then starts a Workflow whose config Secret it owns', async () => {
    const h = harness();
    h.secretNames.add(`${PREFIX}mysql-password`);
    const result = await h.operations.runAutomationsWorkflow({
      workflow: testConnection(`secret:${PREFIX}mysql-password`),
    });
    expect(h.secretLookups).toEqual([`${PREFIX}mysql-password`]);
    expect(result).toEqual({ code: 200, runId: h.runIds[0], workflowName: result.workflowName });
    const workflow = h.cluster.peek(RESOURCES.workflow, NS, result.workflowName);
    const secret = h.cluster.peek(RESOURCES.secret, NS, result.workflowName);
    expect(secret?.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Workflow',
        name: result.workflowName,
        uid: workflow?.metadata.uid,
      },
    ]);
    const config = configOf(secret);
    expect(config).toContain('TEST_CONNECTION');
    expect(config).toContain(`secret:${PREFIX}mysql-password`);
    expect(JSON.stringify(workflow)).not.toContain(BOT_TOKEN);
    // Two round trips: the Secret and the Workflow together (the Secret never after), then the owner link.
    expect(h.cluster.criticalPath()).toBe(2);
    expect(h.cluster.callsOf('create', 'secrets')[0]?.depth).toBe(1);
    expect(h.cluster.callsOf('create', 'workflows')[0]?.depth).toBe(1);
    // Deleting the Workflow (its TTL) takes the Secret with it: nothing is orphaned.
    await h.cluster.delete(RESOURCES.workflow, NS, result.workflowName);
    expect(h.cluster.all(RESOURCES.secret)).toEqual([]);
  });

  it('refuses a reference outside the prefix before any lookup or cluster call, naming the field', async () => {
    const h = harness();
    const error = await h.operations
      .runAutomationsWorkflow({
        workflow: testConnection('secret:/collate/hybrid-ingestion-runner/../admin'),
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretReferenceError);
    expect((error as SecretReferenceError).field).toBe(
      'payload.workflow.request.connection.config.authType.password',
    );
    expect((error as Error).message).toContain('secret:/collate/hybrid-ingestion-runner/../admin');
    expect(h.secretLookups).toEqual([]);
    expect(h.cluster.calls).toEqual([]);
  });

  it('refuses a reference that does not exist', async () => {
    const h = harness();
    await expect(
      h.operations.runAutomationsWorkflow({ workflow: testConnection(`secret:${PREFIX}nope`) }),
    ).rejects.toThrow(
      /payload\.workflow\.request\.connection\.config\.authType\.password: secret reference .* does not exist/,
    );
    expect(h.cluster.calls).toEqual([]);
  });

  it('deletes its Secret when the Workflow cannot be created, and both when the owner link fails', async () => {
    const h = harness();
    h.cluster.failOnce('create', 'workflows', new ClusterUnavailableError('webhook timeout'));
    await expect(h.operations.runAutomationsWorkflow({ workflow: testConnection('plain') })).rejects.toThrow(
      'webhook timeout',
    );
    expect(h.cluster.all(RESOURCES.secret)).toEqual([]);
    // and the Workflow when the Secret cannot be created (it was sent alongside)
    h.cluster.failOnce('create', 'secrets', new ClusterUnavailableError('secret create throttled'));
    await expect(h.operations.runAutomationsWorkflow({ workflow: testConnection('plain') })).rejects.toThrow(
      'secret create throttled',
    );
    expect(h.cluster.all(RESOURCES.workflow)).toEqual([]);
    expect(h.cluster.all(RESOURCES.secret)).toEqual([]);
    h.cluster.failOnce('mergePatch', 'secrets', new ClusterUnavailableError('patch throttled'));
    await expect(h.operations.runAutomationsWorkflow({ workflow: testConnection('plain') })).rejects.toThrow(
      'patch throttled',
    );
    expect(h.cluster.all(RESOURCES.secret)).toEqual([]);
    expect(h.cluster.all(RESOURCES.workflow)).toEqual([]);
  });

  it('deletes the Workflow too when its create timed out after the API server had applied it', async () => {
    const h = harness();
    const create = h.cluster.create.bind(h.cluster);
    vi.spyOn(h.cluster, 'create').mockImplementation(async (type, namespace, object) => {
      const stored = await create(type, namespace, object);
      if (type === RESOURCES.workflow) throw new ClusterUnavailableError('connection reset after the create');
      return stored;
    });
    await expect(h.operations.runAutomationsWorkflow({ workflow: testConnection('plain') })).rejects.toThrow(
      'connection reset after the create',
    );
    // No Workflow is left to run without its config Secret (a run nobody was told about).
    expect(h.cluster.all(RESOURCES.workflow)).toEqual([]);
    expect(h.cluster.all(RESOURCES.secret)).toEqual([]);
  });
});

describe('runApplicationFlow', () => {
  it('starts the application run with its own owned config Secret', async () => {
    const h = harness();
    h.secretNames.add(`${PREFIX}slack-token`);
    const application = {
      name: 'DataInsightsApplication',
      appConfig: { slackToken: `secret:${PREFIX}slack-token` },
    };
    const result = await h.operations.runApplicationFlow({ application });
    const workflow = h.cluster.peek(RESOURCES.workflow, NS, result.workflowName);
    expect(JSON.stringify(workflow)).toContain('metadata.applications.runner');
    expect(
      h.cluster.peek(RESOURCES.secret, NS, result.workflowName)?.metadata.ownerReferences?.[0]?.uid,
    ).toBe(workflow?.metadata.uid);
    await expect(
      h.operations.runApplicationFlow({
        application: { name: 'x', appConfig: { token: 'secret:/elsewhere/t' } },
      }),
    ).rejects.toThrow(/payload\.application\.appConfig\.token/);
  });
});
