// The local stage's bridge in outbound mode (bridge.mode: outbound): the Collate-side stand-in, which the
// runner's keeper dials as it would dial the Collate server and through whose relay the CLI acts as Collate,
// and the keeper handler on EventBridge's schedule (a tick a minute, each invocation living the stage's keeper
// timeout). The keeper is the real handler, composed from the environment (HYBRID_RUNNER_OUTBOUND_URL set to the
// stand-in); the stand-in is not Collate (packages/local/src/collate-side/server.ts says what it cannot prove).
import type { Cleanups } from './cleanups.ts';
import { startCollateSideStandIn, type CollateSideStandIn } from './collate-side/server.ts';
import {
  startKeeperSchedule,
  type KeeperHandler,
  type KeeperSchedule,
} from './collate-side/keeper-schedule.ts';

/** EventBridge's keeper schedule in the stack: every minute. */
export const KEEPER_TICK_MS = 60_000;
/** How long `npm start` waits for the first keeper to connect before it gives up. */
export const FIRST_CONNECTION_TIMEOUT_MS = 20_000;

export interface LocalCollateSideOptions {
  agentId: string;
  /** The bot JWT the keeper must present (the one in the Secrets Manager stand-in). */
  token: string;
  /** The port the user sees (the relay and the agent endpoint share it); 0 = a free one. */
  port: number;
  log: (message: string) => void;
}

/** Starts the Collate-side stand-in, before the handlers' environment is set (it needs the stand-in's URL). */
export function startLocalCollateSide(options: LocalCollateSideOptions): Promise<CollateSideStandIn> {
  return startCollateSideStandIn({
    token: () => options.token,
    agentId: options.agentId,
    port: options.port,
    log: options.log,
  });
}

export interface KeeperRunOptions {
  collateSide: CollateSideStandIn;
  handler: KeeperHandler;
  /** Each invocation's lifetime: bridge.outbound.keeper.timeoutSeconds, as the stack sets the Lambda timeout. */
  lifetimeMs: number;
  tickMs?: number;
  firstConnectionTimeoutMs?: number;
  log: (message: string) => void;
}

/** Starts the keeper schedule and waits until the first keeper has connected to the stand-in. */
export async function startLocalKeeper(options: KeeperRunOptions): Promise<KeeperSchedule> {
  const schedule = startKeeperSchedule({
    handler: options.handler,
    tickMs: options.tickMs ?? KEEPER_TICK_MS,
    lifetimeMs: options.lifetimeMs,
    onResult: (result) => {
      const outcome = (result as { outcome?: string; reason?: string }).outcome;
      if (outcome) options.log(`keeper ended: ${JSON.stringify(result)}`);
    },
    onError: (error) => options.log(`keeper failed: ${(error as Error).stack ?? String(error)}`),
  });
  const deadline = Date.now() + (options.firstConnectionTimeoutMs ?? FIRST_CONNECTION_TIMEOUT_MS);
  while (options.collateSide.agentConnections() === 0) {
    if (Date.now() > deadline) {
      await schedule.stop();
      throw new Error(
        `The outbound keeper did not connect to the Collate-side stand-in within ${Math.round((options.firstConnectionTimeoutMs ?? FIRST_CONNECTION_TIMEOUT_MS) / 1000)} s: see the handler log for its errors, or start with LOG_LEVEL=DEBUG.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return schedule;
}

/**
 * The real keeper handler, composed from the environment (HYBRID_RUNNER_OUTBOUND_URL: the stand-in), on its
 * schedule; resolves once the first keeper has connected.
 */
export async function startOutboundKeeper(
  options: Omit<KeeperRunOptions, 'handler'>,
  cleanups: Cleanups,
): Promise<KeeperSchedule> {
  const [keeper, keeperContext] = await Promise.all([
    import('../../../functions/bridge/keeper.ts'),
    import('../../../functions/lib/keeper-context.ts'),
  ]);
  // Stopped before the stand-in closes (cleanups run in reverse): each keeper closes its socket with 1000.
  cleanups.add(() => keeperContext.configureKeeper(undefined));
  const schedule = await startLocalKeeper({ ...options, handler: keeper.handler as never });
  cleanups.add(() => schedule.stop());
  return schedule;
}
