// Every minute (EventBridge), inbound mode: one heartbeat pass (lib/heartbeat-pass.ts) over every open API
// Gateway connection. In outbound mode the keeper runs the same pass over its own socket instead.
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { bridgeContext } from '../lib/bridge-context.ts';
import { runHeartbeatPass, type HeartbeatResult } from '../lib/heartbeat-pass.ts';
import { logger } from '../lib/logger.ts';
import { senderFor } from '../lib/senders.ts';
import { flushContainerMetrics } from '../lib/telemetry.ts';

export { EXPIRY_READ_BUDGET_MS, type HeartbeatResult } from '../lib/heartbeat-pass.ts';

export async function handleHeartbeat(
  _event: unknown,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<HeartbeatResult> {
  const bridge = bridgeContext();
  const result = await runHeartbeatPass({ ...bridge, sender: senderFor(undefined) }, () =>
    context.getRemainingTimeInMillis(),
  );
  logger.info('Heartbeat done', { ...result });
  return result;
}

export const handler = middy<ScheduledEvent, HeartbeatResult>()
  .use(flushContainerMetrics())
  .handler((event, context) => handleHeartbeat(event, context));
