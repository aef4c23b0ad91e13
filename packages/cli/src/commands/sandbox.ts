// `hybrid-runner sandbox scenario <fqn> --outcome …`: scripts how the local stage's sandbox cluster (the
// simulated Argo controller) runs a pipeline's next runs, through the stage's control endpoint. This file
// is also the contract of that endpoint (path, outcomes, request body); the local stage serves it.
import { CliError, EXIT } from '../exit-codes.ts';
import type { Output } from '../output.ts';
import { findStageFile, readStageFile } from '../stage-file.ts';

export const SANDBOX_OUTCOMES = [
  'succeed',
  'fail',
  'image-pull-error',
  'unschedulable',
  'slow',
  // A Spot interruption: the first pod of each run is lost to its node and retried.
  'evicted-once',
] as const;
export type SandboxOutcome = (typeof SANDBOX_OUTCOMES)[number];
export const SANDBOX_SCENARIOS_PATH = '/sandbox/scenarios';

export interface SandboxScenarioRequest {
  pipelineFqn: string;
  outcome: SandboxOutcome;
  /** How long the run's main pod takes (default: the sandbox's short run time; `slow`: 300 s). */
  durationSeconds?: number;
  /** The failure message (image pull, scheduling). */
  message?: string;
}

export async function runSandboxScenarioCommand(options: {
  request: SandboxScenarioRequest;
  out: Output;
  stageFile?: string;
}): Promise<void> {
  const file = options.stageFile ?? findStageFile();
  if (!file) {
    throw new CliError(
      'No local stage found: start it with `npm start` (sandbox scenarios exist only there).',
      EXIT.unreachable,
    );
  }
  const stage = readStageFile(file);
  if (!stage.sandboxControl) {
    throw new CliError(
      'This local stage submits to a real cluster (KUBECONFIG), which has no sandbox to script.',
      EXIT.usage,
    );
  }
  let response: Response;
  try {
    response = await fetch(new URL(SANDBOX_SCENARIOS_PATH, stage.sandboxControl), {
      method: 'POST',
      headers: { authorization: `Bearer ${stage.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(options.request),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new CliError(
      `The local stage's sandbox control at ${stage.sandboxControl} did not answer (${(error as Error).message}): is npm start still running?`,
      EXIT.unreachable,
      { cause: error },
    );
  }
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) {
    throw new CliError(
      body.error ?? `The sandbox control answered HTTP ${response.status}.`,
      response.status === 400 ? EXIT.usage : EXIT.operationFailed,
    );
  }
  const { request } = options;
  options.out.result(
    body,
    `next runs of ${request.pipelineFqn} in the sandbox: ${request.outcome}` +
      (request.durationSeconds !== undefined ? ` (pods run ${request.durationSeconds} s)` : ''),
  );
}
