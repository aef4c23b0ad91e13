// Sends bridge messages to a connection through the API Gateway management API (PostToConnection).
import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { Sender } from '@hybrid-runner/core';
import { MAX_MESSAGE_BYTES } from '@hybrid-runner/protocol';
import { isRetryableSendFault, type ServiceFault } from './faults.ts';

export { isRetryableSendFault };

/**
 * The event API Gateway's WebSocket API sends to a route's Lambda (one shape for $connect, $disconnect and
 * $default; headers only on $connect). The local stage builds exactly this.
 */
export interface ApiGatewayWebSocketEvent {
  requestContext: {
    routeKey: string;
    eventType: 'CONNECT' | 'DISCONNECT' | 'MESSAGE';
    connectionId: string;
    domainName: string;
    stage: string;
    apiId: string;
    requestId: string;
    extendedRequestId?: string;
    messageId?: string;
    messageDirection?: 'IN';
    requestTime?: string;
    requestTimeEpoch: number;
    connectedAt?: number;
    identity: { sourceIp: string; userAgent?: string };
    disconnectStatusCode?: number;
    disconnectReason?: string;
  };
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  /** $connect only, and only when the URL has a query string. */
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  body?: string;
  isBase64Encoded: boolean;
}

/** What a WebSocket route's Lambda returns; on $connect a non-2xx statusCode refuses the handshake. */
export interface ApiGatewayWebSocketResult {
  statusCode: number;
  body?: string;
  headers?: Record<string, string>;
}

/** `https://{domainName}/{stage}`: the management endpoint of the API a WebSocket event came from. */
export function managementEndpoint(requestContext: { domainName?: string; stage?: string }): string {
  const { domainName, stage } = requestContext;
  if (!domainName || !stage) {
    throw new Error(
      'The event has no requestContext.domainName/stage, so the management endpoint is unknown: ' +
        'set BRIDGE_MANAGEMENT_ENDPOINT or invoke the handler from API Gateway.',
    );
  }
  return `https://${domainName}/${stage}`;
}

export interface RetryPolicy {
  /** Attempts in total, including the first. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_SEND_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 50, maxDelayMs: 1000 };

function isGone(error: unknown): boolean {
  if (error instanceof GoneException) return true;
  const fault = error as ServiceFault | undefined;
  return fault?.name === 'GoneException' || fault?.$metadata?.httpStatusCode === 410;
}

/** Full-jitter exponential backoff. */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}

export interface ManagementApiSenderOptions {
  client: ApiGatewayManagementApiClient;
  /** Called with the id of a connection that no longer exists, so its record can be dropped. */
  onGone?: (connectionId: string) => Promise<void>;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
}

export class ManagementApiSender implements Sender {
  readonly #client: ApiGatewayManagementApiClient;
  readonly #onGone: ((connectionId: string) => Promise<void>) | undefined;
  readonly #retry: RetryPolicy;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: ManagementApiSenderOptions) {
    this.#client = options.client;
    this.#onGone = options.onGone;
    this.#retry = options.retry ?? DEFAULT_SEND_RETRY;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async send(connectionId: string, message: unknown): Promise<'sent' | 'gone'> {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    const data = Buffer.from(text, 'utf8');
    if (data.byteLength > MAX_MESSAGE_BYTES) {
      // API Gateway would close the connection (1009); callers bound messages with serializeBounded.
      throw new Error(
        `Refusing to send a ${data.byteLength}-byte message: the limit is ${MAX_MESSAGE_BYTES} bytes. ` +
          'Bound the message with serializeBounded before sending.',
      );
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
        return 'sent';
      } catch (error) {
        if (isGone(error)) {
          // The recipient is gone: forget THAT connection, never the one that triggered the send.
          await this.#onGone?.(connectionId);
          return 'gone';
        }
        if (attempt + 1 >= this.#retry.attempts || !isRetryableSendFault(error)) throw error;
        await this.#sleep(backoffDelay(attempt, this.#retry));
      }
    }
  }
}

/** A management API client whose own retries are off, so ManagementApiSender's policy is the only one. */
export function createManagementApiClient(options: {
  endpoint: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    endpoint: options.endpoint,
    maxAttempts: 1,
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}
