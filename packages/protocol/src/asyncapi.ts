// The AsyncAPI 3.0 document of the bridge, generated from the zod validators so the published schema can
// never drift from what the runner enforces. `npx node packages/protocol/scripts/generate-asyncapi.ts`
// writes it to docs/asyncapi.json; a unit test fails when that file is out of date.
import { z } from 'zod';
import {
  DEFAULT_SECRET_PREFIX,
  EXTENSION_ERROR_CODES,
  V1_ERROR_CODES,
  EVENT_NAMES,
  MAX_MESSAGE_BYTES,
  OPERATIONS,
  PROTOCOL_VERSION,
} from './constants.ts';
import {
  FINAL_HANDSHAKE_STATUSES,
  FRAME_TOO_LARGE_CLOSE_CODE,
  HANDOVER_CLOSE_CODE,
  HANDSHAKE_HEADERS,
  MAX_CONNECTIONS_DURING_HANDOVER,
  OUTBOUND_MAX_FRAME_BYTES,
  OUTBOUND_PATH,
} from './outbound.ts';
import type { EventName, OperationName } from './constants.ts';
import {
  applicationSchema,
  automationWorkflowSchema,
  errorCodeSchema,
  errorResponseSchema,
  eventPayloadSchemas,
  idSchema,
  operationNameSchema,
  eventSchemaFor,
  okResponseSchemaFor,
  operationPayloadSchemas,
  operationResultSchemas,
  pipelineRunStatusSchema,
  pipelineSchema,
  pipelineStateSchema,
  pipelineTypeSchema,
  protocolErrorSchema,
  requestSchemaFor,
  workflowConfigSchema,
} from './schemas.ts';

type JsonObject = Record<string, unknown>;

const OPERATION_SUMMARIES: Record<OperationName, string> = {
  ping: 'Checks that the runner answers.',
  getServiceStatus: 'Reports whether the runner can reach the cluster and Argo Workflows.',
  deployPipeline: "Stores a pipeline's workflow config and creates or updates its schedule.",
  runPipeline: 'Starts a run now; the runner mints the run id unless one is given.',
  killIngestion: 'Stops running runs of a pipeline (one run when runId is given).',
  toggleIngestion: "Suspends or resumes a pipeline's schedule according to pipeline.enabled.",
  deletePipeline: "Removes a pipeline's runs, schedule and stored config.",
  getPipelineStatus: 'Lists the runs of a pipeline, newest first.',
  getIngestionLogs: 'Returns one chunk of the logs of a run (the latest when runId is absent).',
  runAutomationsWorkflow: 'Runs an automations workflow, e.g. a test connection.',
  runApplicationFlow: 'Runs an application.',
};

const EVENT_SUMMARIES: Record<EventName, string> = {
  runnerStatus: 'Heartbeat, at least every 5 minutes on every open connection.',
  pipelineStatus:
    'A run changed state, including runs that fail before their pod starts (image pull errors, ' +
    'unschedulable pods, deadlines).',
};

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Every named schema of the protocol, as JSON Schema (draft 7, the AsyncAPI schema format's base). */
function componentSchemas(): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  const add = (schema: z.ZodType, id: string) => registry.add(schema, { id });
  add(pipelineSchema, 'Pipeline');
  add(automationWorkflowSchema, 'AutomationWorkflow');
  add(applicationSchema, 'Application');
  add(workflowConfigSchema, 'WorkflowConfig');
  add(pipelineTypeSchema, 'PipelineType');
  add(pipelineStateSchema, 'PipelineState');
  add(pipelineRunStatusSchema, 'PipelineRunStatus');
  add(errorCodeSchema, 'ErrorCode');
  add(operationNameSchema, 'OperationName');
  add(idSchema, 'MessageId');
  add(protocolErrorSchema, 'ProtocolError');
  add(errorResponseSchema, 'ErrorResponse');
  for (const op of OPERATIONS) {
    add(operationPayloadSchemas[op], `${pascal(op)}Payload`);
    add(operationResultSchemas[op], `${pascal(op)}Result`);
    add(requestSchemaFor(op), `${pascal(op)}Request`);
    add(okResponseSchemaFor(op), `${pascal(op)}Response`);
  }
  for (const name of EVENT_NAMES) {
    add(eventPayloadSchemas[name], `${pascal(name)}Payload`);
    add(eventSchemaFor(name), `${pascal(name)}Event`);
  }
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-07',
    // Requests are described as senders may write them (optional fields, unknown fields allowed).
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
  });
  const result: Record<string, JsonObject> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    // Components are addressed by their place in the document, not by $id, and share its dialect.
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonObject;
    result[id] = rest;
  }
  return result;
}

const DESCRIPTION = `The bridge between Collate and the serverless hybrid ingestion runner (protocol v${PROTOCOL_VERSION}).

Collate opens a WebSocket with the headers \`Authorization: Bearer <ingestion bot JWT>\` and
\`X-Agent-Id: <agentId>\`; a wrong or missing token is refused with HTTP 401, a right token with another
agent id with HTTP 403. Frames are UTF-8 JSON text, one message per frame, at most ${MAX_MESSAGE_BYTES} bytes.

Every request \`{v, id, type, payload}\` gets exactly one response on the same connection, with the same
\`id\` and \`op\`: \`ok: true\` with a payload, or \`ok: false\` with an error. A request repeated with the
same id within 24 hours gets the first response again and is not executed twice. A frame that is not JSON
or has no usable id gets an error response with \`id: null\`; the connection stays open.

Error codes of v1: ${V1_ERROR_CODES.join(', ')}. Error messages are for people and never contain a secret.
Codes added since (${Object.keys(EXTENSION_ERROR_CODES).join(', ')}) are sent only to a sender that lists them in
the request's optional \`acceptErrorCodes\`; any other sender gets the v1 code each stands in for
(${Object.entries(EXTENSION_ERROR_CODES)
  .map(([code, standIn]) => `${code} → ${standIn}`)
  .join(', ')}), so a v1 client always receives a code it knows. \`throttled\`: the connection sent more
requests than the runner's per-connection rate limit allows; the request was not run and its id not
remembered, and \`error.retryAfterMs\` says when to send it again with the same id.

A source address outside the runner's allowed CIDRs is refused at the handshake with HTTP 403.
A \`secret:\` reference in a payload must lie under the configured prefix (default
\`${DEFAULT_SECRET_PREFIX}\`) and exist, otherwise the answer is secret_reference_invalid.

The runner sends an event at least every 5 minutes; clients reconnect before API Gateway's 2-hour limit.

Outbound transport (stage \`bridge.mode: outbound\`, servers \`collate\` and \`localCollateSide\`): the runner is
the client and Collate the server, as with the published runner's pod, so the customer opens no endpoint. The
runner dials \`wss://<serverHost>${OUTBOUND_PATH}\` (the default; the stage's \`bridge.outbound.url\` replaces
it) with the same two headers, \`${HANDSHAKE_HEADERS.authorization}: Bearer <ingestion bot JWT>\` and
\`${HANDSHAKE_HEADERS.agentId}: <agentId>\`. Collate answers a wrong token with HTTP 401 and another agent id with
HTTP 403; the runner never retries a ${FINAL_HANDSHAKE_STATUSES.join(' or ')} (it raises an alarm instead). Any other
failure (unreachable, 5xx, a timeout, a dropped connection) is retried with exponential backoff and equal jitter:
the ceiling starts at 1 s and doubles up to 30 s; each delay is half the ceiling plus a random part of the other
half. Every message and rule above stays as it is: Collate sends the requests, the runner answers each one on the connection it came from and sends the events.
A request above ${MAX_MESSAGE_BYTES} bytes and up to ${OUTBOUND_MAX_FRAME_BYTES} gets payload_too_large and the connection stays
open; a larger frame closes it with ${FRAME_TOO_LARGE_CLOSE_CODE}.

Handover (outbound): one runner connection lives at most 15 minutes (one Lambda invocation); its successor connects
before it leaves, so Collate must accept ${MAX_CONNECTIONS_DURING_HANDOVER} connections from one agent at once. Collate sends each new request on
the newest connection, expects every answer on the connection its request went out on, and accepts events from
every connection of the agent. Once its successor is connected, the old connection starts no new heartbeat,
answers the requests in flight on it (and any that still reach it), and closes with ${HANDOVER_CLOSE_CODE}. A request whose
connection closed before its answer came is sent again, same id, on the newest connection: the runner answers a
repeated id with its first response and never runs it twice. runnerStatus reports \`connections: 1\` (the
runner's own socket). API Gateway's idle timeout and 2-hour limit do not apply to this transport.`;

/** Builds the AsyncAPI 3.0 document, describing the runner's side of the bridge. */
export function buildAsyncApiDocument(): JsonObject {
  const channelRef = { $ref: '#/channels/bridge' };
  const messageRef = (key: string) => ({ $ref: `#/channels/bridge/messages/${key}` });
  const messages: Record<string, JsonObject> = {};
  const operations: Record<string, JsonObject> = {};

  for (const op of OPERATIONS) {
    messages[`${op}Request`] = {
      name: `${op}Request`,
      title: `${op} request`,
      summary: OPERATION_SUMMARIES[op],
      payload: { $ref: `#/components/schemas/${pascal(op)}Request` },
    };
    messages[`${op}Response`] = {
      name: `${op}Response`,
      title: `${op} response`,
      payload: { $ref: `#/components/schemas/${pascal(op)}Response` },
    };
    operations[op] = {
      action: 'receive',
      title: op,
      summary: OPERATION_SUMMARIES[op],
      channel: channelRef,
      messages: [messageRef(`${op}Request`)],
      reply: { channel: channelRef, messages: [messageRef(`${op}Response`), messageRef('errorResponse')] },
    };
  }
  messages['errorResponse'] = {
    name: 'errorResponse',
    title: 'Error response',
    summary: 'The answer to a request that failed, or to a frame that could not be read (id null).',
    payload: { $ref: '#/components/schemas/ErrorResponse' },
  };
  for (const name of EVENT_NAMES) {
    messages[`${name}Event`] = {
      name: `${name}Event`,
      title: `${name} event`,
      summary: EVENT_SUMMARIES[name],
      payload: { $ref: `#/components/schemas/${pascal(name)}Event` },
    };
    operations[`send${pascal(name)}`] = {
      action: 'send',
      title: `${name} event`,
      summary: EVENT_SUMMARIES[name],
      channel: channelRef,
      messages: [messageRef(`${name}Event`)],
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Hybrid ingestion runner bridge',
      version: `${PROTOCOL_VERSION}.0.0`,
      description: DESCRIPTION,
    },
    defaultContentType: 'application/json',
    servers: {
      aws: {
        host: '{apiId}.execute-api.{region}.amazonaws.com',
        pathname: '/{stage}',
        protocol: 'wss',
        title: 'API Gateway WebSocket API',
        variables: {
          apiId: { description: 'The WebSocket API id that `sst deploy` prints.' },
          region: { description: 'AWS region of the stage.', default: 'eu-west-1' },
          stage: { description: 'API Gateway stage name.' },
        },
        security: [{ $ref: '#/components/securitySchemes/botToken' }],
      },
      local: {
        host: '127.0.0.1:{port}',
        protocol: 'ws',
        title: 'Local stage (npm start)',
        variables: { port: { description: 'The port the local stage prints when it starts.' } },
        security: [{ $ref: '#/components/securitySchemes/botToken' }],
      },
      collate: {
        host: '{serverHost}',
        pathname: OUTBOUND_PATH,
        protocol: 'wss',
        title: 'Collate server (outbound mode: the runner dials out)',
        description:
          'With `bridge.mode: outbound` Collate is the server and the runner connects to it, sending the ' +
          'handshake headers itself; see "Outbound transport" and "Handover" in the description.',
        variables: {
          serverHost: {
            description: "The Collate server host (the stage's serverHost), e.g. acme.getcollate.io.",
          },
        },
        security: [{ $ref: '#/components/securitySchemes/botToken' }],
      },
      localCollateSide: {
        host: '127.0.0.1:{port}',
        pathname: OUTBOUND_PATH,
        protocol: 'ws',
        title: 'Collate-side stand-in of the local stage (BRIDGE_MODE=outbound npm start)',
        description:
          'A stand-in written for this project, not the Collate server: the local keeper dials it, and the ' +
          'CLI acts as Collate through it.',
        variables: { port: { description: 'The port the local stage prints for the Collate side.' } },
        security: [{ $ref: '#/components/securitySchemes/botToken' }],
      },
    },
    channels: {
      bridge: {
        address: '/',
        title: 'Bridge connection',
        description: 'One WebSocket connection carries requests, responses and events.',
        messages: Object.fromEntries(
          Object.keys(messages).map((key) => [key, { $ref: `#/components/messages/${key}` }]),
        ),
        bindings: {
          ws: {
            method: 'GET',
            headers: {
              type: 'object',
              properties: {
                [HANDSHAKE_HEADERS.authorization]: {
                  type: 'string',
                  pattern: '^Bearer .+',
                  description: 'The ingestion bot JWT (sent by Collate inbound, by the runner outbound).',
                },
                [HANDSHAKE_HEADERS.agentId]: {
                  type: 'string',
                  minLength: 1,
                  description: "The runner's agent id (sent by Collate inbound, by the runner outbound).",
                },
              },
              required: [HANDSHAKE_HEADERS.authorization, HANDSHAKE_HEADERS.agentId],
            },
            bindingVersion: '0.1.0',
          },
        },
      },
    },
    operations,
    components: {
      schemas: componentSchemas(),
      messages,
      securitySchemes: {
        botToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "The ingestion bot's JWT, in the Authorization header of the handshake (never the URL).",
        },
      },
    },
  };
}

/** The document as checked in: stable key order, two-space indent, trailing newline. */
export function renderAsyncApiDocument(): string {
  return `${JSON.stringify(buildAsyncApiDocument(), null, 2)}\n`;
}
