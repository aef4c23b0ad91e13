// The local stage's stand-in for EventBridge schedules: runs each task in-process every `intervalMs`
// (optionally once at start), at a random moment within its flexible window after each tick as EventBridge
// Scheduler does, never two runs of the same task at once (a run that overruns its interval delays the
// next, where EventBridge would start another Lambda), and reports each outcome.
import { redactText } from '@hybrid-runner/observability';

export interface ScheduledTask {
  name: string;
  intervalMs: number;
  /** Run once right after start (the stack invokes the registry refresh once at deploy). */
  runAtStart?: boolean;
  /** Like Scheduler's flexible time window: each scheduled run starts up to this long after its tick. */
  flexibleWindowMs?: number;
  /** One run; resolves with a one-line summary for the terminal. */
  run: () => Promise<string>;
}

export interface TaskOutcome {
  task: string;
  ok: boolean;
  /** The summary on success, the error message on failure; redacted (registered secrets, credential shapes). */
  summary: string;
  durationMs: number;
  at: Date;
}

export interface Scheduler {
  /** Runs a task now (waits for a run in progress first). */
  runNow(name: string): Promise<TaskOutcome>;
  /** Stops the timers and waits for runs in progress. */
  stop(): Promise<void>;
}

export function startScheduler(
  tasks: ScheduledTask[],
  report: (outcome: TaskOutcome) => void,
  random: () => number = Math.random,
): Scheduler {
  const running = new Map<string, Promise<TaskOutcome>>();
  const timers: NodeJS.Timeout[] = [];
  const delayed = new Set<NodeJS.Timeout>();
  let stopped = false;

  const runTask = (task: ScheduledTask): Promise<TaskOutcome> => {
    const current = running.get(task.name);
    if (current) return current;
    const started = Date.now();
    const run = (async (): Promise<TaskOutcome> => {
      try {
        // Summaries are printed on the terminal: redacted as the functions' log lines are.
        const summary = redactText(await task.run());
        return { task: task.name, ok: true, summary, durationMs: Date.now() - started, at: new Date() };
      } catch (error) {
        const summary = redactText(error instanceof Error ? error.message : String(error));
        return { task: task.name, ok: false, summary, durationMs: Date.now() - started, at: new Date() };
      }
    })().then((outcome) => {
      running.delete(task.name);
      report(outcome);
      return outcome;
    });
    running.set(task.name, run);
    return run;
  };

  const runWithinWindow = (task: ScheduledTask): void => {
    const windowMs = Math.min(task.flexibleWindowMs ?? 0, task.intervalMs);
    if (!(windowMs > 0)) {
      void runTask(task);
      return;
    }
    const timer = setTimeout(
      () => {
        delayed.delete(timer);
        if (!stopped && !running.has(task.name)) void runTask(task);
      },
      Math.floor(random() * windowMs),
    );
    delayed.add(timer);
  };

  for (const task of tasks) {
    if (!(task.intervalMs > 0)) throw new Error(`Task ${task.name}: intervalMs must be positive.`);
    // A tick while the previous run is still going is skipped rather than queued.
    timers.push(
      setInterval(() => {
        if (!stopped && !running.has(task.name)) runWithinWindow(task);
      }, task.intervalMs),
    );
    if (task.runAtStart) void runTask(task);
  }

  return {
    runNow(name) {
      const task = tasks.find((candidate) => candidate.name === name);
      if (!task) return Promise.reject(new Error(`No scheduled task named ${name}.`));
      return runTask(task);
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      for (const timer of delayed) clearTimeout(timer);
      await Promise.allSettled([...running.values()]);
    },
  };
}
