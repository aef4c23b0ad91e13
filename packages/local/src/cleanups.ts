// The local stage's shutdown: each part registers how to undo itself as it starts, and closing undoes them in
// reverse, so nothing is stopped while something started after it still uses it. A failing step is reported
// and the rest still run, so one stuck server does not leave the others holding their ports.
export type Cleanup = () => Promise<void> | void;

export interface Cleanups {
  /** Registers a step, to run before every step registered earlier. */
  add(cleanup: Cleanup): void;
}

export interface CleanupStack extends Cleanups {
  /** Runs every registered step, last first, once; a failure is logged and the next step runs. */
  runAll(): Promise<void>;
}

export function cleanupStack(log: (message: string) => void): CleanupStack {
  const steps: Cleanup[] = [];
  return {
    add: (cleanup) => {
      steps.push(cleanup);
    },
    runAll: async () => {
      for (const cleanup of steps.splice(0).reverse()) {
        try {
          await cleanup();
        } catch (error) {
          log(`shutdown step failed: ${(error as Error).message}`);
        }
      }
    },
  };
}
