// The heartbeat: a runnerStatus event to every open connection (so API Gateway's 10-minute idle timeout
// never fires), dropping connections that are gone.
import { eventMessage, serializeBounded, type EventMessage } from '@hybrid-runner/protocol';
import type { ConnectionRecord, ConnectionStore, Sender } from './ports.ts';
import type { RunnerSettings } from './settings.ts';

/** Where the scheduled pass keeps its place between invocations (for example a Kubernetes continue token). */
export interface CursorStore {
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string | undefined, options: { retainSeconds: number }): Promise<void>;
}

export function runnerStatusEvent(options: {
  settings: Pick<RunnerSettings, 'agentId' | 'runnerVersion'>;
  connections: number;
  ecrCredentialsExpireAt?: Date;
}): EventMessage<'runnerStatus'> {
  return eventMessage('runnerStatus', {
    agentId: options.settings.agentId,
    status: 'active',
    version: options.settings.runnerVersion,
    connections: options.connections,
    ...(options.ecrCredentialsExpireAt
      ? { ecrCredentialsExpireAt: options.ecrCredentialsExpireAt.toISOString() }
      : {}),
  });
}

/** Every open connection, page by page (the store filters expired records). */
export async function listAllConnections(store: ConnectionStore): Promise<ConnectionRecord[]> {
  const all: ConnectionRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(cursor);
    all.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return all;
}

export interface BroadcastOutcome {
  sent: number;
  gone: string[];
  failed: Array<{ connectionId: string; error: unknown }>;
}

/**
 * Sends one message to many connections with bounded concurrency. The Sender drops the records of gone
 * connections (it is the one place that does); other failures are collected, never stopping the rest.
 */
export async function broadcast(options: {
  connections: ConnectionRecord[];
  message: unknown;
  sender: Sender;
  concurrency?: number;
}): Promise<BroadcastOutcome> {
  const text =
    typeof options.message === 'string' ? options.message : serializeBounded(options.message as never);
  const outcome: BroadcastOutcome = { sent: 0, gone: [], failed: [] };
  const queue = [...options.connections];
  const workers = Array.from(
    { length: Math.max(1, Math.min(options.concurrency ?? 16, queue.length)) },
    async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        try {
          if ((await options.sender.send(next.connectionId, text)) === 'gone') {
            outcome.gone.push(next.connectionId);
          } else {
            outcome.sent++;
          }
        } catch (error) {
          outcome.failed.push({ connectionId: next.connectionId, error });
        }
      }
    },
  );
  await Promise.all(workers);
  return outcome;
}

export interface HeartbeatOutcome extends BroadcastOutcome {
  connections: number;
  /** The connections that were not gone: where further events of this invocation should go. */
  reachable: ConnectionRecord[];
}

/** One heartbeat: count connections, tell each of them the runner is active, prune the gone ones. */
export async function heartbeat(options: {
  settings: Pick<RunnerSettings, 'agentId' | 'runnerVersion'>;
  store: ConnectionStore;
  sender: Sender;
  ecrCredentialsExpireAt?: () => Promise<Date | undefined>;
}): Promise<HeartbeatOutcome> {
  const connections = await listAllConnections(options.store);
  if (connections.length === 0) return { connections: 0, sent: 0, gone: [], failed: [], reachable: [] };
  const expiresAt = await options.ecrCredentialsExpireAt?.();
  const message = runnerStatusEvent({
    settings: options.settings,
    connections: connections.length,
    ...(expiresAt ? { ecrCredentialsExpireAt: expiresAt } : {}),
  });
  const outcome = await broadcast({ connections, message, sender: options.sender });
  const gone = new Set(outcome.gone);
  return {
    connections: connections.length,
    ...outcome,
    reachable: connections.filter((connection) => !gone.has(connection.connectionId)),
  };
}
