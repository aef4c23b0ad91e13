// Pieces of `collate` commands that read files or combine several answers.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { AutomationWorkflow, OperationResult } from '@hybrid-runner/protocol';
import { CliError, EXIT } from '../exit-codes.ts';
import { mark } from '../output.ts';
import type { CollateSession } from './collate.ts';

/** A test-connection file holds `workflow` (see examples/test-connection.yaml). */
export function readAutomationFile(path: string): AutomationWorkflow {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`Cannot read ${path} as YAML or JSON: ${(error as Error).message}`, EXIT.usage);
  }
  const workflow = (document as { workflow?: unknown } | null)?.workflow;
  if (!workflow || typeof workflow !== 'object') {
    throw new CliError(`${path} has no "workflow" object (id, name, workflowType, request).`, EXIT.usage);
  }
  return workflow as AutomationWorkflow;
}

export interface StatusReport {
  json: { ping: OperationResult<'ping'>; service: OperationResult<'getServiceStatus'> };
  human: string;
}

export async function statusReport(session: CollateSession): Promise<StatusReport> {
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
  return { json: { ping, service }, human: lines.join('\n') };
}
