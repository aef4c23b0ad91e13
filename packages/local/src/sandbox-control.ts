// The local stage's control endpoint: lets people (and the end-to-end test) script how the simulated
// Argo controller runs a pipeline's workflows — fail, never pull its image, stay unschedulable, run slowly,
// lose its first pod to a node interruption —
// through `hybrid-runner sandbox scenario`, and serves the stage's metrics snapshot to
// `hybrid-runner collate status` (GET /_local/metrics). Plain HTTP on 127.0.0.1 only, behind the stage's token.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { secretsEqual } from '@hybrid-runner/aws';
import { TEMPLATES, pipelineSelector } from '@hybrid-runner/core';
import type { Scenario, SimulatedArgoController } from '@hybrid-runner/k8s-emulator';
import { SANDBOX_OUTCOMES, SANDBOX_SCENARIOS_PATH } from '@hybrid-runner/cli';
import type { SandboxScenarioRequest } from '@hybrid-runner/cli';

/** How long a `slow` run takes when no duration is given: long enough to kill it by hand. */
export const DEFAULT_SLOW_RUN_SECONDS = 300;

// The endpoint's contract lives with its client (packages/cli/src/commands/sandbox.ts); this validates it.
export const sandboxScenarioRequestSchema = z.strictObject({
  pipelineFqn: z.string().min(1, 'must name the pipeline (its fullyQualifiedName)'),
  outcome: z.enum(SANDBOX_OUTCOMES, { error: `must be one of ${SANDBOX_OUTCOMES.join(', ')}` }),
  durationSeconds: z.number().positive('must be a positive number of seconds').max(86_400).optional(),
  message: z.string().max(1000).optional(),
});

/** The controller scenario for a request; it applies to the pipeline's main pods (exit handlers run normally). */
export function scenarioFor(request: SandboxScenarioRequest): Scenario {
  const durationMs =
    request.durationSeconds !== undefined
      ? request.durationSeconds * 1000
      : request.outcome === 'slow'
        ? DEFAULT_SLOW_RUN_SECONDS * 1000
        : undefined;
  const base: Scenario = {
    templateName: TEMPLATES.main,
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(request.message !== undefined ? { message: request.message } : {}),
  };
  switch (request.outcome) {
    case 'succeed':
    case 'slow':
      return { ...base, outcome: 'succeed' };
    case 'fail':
      return { ...base, outcome: 'fail', exitCode: 1 };
    case 'image-pull-error':
      return { ...base, outcome: 'imagePullError' };
    case 'unschedulable':
      return { ...base, outcome: 'unschedulable' };
    case 'evicted-once':
      return { ...base, outcome: 'evictedOnce' };
  }
}

/** Where the local stage serves its metrics snapshot (JSON), on the control endpoint. */
export const LOCAL_METRICS_PATH = '/_local/metrics';

export interface SandboxControl {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  // The bridge's comparison (hashes first), so the token's length does not show in the timing either.
  return secretsEqual(/^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? '', token);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 16 * 1024) throw new Error('the body is over 16 KiB');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new Error('the body is not JSON');
  }
}

export async function startSandboxControl(options: {
  /** The sandbox cluster's Argo stand-in; absent with a real cluster (scenarios then answer 404). */
  controller?: SimulatedArgoController;
  token: string;
  port?: number;
  /** The metrics snapshot to serve on LOCAL_METRICS_PATH; absent: that route answers 404. */
  metrics?: () => unknown;
}): Promise<SandboxControl> {
  // One scenario per pipeline: a new one replaces the previous.
  const active = new Map<string, { remove(): void }>();

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://sandbox').pathname;
    const routes = [
      ...(options.controller ? [`POST ${SANDBOX_SCENARIOS_PATH}`] : []),
      ...(options.metrics ? [`GET ${LOCAL_METRICS_PATH}`] : []),
    ];
    const served =
      (path === SANDBOX_SCENARIOS_PATH && options.controller) ||
      (path === LOCAL_METRICS_PATH && options.metrics);
    if (!served) {
      return send(response, 404, {
        error: `No route ${path}; ${routes.join(' or ') || 'nothing is served'}.`,
      });
    }
    if (!bearerMatches(request.headers.authorization, options.token)) {
      return send(response, 401, { error: 'Send the local stage token as "Authorization: Bearer <token>".' });
    }
    if (path === LOCAL_METRICS_PATH && options.metrics) {
      if (request.method !== 'GET') return send(response, 405, { error: `GET ${LOCAL_METRICS_PATH}.` });
      return send(response, 200, options.metrics());
    }
    const controller = options.controller;
    if (!controller) return send(response, 404, { error: `No route ${path}.` });
    if (request.method !== 'POST') return send(response, 405, { error: `POST ${SANDBOX_SCENARIOS_PATH}.` });
    let body: unknown;
    try {
      body = await readJson(request);
    } catch (error) {
      return send(response, 400, { error: `Bad request: ${(error as Error).message}.` });
    }
    const parsed = sandboxScenarioRequestSchema.safeParse(body);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || '(body)'} ${issue.message}`,
      );
      return send(response, 400, { error: `Bad request: ${problems.join('; ')}.` });
    }
    const scenario = scenarioFor(parsed.data satisfies SandboxScenarioRequest);
    const labelSelector = pipelineSelector(parsed.data.pipelineFqn);
    active.get(parsed.data.pipelineFqn)?.remove();
    active.set(parsed.data.pipelineFqn, controller.setScenario({ labelSelector }, scenario));
    send(response, 200, { ...parsed.data, labelSelector, appliesTo: 'runs started from now on' });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { error: (error as Error).message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
