// zod validators for every message of the bridge protocol v1 (../shared/design/bridge-protocol.md), and the
// types inferred from them. These validators are the single source of the contract: parseFrame checks
// requests with them, the client checks responses and events with them, and docs/asyncapi.json is
// generated from them.
import { z } from 'zod';
import {
  ERROR_CODES,
  EVENT_NAMES,
  MAX_MESSAGE_BYTES,
  OPERATIONS,
  PIPELINE_STATES,
  PIPELINE_TYPES,
  PROTOCOL_VERSION,
} from './constants.ts';
import type { EventName, OperationName } from './constants.ts';

/** Request ids (and ids the sender chooses, such as a run id): 1–128 characters of `[A-Za-z0-9._:-]`. */
export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const MAX_ID_LENGTH = 128;
/** Upper bound of `getPipelineStatus.limit`. */
export const MAX_STATUS_LIMIT = 1000;

export const idSchema = z
  .string()
  .regex(ID_PATTERN)
  .describe('1–128 characters of [A-Za-z0-9._:-], chosen by the sender, unique per request');

const nonEmpty = z.string().min(1);
/** Epoch milliseconds, as OpenMetadata's pipeline status carries them. */
const epochMillis = z.number().int().nonnegative().describe('Unix epoch milliseconds');
/** Objects whose unknown fields are kept: they belong to Collate and the runner passes them on. */
const anyObject = z.record(z.string(), z.unknown());

export const pipelineTypeSchema = z.enum(PIPELINE_TYPES);
export const pipelineStateSchema = z.enum(PIPELINE_STATES);
export const errorCodeSchema = z.enum(ERROR_CODES);
export const operationNameSchema = z.enum(OPERATIONS);
export const eventNameSchema = z.enum(EVENT_NAMES);

// ---------------------------------------------------------------------------------------------------
// Entities Collate sends. Unknown fields are allowed and kept (looseObject): the runner ignores what it
// does not need but may pass the whole object on (for example into an automation's config).

export const airflowConfigSchema = z.looseObject({
  // Collate serialises an unset schedule or zone as null as well as leaving it out: both mean "none".
  scheduleInterval: z
    .string()
    .nullish()
    .describe('Cron expression or @hourly/@daily/@weekly/@monthly/@yearly; absent or null: not scheduled'),
  pipelineTimezone: z.string().nullish().describe('IANA time zone of the schedule, e.g. Europe/Paris'),
});

export const pipelineSchema = z
  .looseObject({
    name: nonEmpty,
    fullyQualifiedName: nonEmpty,
    pipelineType: pipelineTypeSchema,
    enabled: z.boolean().optional().describe('Default true; toggleIngestion uses it'),
    airflowConfig: airflowConfigSchema.optional(),
  })
  .describe('An ingestion pipeline as the Collate server has it; unknown fields are allowed and ignored');
export type Pipeline = z.infer<typeof pipelineSchema>;

export const automationWorkflowSchema = z
  .looseObject({
    id: z.string().optional(),
    name: nonEmpty,
    workflowType: nonEmpty.describe('For example TEST_CONNECTION'),
    request: anyObject.describe('What the automation works on, e.g. the connection to test'),
  })
  .describe('An automations workflow (e.g. a test connection); unknown fields are kept');
export type AutomationWorkflow = z.infer<typeof automationWorkflowSchema>;

export const applicationSchema = z
  .looseObject({
    id: z.string().optional(),
    name: nonEmpty,
  })
  .describe('An application to run; unknown fields are kept');
export type Application = z.infer<typeof applicationSchema>;

/** A workflow config is the OpenMetadata workflow config, as an object or as its YAML/JSON text. */
export const workflowConfigSchema = z.union([anyObject, nonEmpty]);
export type WorkflowConfig = z.infer<typeof workflowConfigSchema>;

// ---------------------------------------------------------------------------------------------------
// Request payloads, one per operation. Unknown payload fields are accepted and dropped, so a newer
// Collate can send new optional fields to an older runner.

const withPipeline = { pipeline: pipelineSchema };

export const operationPayloadSchemas = {
  ping: z.object({}),
  getServiceStatus: z.object({}),
  deployPipeline: z.object({ ...withPipeline, workflowConfig: workflowConfigSchema }),
  runPipeline: z.object({
    ...withPipeline,
    workflowConfig: workflowConfigSchema.optional(),
    runId: idSchema.optional().describe('Run id to use; absent: the runner mints one'),
  }),
  killIngestion: z.object({
    ...withPipeline,
    runId: idSchema.optional().describe('Run to stop; absent: every running run of the pipeline'),
  }),
  toggleIngestion: z.object({ ...withPipeline }),
  deletePipeline: z.object({ ...withPipeline }),
  getPipelineStatus: z.object({
    ...withPipeline,
    limit: z.number().int().min(1).max(MAX_STATUS_LIMIT).optional().describe('Most runs to return'),
  }),
  getIngestionLogs: z.object({
    ...withPipeline,
    runId: idSchema.optional().describe('Absent: the latest run'),
    after: z.string().min(1).max(1024).optional().describe('Opaque cursor from the previous chunk'),
  }),
  runAutomationsWorkflow: z.object({ workflow: automationWorkflowSchema }),
  runApplicationFlow: z.object({ application: applicationSchema }),
} as const satisfies Record<OperationName, z.ZodType>;

export type OperationPayloadSchemas = typeof operationPayloadSchemas;
export type OperationPayload<Op extends OperationName> = z.infer<OperationPayloadSchemas[Op]>;

// ---------------------------------------------------------------------------------------------------
// Response payloads (runner → Collate, `ok: true`).

const code200 = z.literal(200);
const platform = z.literal('Argo');
const reason = z.string().optional().describe('Human-readable detail');
const runStarted = z.object({ code: code200, runId: nonEmpty, workflowName: nonEmpty });
const done = z.object({ code: code200, reason });

export const pipelineRunStatusSchema = z.object({
  runId: nonEmpty,
  pipelineState: pipelineStateSchema,
  startDate: epochMillis.optional(),
  endDate: epochMillis.optional(),
  timestamp: epochMillis,
  workflowName: nonEmpty,
  reason,
});
export type PipelineRunStatus = z.infer<typeof pipelineRunStatusSchema>;

export const ingestionLogsResultSchema = z
  .object({
    total: z.number().int().nonnegative().describe('Number of chunks'),
    after: z.string().min(1).optional().describe('Cursor of the next chunk; absent on the last one'),
  })
  .catchall(z.string())
  .describe('One log chunk: the log text under its task key (e.g. ingestion_task), plus total and after');

export const operationResultSchemas = {
  ping: z.object({ pong: z.literal(true), agentId: nonEmpty, version: nonEmpty }),
  getServiceStatus: z.object({
    code: code200,
    status: z.enum(['healthy', 'unhealthy']),
    platform,
    version: nonEmpty,
    reason,
  }),
  deployPipeline: z.object({ code: code200, platform, reason }),
  runPipeline: runStarted,
  killIngestion: done,
  toggleIngestion: done,
  deletePipeline: done,
  getPipelineStatus: z.object({ runs: z.array(pipelineRunStatusSchema).describe('Newest first') }),
  getIngestionLogs: ingestionLogsResultSchema,
  runAutomationsWorkflow: runStarted,
  runApplicationFlow: runStarted,
} as const satisfies Record<OperationName, z.ZodType>;

export type OperationResultSchemas = typeof operationResultSchemas;
/**
 * A log chunk as TypeScript can express it: zod's inferred type for "task keys are strings, except total"
 * has an index signature that contradicts `total`, so this one is written out.
 */
export type IngestionLogsResult = {
  total: number;
  after?: string;
  [taskKey: string]: string | number | undefined;
};
export type OperationResult<Op extends OperationName> = Op extends 'getIngestionLogs'
  ? IngestionLogsResult
  : z.infer<OperationResultSchemas[Op]>;

// ---------------------------------------------------------------------------------------------------
// Event payloads (runner → Collate).

export const runnerStatusPayloadSchema = z.object({
  agentId: nonEmpty,
  status: z.literal('active'),
  version: nonEmpty,
  connections: z.number().int().nonnegative().describe('Open bridge connections'),
  ecrCredentialsExpireAt: z.iso
    .datetime()
    .optional()
    .describe('When the registry pull credentials expire (ISO 8601)'),
});
export type RunnerStatusPayload = z.infer<typeof runnerStatusPayloadSchema>;

export const pipelineStatusPayloadSchema = z.object({
  pipelineFQN: nonEmpty,
  runId: nonEmpty,
  pipelineState: pipelineStateSchema,
  workflowName: nonEmpty,
  reason,
  timestamp: epochMillis,
});
export type PipelineStatusPayload = z.infer<typeof pipelineStatusPayloadSchema>;

export const eventPayloadSchemas = {
  runnerStatus: runnerStatusPayloadSchema,
  pipelineStatus: pipelineStatusPayloadSchema,
} as const satisfies Record<EventName, z.ZodType>;
export type EventPayload<E extends EventName> = z.infer<(typeof eventPayloadSchemas)[E]>;

// ---------------------------------------------------------------------------------------------------
// Envelopes.

export const protocolErrorSchema = z.object({
  code: errorCodeSchema,
  message: z.string().describe('For people: what was wrong and what to do; never a secret'),
  correlationId: z.string().optional().describe('Finds the matching runner log lines (internal errors)'),
  retryAfterMs: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('Send the same request (same id) again after this many milliseconds; set when throttled'),
});
export type ProtocolError = z.infer<typeof protocolErrorSchema>;

const version = z.literal(PROTOCOL_VERSION);

/** Request field naming the error codes added since v1 that the sender understands (extension codes). */
export const acceptErrorCodesSchema = z
  .array(z.string())
  .optional()
  .describe(
    'Error codes added since v1 that the sender understands, e.g. ["throttled"]; unknown entries are ignored. ' +
      'Without it, an added code is answered with the v1 code it stands in for.',
  );

/** The request envelope before the payload is checked against its operation. */
export const requestEnvelopeSchema = z.object({
  v: version,
  id: idSchema,
  type: operationNameSchema,
  payload: anyObject.optional().describe('Absent counts as {}'),
  acceptErrorCodes: acceptErrorCodesSchema,
});

export type BridgeRequest<Op extends OperationName = OperationName> = {
  [K in Op]: { v: typeof PROTOCOL_VERSION; id: string; type: K; payload: OperationPayload<K> };
}[Op];

export function requestSchemaFor<Op extends OperationName>(op: Op) {
  return z.object({
    v: version,
    id: idSchema,
    type: z.literal(op),
    payload: operationPayloadSchemas[op],
    acceptErrorCodes: acceptErrorCodesSchema,
  });
}

export function okResponseSchemaFor<Op extends OperationName>(op: Op) {
  return z.object({
    v: version,
    id: idSchema,
    type: z.literal('response'),
    op: z.literal(op),
    ok: z.literal(true),
    payload: operationResultSchemas[op],
  });
}

export const errorResponseSchema = z.object({
  v: version,
  id: idSchema.nullable().describe('null when the frame had no usable id'),
  type: z.literal('response'),
  op: operationNameSchema.optional().describe('Absent when the frame named no known operation'),
  ok: z.literal(false),
  error: protocolErrorSchema,
});
export type ErrorResponseMessage = z.infer<typeof errorResponseSchema>;

export type OkResponseMessage<Op extends OperationName = OperationName> = {
  [K in Op]: {
    v: typeof PROTOCOL_VERSION;
    id: string;
    type: 'response';
    op: K;
    ok: true;
    payload: OperationResult<K>;
  };
}[Op];

export type ResponseMessage<Op extends OperationName = OperationName> =
  OkResponseMessage<Op> | ErrorResponseMessage;

/** Any response as the client first sees it, before its payload is checked against its operation. */
export const responseEnvelopeSchema = z.object({
  v: version,
  id: idSchema.nullable(),
  type: z.literal('response'),
  op: operationNameSchema.optional(),
  ok: z.boolean(),
  payload: z.unknown().optional(),
  error: protocolErrorSchema.optional(),
});

export function eventSchemaFor<E extends EventName>(name: E) {
  return z.object({
    v: version,
    type: z.literal('event'),
    event: z.literal(name),
    payload: eventPayloadSchemas[name],
  });
}

export type EventMessage<E extends EventName = EventName> = {
  [K in E]: { v: typeof PROTOCOL_VERSION; type: 'event'; event: K; payload: EventPayload<K> };
}[E];

/** Any event as the client first sees it, before its payload is checked. */
export const eventEnvelopeSchema = z.object({
  v: version,
  type: z.literal('event'),
  event: z.string(),
  payload: z.unknown(),
});

export type BridgeMessage = ResponseMessage | EventMessage;

/** Re-exported so readers of the schemas see the limit next to them. */
export { MAX_MESSAGE_BYTES };
