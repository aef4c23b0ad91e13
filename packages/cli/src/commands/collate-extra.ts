// Pieces of `collate` commands that read files or combine several answers.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseErrorPosition } from '@hybrid-runner/core';
import type { AutomationWorkflow, OperationResult } from '@hybrid-runner/protocol';
import type { MetricsSnapshot } from '@hybrid-runner/observability';
import { CliError, EXIT } from '../exit-codes.ts';
import { mark } from '../output.ts';
import type { CollateSession } from './collate.ts';

/** A test-connection file holds `workflow` (see examples/test-connection.yaml). */
export function readAutomationFile(path: string): AutomationWorkflow {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(
      `Cannot read ${path} as YAML or JSON${parseErrorPosition(error)}: fix the syntax there.`,
      EXIT.usage,
    );
  }
  const workflow = (document as { workflow?: unknown } | null)?.workflow;
  if (!workflow || typeof workflow !== 'object') {
    throw new CliError(`${path} has no "workflow" object (id, name, workflowType, request).`, EXIT.usage);
  }
  return workflow as AutomationWorkflow;
}

export interface StatusReport {
  json: {
    ping: OperationResult<'ping'>;
    service: OperationResult<'getServiceStatus'>;
    /** The local stage's metrics, when it is the runner asked and it serves them. */
    metrics?: MetricsSnapshot;
  };
  human: string;
}

/** Where the local stage serves its metrics (the stage file names it) and the token it wants. */
export interface LocalMetricsSource {
  url: string;
  token: string;
}

/** The local stage's metrics snapshot (GET, bearer token); a clear error when it cannot be read. */
export async function fetchLocalMetrics(
  source: LocalMetricsSource,
  timeoutMs = 5_000,
): Promise<MetricsSnapshot> {
  let response: Response;
  try {
    response = await fetch(source.url, {
      headers: { authorization: `Bearer ${source.token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new Error(
      `the local stage's metrics at ${source.url} are unreachable (${(error as Error).message})`,
    );
  }
  if (!response.ok) {
    throw new Error(`the local stage's metrics at ${source.url} answered HTTP ${response.status}`);
  }
  const body = (await response.json()) as Partial<MetricsSnapshot> | null;
  if (!body || typeof body.since !== 'string' || !Array.isArray(body.metrics)) {
    throw new Error(`the local stage's metrics at ${source.url} are not a metrics snapshot`);
  }
  return body as MetricsSnapshot;
}

export async function statusReport(
  session: CollateSession,
  options: { localMetrics?: LocalMetricsSource } = {},
): Promise<StatusReport> {
  const [ping, service] = await Promise.all([
    session.request('ping', {}),
    session.request('getServiceStatus', {}),
  ]);
  const healthy = service.status === 'healthy';
  const lines = [
    mark.ok(`runner ${ping.agentId} answers (version ${ping.version})`),
    (healthy ? mark.ok : mark.fail)(
      `${service.platform} ${service.status}${service.version ? ` (${service.version})` : ''}${service.reason ? ` — ${service.reason}` : ''}`,
    ),
  ];
  const json: StatusReport['json'] = { ping, service };
  if (options.localMetrics) {
    try {
      json.metrics = await fetchLocalMetrics(options.localMetrics);
      // Loaded only here: the package brings Powertools, which `collate` commands otherwise start without.
      const { formatMetricsSnapshot } = await import('@hybrid-runner/observability');
      lines.push('', formatMetricsSnapshot(json.metrics));
    } catch (error) {
      // The runner's health is the answer; metrics are extra, so their absence is a warning.
      lines.push(mark.warn(`no metrics: ${(error as Error).message}`));
    }
  }
  return { json, human: lines.join('\n') };
}

/** `collate runs`: a pipeline's runs, newest first, one line each. */
export function formatRuns(runs: OperationResult<'getPipelineStatus'>['runs']): string {
  if (runs.length === 0) return 'no runs';
  const when = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());
  return runs
    .map((run) => {
      const line = `${run.runId}  ${run.pipelineState.padEnd(14)}  started ${when(run.startDate)}  ended ${when(run.endDate)}`;
      const state = ['failed', 'stopped'].includes(run.pipelineState) ? mark.fail(line) : mark.ok(line);
      return run.reason ? `${state}\n    ${run.reason}` : state;
    })
    .join('\n');
}
