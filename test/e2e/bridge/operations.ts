// Steps of the every-operation round trip that read the same whatever cluster is behind the bridge.
import { expect } from 'vitest';
import type { BridgeClient, Pipeline } from '@hybrid-runner/protocol';

/** Pauses the pipeline's schedule, starts a test connection and an application, then deletes the pipeline. */
export async function expectClosingOperations(bridge: BridgeClient, pipeline: Pipeline): Promise<void> {
  expect(
    await bridge.request('toggleIngestion', { pipeline: { ...pipeline, enabled: false } }),
  ).toMatchObject({
    code: 200,
  });
  expect(
    await bridge.request('runAutomationsWorkflow', {
      workflow: {
        id: 'w-1',
        name: 'test-mysql',
        workflowType: 'TEST_CONNECTION',
        request: { connection: {} },
      },
    }),
  ).toMatchObject({ code: 200 });
  expect(
    await bridge.request('runApplicationFlow', { application: { name: 'DataInsightsApplication' } }),
  ).toMatchObject({ code: 200 });
  expect(await bridge.request('deletePipeline', { pipeline })).toMatchObject({ code: 200 });
}
