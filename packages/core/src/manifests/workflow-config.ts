// Workflow config (the `config` env of the pod, stored in the Secret): parsing what Collate sends and
// completing its server connection (host, bot token, secrets manager) for ingestion, automations and
// applications.
import type { Application, AutomationWorkflow, Pipeline } from '@hybrid-runner/protocol';
import { parse as parseYaml } from 'yaml';
import { BadRequestError } from '../errors.ts';
import type { RunnerSettings } from '../settings.ts';
import type { Json } from './json.ts';
import { isObject } from './json.ts';
import { podConfigText } from './pod-config-text.ts';

export interface ServerConnectionOptions {
  settings: RunnerSettings;
  /** The ingestion bot's JWT: written into the config Secret only. */
  botToken: string;
}

export interface RenderWorkflowConfigOptions extends ServerConnectionOptions {
  pipeline: Pipeline;
  /** Defaults to the config's own value, else false. */
  enableStreamableLogs?: boolean;
  /** The IngestionRunner entity name; defaults to the runner's agent id. */
  ingestionRunnerName?: string;
}

/** Parses a workflow config given as an object, a JSON string or a YAML string. */
export function parseWorkflowConfig(workflowConfig: unknown, field = 'payload.workflowConfig'): Json {
  let parsed: unknown = workflowConfig;
  if (typeof workflowConfig === 'string') {
    try {
      parsed = parseYaml(workflowConfig); // YAML 1.2 is a superset of JSON
    } catch (error) {
      // The parser's message quotes the offending text, which may hold a secret: keep only the position.
      throw new BadRequestError(
        `${field} is neither valid JSON nor valid YAML${parseErrorPosition(error)}: send the config as an object.`,
      );
    }
  }
  if (!isObject(parsed)) {
    throw new BadRequestError(
      `${field} must be an object (or a JSON/YAML string of one) with source, sink and workflowConfig.`,
    );
  }
  return structuredClone(parsed);
}

/**
 * Where a YAML or JSON parse error is, as ` (line 3, column 7: CODE)` (or `''`), never the parser's own
 * message: both parsers quote the offending source text there, and a config or values file holds secrets
 * (the bot JWT, ECR keys, connection passwords). Every place that reports a parse error uses this.
 */
export function parseErrorPosition(error: unknown): string {
  if (!(error instanceof Error)) return '';
  const { linePos, code } = error as { linePos?: Array<{ line: number; col: number }>; code?: unknown };
  const position = linePos?.[0];
  if (position) {
    const kind = typeof code === 'string' && /^[A-Z_]+$/.test(code) ? `: ${code}` : '';
    return ` (line ${position.line}, column ${position.col}${kind})`;
  }
  // JSON.parse: V8 may end its message with the position; only those numbers, read from the very end.
  const json = /JSON at position (\d+)(?: \(line (\d+) column (\d+)\))?$/.exec(error.message);
  if (!json) return '';
  return json[2] ? ` (line ${json[2]}, column ${json[3]})` : ` (at character ${json[1]})`;
}

/** `https://<serverHost>/api` (http when secure protocols are off). */
export function serverApiUrl(settings: RunnerSettings): string {
  return `${settings.useSecureProtocols ? 'https' : 'http'}://${settings.serverHost}/api`;
}

/** OpenMetadata's secretsManagerProvider / secretsManagerLoader for the runner's secrets manager. */
export function secretsManagerConfig(settings: RunnerSettings): {
  secretsManagerProvider: string;
  secretsManagerLoader: string;
} {
  // Loader `env`: the ingestion code reads the manager's client settings from the pod's environment
  // (AWS_DEFAULT_REGION for AWS; KUBERNETES_NAMESPACE / KUBERNETES_IN_CLUSTER for Kubernetes), and
  // credentials come from the default chain (IRSA / Pod Identity) or the in-cluster service account.
  return settings.secretsManager.provider === 'managed-aws'
    ? { secretsManagerProvider: 'aws', secretsManagerLoader: 'env' }
    : { secretsManagerProvider: 'kubernetes', secretsManagerLoader: 'env' };
}

/** Fills an OpenMetadata server connection: host, auth, bot token where missing; secrets manager always. */
function completeServerConnection(connection: unknown, options: ServerConnectionOptions): Json {
  const server: Json = isObject(connection) ? { ...connection } : {};
  server.hostPort ??= serverApiUrl(options.settings);
  server.authProvider ??= 'openmetadata';
  const security: Json = isObject(server.securityConfig) ? { ...server.securityConfig } : {};
  if (typeof security.jwtToken !== 'string' || security.jwtToken === '') security.jwtToken = options.botToken;
  server.securityConfig = security;
  Object.assign(server, secretsManagerConfig(options.settings));
  return server;
}

/**
 * The ingestion workflow config as the pod's `config` env expects it (podConfigText): the given config with
 * the server connection completed (bot token where it has none), secrets manager settings from the
 * runner, `ingestionPipelineFQN`, `enableStreamableLogs` and `ingestionRunnerName`.
 */
export function renderWorkflowConfig(workflowConfig: unknown, options: RenderWorkflowConfigOptions): string {
  const config = parseWorkflowConfig(workflowConfig);
  const workflow: Json = isObject(config.workflowConfig) ? { ...config.workflowConfig } : {};
  workflow.openMetadataServerConfig = completeServerConnection(workflow.openMetadataServerConfig, options);
  config.workflowConfig = workflow;
  config.ingestionPipelineFQN = options.pipeline.fullyQualifiedName;
  config.enableStreamableLogs =
    options.enableStreamableLogs ??
    (typeof config.enableStreamableLogs === 'boolean' ? config.enableStreamableLogs : false);
  config.ingestionRunnerName = options.ingestionRunnerName ?? options.settings.agentId;
  return podConfigText(config);
}

/** The automation workflow JSON for `run_automation.py`, with `openMetadataServerConnection` completed. */
export function renderAutomationConfig(
  workflow: AutomationWorkflow,
  options: ServerConnectionOptions,
): string {
  const config = parseWorkflowConfig(workflow, 'payload.workflow');
  config.openMetadataServerConnection = completeServerConnection(
    config.openMetadataServerConnection,
    options,
  );
  return podConfigText(config);
}

/** The application config JSON for the applications runner, with its server connection completed. */
export function renderApplicationConfig(application: Application, options: ServerConnectionOptions): string {
  const config = parseWorkflowConfig(application, 'payload.application');
  const workflow: Json = isObject(config.workflowConfig) ? { ...config.workflowConfig } : {};
  workflow.openMetadataServerConfig = completeServerConnection(workflow.openMetadataServerConfig, options);
  config.workflowConfig = workflow;
  config.ingestionRunnerName ??= options.settings.agentId;
  return podConfigText(config);
}
