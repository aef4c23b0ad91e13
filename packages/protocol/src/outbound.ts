// The outbound transport of protocol v1 (stage `bridge.mode: outbound`): the runner dials out to the Collate
// server, as the published runner's pod does, instead of Collate connecting in to API Gateway. The messages are
// those of the inbound transport, unchanged; these are the transport's own names, one place for each, used by
// the keeper (functions/lib/outbound-socket.ts, core's runKeeper), the Collate-side stand-in and the documents.

/** The Collate server's endpoint for hybrid runners: the default URL is `wss://<serverHost>` + this path. */
export const OUTBOUND_PATH = '/api/v1/hybrid-runner/ws';

/** The handshake headers the runner sends when it dials (the same two Collate sends inbound). */
export const HANDSHAKE_HEADERS = {
  /** `Bearer <ingestion bot JWT>`. */
  authorization: 'Authorization',
  /** The runner's agent id. */
  agentId: 'X-Agent-Id',
} as const;

/**
 * Handshake answers that end a keeper's dialling for good: a wrong bot token (401), another agent id (403).
 * Every other failure (unreachable, 5xx, timeouts) is retried with backoff.
 */
export const FINAL_HANDSHAKE_STATUSES = [401, 403] as const;
export type FinalHandshakeStatus = (typeof FINAL_HANDSHAKE_STATUSES)[number];

/** The close code of a keeper's socket after a handover (or at its end), once its in-flight requests are answered. */
export const HANDOVER_CLOSE_CODE = 1000;

/**
 * The largest frame the runner reads on its outbound socket. Up to this size an oversized request (above
 * MAX_MESSAGE_BYTES) gets `payload_too_large` and the connection stays open; above it the runner closes the
 * socket with FRAME_TOO_LARGE_CLOSE_CODE (RFC 6455's "message too big").
 */
export const OUTBOUND_MAX_FRAME_BYTES = 1024 * 1024;
export const FRAME_TOO_LARGE_CLOSE_CODE = 1009;

/** How many connections of one agent Collate must accept at once: the leaving keeper's and its successor's. */
export const MAX_CONNECTIONS_DURING_HANDOVER = 2;
