// Names fixed by the bridge protocol v1 (../shared/design/bridge-protocol.md). One place for each list.

export const PROTOCOL_VERSION = 1;

/** API Gateway's WebSocket message limit; no frame in either direction may exceed it. */
export const MAX_MESSAGE_BYTES = 128 * 1024;

/** The error codes of protocol v1 as published: every client knows these, and only these. */
export const V1_ERROR_CODES = [
  'bad_request',
  'unknown_operation',
  'unsupported_version',
  'payload_too_large',
  'not_found',
  'conflict',
  'secret_reference_invalid',
  'cluster_unavailable',
  'internal',
] as const;
export type V1ErrorCode = (typeof V1_ERROR_CODES)[number];

/**
 * Error codes added since v1, each with the v1 code it stands in for. The runner sends an added code only to a
 * sender that lists it in the request's `acceptErrorCodes`; any other sender gets the v1 code, so a client
 * written to the published list always receives a code it knows.
 */
export const EXTENSION_ERROR_CODES = {
  // "Not now, nothing was done, send it again later": what cluster_unavailable already tells a v1 client.
  throttled: 'cluster_unavailable',
} as const satisfies Record<string, V1ErrorCode>;
export type ExtensionErrorCode = keyof typeof EXTENSION_ERROR_CODES;

export const ERROR_CODES = [...V1_ERROR_CODES, 'throttled'] as const satisfies readonly (
  V1ErrorCode | ExtensionErrorCode
)[];
export type ErrorCode = (typeof ERROR_CODES)[number];

export const OPERATIONS = [
  'ping',
  'getServiceStatus',
  'deployPipeline',
  'runPipeline',
  'killIngestion',
  'toggleIngestion',
  'deletePipeline',
  'getPipelineStatus',
  'getIngestionLogs',
  'runAutomationsWorkflow',
  'runApplicationFlow',
] as const;
export type OperationName = (typeof OPERATIONS)[number];

export const PIPELINE_TYPES = [
  'metadata',
  'usage',
  'lineage',
  'profiler',
  'autoClassification',
  'TestSuite',
  'dataInsight',
  'elasticSearchReindex',
  'dbt',
  'application',
] as const;
export type PipelineType = (typeof PIPELINE_TYPES)[number];

export const PIPELINE_STATES = [
  'queued',
  'running',
  'success',
  'failed',
  'partialSuccess',
  'stopped',
] as const;
export type PipelineState = (typeof PIPELINE_STATES)[number];

export const EVENT_NAMES = ['runnerStatus', 'pipelineStatus'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** Default prefix under which `secret:` references must lie. */
export const DEFAULT_SECRET_PREFIX = '/collate/hybrid-ingestion-runner/';
