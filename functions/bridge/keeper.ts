// The outbound keeper (bridge.mode: outbound): started every minute by an EventBridge schedule, it starts
// holding the bridge only when the lease says one is needed (none, a dead one, or one leaving within the lead),
// then dials Collate and serves until a successor has connected or its own time runs out (core's runKeeper).
// Requests go through the same path as $default (lib/bridge-request.ts); events through the same heartbeat pass.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import {
  decideTakeover,
  runKeeper,
  type ConnectionStore,
  type KeeperEvent,
  type KeeperOutcome,
  type Sender,
} from '@hybrid-runner/core';
import { recordDialRefused, recordKeeperHandover } from '@hybrid-runner/observability';
import { serializeBounded } from '@hybrid-runner/protocol';
import { answerFrame, recordAnswer, requestKeysOf } from '../lib/bridge-request.ts';
import { runHeartbeatPass } from '../lib/heartbeat-pass.ts';
import { keeperContext } from '../lib/keeper-context.ts';
import { describeError, logger } from '../lib/logger.ts';
import { dialCollate } from '../lib/outbound-socket.ts';
import { flushContainerMetrics, flushInUseMetrics } from '../lib/telemetry.ts';

/** `schedule` (EventBridge, every minute): start only if the lease asks for a keeper; `manual`: start now. */
export interface KeeperInvocation {
  trigger?: 'schedule' | 'manual';
}

export type KeeperResult = { started: false; reason: string } | ({ started: true } & KeeperOutcome);

/** The keeper's socket is the one connection the heartbeat pass sees. */
export const OUTBOUND_CONNECTION_ID = 'outbound';

function ownConnection(agentId: string, connectedAt: number): ConnectionStore {
  const record = { connectionId: OUTBOUND_CONNECTION_ID, agentId, connectedAt, ttl: 0 };
  return {
    put: async () => undefined,
    remove: async () => undefined,
    get: async (id) => (id === OUTBOUND_CONNECTION_ID ? record : undefined),
    list: async () => ({ items: [record] }),
  };
}

function socketSender(send: (text: string) => Promise<void>): Sender {
  return {
    send: async (_connectionId, message) => {
      await send(typeof message === 'string' ? message : serializeBounded(message as never));
      return 'sent';
    },
  };
}

function logEvent(event: KeeperEvent): void {
  switch (event.type) {
    case 'dial-failed':
      logger.warn('Outbound dial failed; retrying', {
        attempt: event.attempt,
        retryInMs: event.retryInMs,
        error: describeError(event.error),
      });
      return;
    case 'refused':
      logger.error('Outbound dial refused', { status: event.status });
      return;
    case 'send-failed':
    case 'beat-failed':
      logger.warn(event.type === 'send-failed' ? 'Response not delivered' : 'Heartbeat not delivered', {
        error: describeError(event.error),
      });
      return;
    default:
      logger.info(`Keeper ${event.type}`, { ...event });
  }
}

export async function handleKeeper(
  event: KeeperInvocation | undefined,
  context: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>,
): Promise<KeeperResult> {
  const keeper = keeperContext();
  if (event?.trigger !== 'manual') {
    const decision = decideTakeover(await keeper.lease.read(), keeper.clock.now().getTime(), keeper.policy);
    if (!decision.takeOver) return { started: false, reason: decision.reason };
    logger.info('Keeper starting', { reason: decision.reason });
  }
  const token = await keeper.token();
  let connectedAt = Date.now();
  const outcome = await runKeeper({
    keeperId: context.awsRequestId,
    lease: keeper.lease,
    dial: () => dialCollate({ url: keeper.url, token, agentId: keeper.agentId }),
    answer: async (frame, remainingMs) => {
      // The keeper's own exit reserve covers the send (one socket write, no API call): no extra reserve.
      const answered = await answerFrame(frame, {
        remainingMs,
        reserveMs: 0,
        fallbackMetrics: () => keeper.metrics,
      });
      recordAnswer(answered);
      logger.debug('Request answered', { ...requestKeysOf(answered), ok: answered.result.response.ok });
      return answered.result.text;
    },
    beat: async (send, remainingMs) => {
      const result = await runHeartbeatPass(
        {
          agentId: keeper.agentId,
          runnerVersion: keeper.runnerVersion,
          connections: ownConnection(keeper.agentId, connectedAt),
          sender: socketSender(send),
          metrics: keeper.metrics,
          clock: keeper.clock,
        },
        remainingMs,
      );
      // A keeper lives for minutes: publish what it recorded with every beat, not only at its end.
      flushInUseMetrics();
      logger.debug('Heartbeat done', { ...result });
    },
    nowMs: () => keeper.clock.now().getTime(),
    remainingMs: () => context.getRemainingTimeInMillis(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    timing: keeper.timing,
    onEvent: (keeperEvent) => {
      if (keeperEvent.type === 'connected') connectedAt = Date.now();
      if (keeperEvent.type === 'refused') recordDialRefused(keeper.metrics);
      logEvent(keeperEvent);
    },
  });
  if ('generation' in outcome) recordKeeperHandover(keeper.metrics, outcome.outcome);
  logger.info('Keeper done', { ...outcome });
  return { started: true, ...outcome };
}

export const handler = middy<KeeperInvocation | undefined, KeeperResult>()
  .use(flushContainerMetrics())
  .handler((event, context) => handleKeeper(event, context));
