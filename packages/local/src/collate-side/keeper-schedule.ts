// EventBridge's part in outbound mode, locally: invoke the keeper handler on a fixed tick, each invocation with
// its own Lambda deadline, as the stack's schedule does every minute (shortened here so handovers happen every
// few seconds). Stopping cuts every running keeper's remaining time, so each drains and closes at once.
import type { Context } from 'aws-lambda';
import { lambdaContext } from '../lambda-context.ts';

export type KeeperHandler = (event: { trigger: 'schedule' | 'manual' }, context: Context) => Promise<unknown>;

export interface KeeperScheduleOptions {
  handler: KeeperHandler;
  /** Tick period (AWS: one minute). */
  tickMs: number;
  /** Each invocation's timeout (AWS: bridge.outbound.keeper.timeoutSeconds). */
  lifetimeMs: number;
  onResult?: (result: unknown) => void;
  onError?: (error: unknown) => void;
}

export interface KeeperSchedule {
  /** Invocations still running. */
  running(): number;
  stop(): Promise<void>;
}

export function startKeeperSchedule(options: KeeperScheduleOptions): KeeperSchedule {
  const invocations = new Map<Promise<void>, { at: number }>();
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    const deadline = { at: Date.now() + options.lifetimeMs };
    const invocation: Promise<void> = options
      .handler(
        { trigger: 'schedule' },
        lambdaContext({
          functionName: 'keeper',
          region: 'eu-west-1',
          memoryLimitInMB: 256,
          deadline: () => deadline.at,
        }),
      )
      .then(
        (result) => options.onResult?.(result),
        (error: unknown) => options.onError?.(error),
      )
      .finally(() => invocations.delete(invocation));
    invocations.set(invocation, deadline);
  };
  tick();
  const timer = setInterval(tick, options.tickMs);
  return {
    running: () => invocations.size,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      for (const deadline of invocations.values()) deadline.at = Date.now();
      await Promise.all([...invocations.keys()]);
    },
  };
}
