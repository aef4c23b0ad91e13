// `hybrid-runner collate …`: act as the Collate server towards a runner, over the bridge protocol.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseErrorPosition } from '@hybrid-runner/core';
import {
  BridgeAuthError,
  BridgeClient,
  BridgeConnectionError,
  BridgeRequestError,
  BridgeTimeoutError,
  PIPELINE_TYPES,
} from '@hybrid-runner/protocol';
import type {
  OperationName,
  OperationPayload,
  OperationResult,
  Pipeline,
  PipelineStatusPayload,
  PipelineType,
} from '@hybrid-runner/protocol';
import { CliError, EXIT } from '../exit-codes.ts';
import type { Output } from '../output.ts';
import { mark } from '../output.ts';
import { findStageFile, readStageFile } from '../stage-file.ts';
import { rememberPipeline, recalledPipeline } from '../pipeline-cache.ts';

export interface BridgeTarget {
  url: string;
  token: string;
  agentId: string;
}

export interface ConnectionFlags {
  url?: string;
  token?: string;
  tokenFile?: string;
  agentId?: string;
  timeout?: string;
}

/** Flags, then environment, then the local stage file that `npm start` leaves behind. */
/** The token in a file (`--token-file`): keeps it out of the process list and the shell history. */
function readTokenFile(path: string): string {
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new CliError(
      `Cannot read --token-file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`,
      EXIT.usage,
    );
  }
  if (!token)
    throw new CliError(`--token-file ${path} is empty: put the ingestion bot token in it.`, EXIT.usage);
  return token;
}

export function resolveTarget(flags: ConnectionFlags): BridgeTarget {
  const url = flags.url ?? process.env.HYBRID_RUNNER_URL;
  const token =
    flags.token ??
    (flags.tokenFile ? readTokenFile(flags.tokenFile) : undefined) ??
    process.env.HYBRID_RUNNER_TOKEN;
  const agentId = flags.agentId ?? process.env.HYBRID_RUNNER_AGENT_ID;
  if (url && token && agentId) return { url, token, agentId };
  const file = findStageFile();
  if (!file) {
    throw new CliError(
      'No runner to talk to: start the local stage with `npm start`, or pass --url, --token and --agent-id ' +
        '(or set HYBRID_RUNNER_URL, HYBRID_RUNNER_TOKEN and HYBRID_RUNNER_AGENT_ID).',
      EXIT.usage,
    );
  }
  const stage = readStageFile(file);
  return { url: url ?? stage.url, token: token ?? stage.token, agentId: agentId ?? stage.agentId };
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof BridgeRequestError) return EXIT.operationFailed;
  if (error instanceof BridgeTimeoutError) return EXIT.timeout;
  if (error instanceof BridgeAuthError || error instanceof BridgeConnectionError) return EXIT.unreachable;
  return EXIT.operationFailed;
}

export class CollateSession {
  readonly client: BridgeClient;
  readonly timeoutMs: number;
  private constructor(client: BridgeClient, timeoutMs: number) {
    this.client = client;
    this.timeoutMs = timeoutMs;
  }

  static async open(target: BridgeTarget, timeoutMs: number): Promise<CollateSession> {
    try {
      const client = await BridgeClient.connect(target.url, {
        token: target.token,
        agentId: target.agentId,
        requestTimeoutMs: timeoutMs,
        reconnect: { maxAttempts: 3 },
      });
      return new CollateSession(client, timeoutMs);
    } catch (error) {
      // Nothing answers: say what to do (a stopped `npm start` leaves no stage file, a killed one may).
      if (error instanceof BridgeConnectionError) {
        throw new CliError(
          `${error.message}. Is the runner running? Start the local stage with \`npm start\`, or point --url (or HYBRID_RUNNER_URL) at a runner.`,
          EXIT.unreachable,
          { cause: error },
        );
      }
      throw error;
    }
  }

  request<Op extends OperationName>(op: Op, payload: OperationPayload<Op>): Promise<OperationResult<Op>> {
    return this.client.request(op, payload, { timeoutMs: this.timeoutMs });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

function readDocument(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read ${what} file ${path}: ${(error as Error).message}`, EXIT.usage);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new CliError(
      `${path} is not valid YAML or JSON${parseErrorPosition(error)}: fix the syntax there.`,
      EXIT.usage,
    );
  }
  if (!document || typeof document !== 'object' || Array.isArray(document)) {
    throw new CliError(`${path} must hold a YAML or JSON object (see examples/).`, EXIT.usage);
  }
  return document as Record<string, unknown>;
}

/** A deploy file holds `pipeline` and `workflowConfig` (see examples/mysql-metadata.yaml). */
export function readPipelineFile(path: string): {
  pipeline: Pipeline;
  workflowConfig: Record<string, unknown> | string;
} {
  const document = readDocument(path, 'pipeline');
  const { pipeline, workflowConfig } = document;
  if (!pipeline || typeof pipeline !== 'object') {
    throw new CliError(
      `${path} has no "pipeline" object (name, fullyQualifiedName, pipelineType).`,
      EXIT.usage,
    );
  }
  if (!workflowConfig || (typeof workflowConfig !== 'object' && typeof workflowConfig !== 'string')) {
    throw new CliError(
      `${path} has no "workflowConfig" (the OpenMetadata workflow configuration).`,
      EXIT.usage,
    );
  }
  return {
    pipeline: pipeline as Pipeline,
    workflowConfig: workflowConfig as Record<string, unknown> | string,
  };
}

/**
 * The pipeline object for commands that name a pipeline by FQN: the one last deployed from this machine,
 * else one built from the FQN and --type.
 */
export function pipelineFor(fqn: string, type: string | undefined): Pipeline {
  const remembered = recalledPipeline(fqn);
  if (remembered && !type) return remembered;
  const pipelineType = type ?? 'metadata';
  if (!(PIPELINE_TYPES as readonly string[]).includes(pipelineType)) {
    throw new CliError(
      `--type must be one of ${PIPELINE_TYPES.join(', ')}; got "${pipelineType}".`,
      EXIT.usage,
    );
  }
  const name = fqn.split('.').at(-1) || fqn;
  return { ...(remembered ?? {}), name, fullyQualifiedName: fqn, pipelineType: pipelineType as PipelineType };
}

const FINAL_STATES = new Set(['success', 'failed', 'partialSuccess', 'stopped']);

function logText(result: Record<string, unknown>): string {
  return Object.entries(result)
    .filter(([key, value]) => key !== 'total' && key !== 'after' && typeof value === 'string')
    .map(([, value]) => value as string)
    .join('');
}

/** Every log chunk of a run, in order. */
export async function fetchAllLogs(
  session: CollateSession,
  pipeline: Pipeline,
  runId: string | undefined,
  onChunk: (text: string) => void,
): Promise<number> {
  let after: string | undefined;
  let chunks = 0;
  do {
    const result = await session.request('getIngestionLogs', {
      pipeline,
      ...(runId ? { runId } : {}),
      ...(after ? { after } : {}),
    });
    onChunk(logText(result as Record<string, unknown>));
    chunks++;
    after = (result as { after?: string }).after;
  } while (after);
  return chunks;
}

/**
 * Follows a run: status events as they arrive (polling getPipelineStatus as a fallback, since events come
 * from the heartbeat) and new log text. Log cursors are opaque, so the follower re-reads the last, still
 * growing chunk from the cursor that opened it and prints only what it has not printed yet.
 */
export async function followRun(
  session: CollateSession,
  pipeline: Pipeline,
  runId: string,
  out: Output,
  options: { pollMs?: number; deadlineMs?: number } = {},
): Promise<string> {
  const pollMs = options.pollMs ?? 1000;
  const deadline = Date.now() + (options.deadlineMs ?? 6 * 3600 * 1000);
  let lastState: string | undefined;
  let finalState: string | undefined;
  const report = (state: string, reason: string | undefined, via: string) => {
    if (state === lastState) return;
    lastState = state;
    out.item(
      { type: 'status', runId, pipelineState: state, reason, via },
      `${FINAL_STATES.has(state) && state !== 'success' ? mark.fail(state) : mark.ok(state)}${reason ? ` — ${reason}` : ''}`,
    );
    if (FINAL_STATES.has(state)) finalState = state;
  };
  const off = session.client.on('pipelineStatus', (event: PipelineStatusPayload) => {
    if (event.runId === runId) report(event.pipelineState, event.reason, 'event');
  });
  let cursor: string | undefined;
  let printedInChunk = 0;
  const printNewLogs = async () => {
    for (;;) {
      let result: Record<string, unknown>;
      try {
        result = (await session.request('getIngestionLogs', {
          pipeline,
          runId,
          ...(cursor ? { after: cursor } : {}),
        })) as Record<string, unknown>;
      } catch (error) {
        if (error instanceof BridgeRequestError && error.code === 'not_found') return; // pod not started yet
        throw error;
      }
      const text = logText(result);
      if (text.length > printedInChunk) {
        out.item(
          { type: 'log', runId, text: text.slice(printedInChunk) },
          text.slice(printedInChunk).replace(/\n$/, ''),
        );
      }
      const next = result.after as string | undefined;
      if (!next) {
        printedInChunk = Math.max(printedInChunk, text.length);
        return;
      }
      cursor = next;
      printedInChunk = 0;
    }
  };
  try {
    while (!finalState) {
      if (Date.now() > deadline) throw new CliError(`Run ${runId} did not finish in time.`, EXIT.timeout);
      const status = await session.request('getPipelineStatus', { pipeline, limit: 20 });
      const run = status.runs.find((r) => r.runId === runId);
      // A state, then the logs written since; a final state only after the logs that led to it.
      const ended = run !== undefined && FINAL_STATES.has(run.pipelineState);
      if (run && !ended) report(run.pipelineState, run.reason, 'poll');
      await printNewLogs();
      if (run && ended) report(run.pipelineState, run.reason, 'poll');
      if (!finalState) await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    await printNewLogs();
    return finalState;
  } finally {
    off();
  }
}

export { rememberPipeline };
