// One workflow being executed: its in-memory node tree and the signals (shutdown, suspend, deadline,
// deletion) that cut it short.
import type { KubeObject } from '../resources.ts';
import type { Json } from './kube-json.ts';
import { metadataOf } from './kube-json.ts';

export type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Skipped' | 'Omitted';

export interface NodeStatus {
  id: string;
  name: string;
  displayName: string;
  type: 'Pod' | 'Steps' | 'StepGroup' | 'DAG' | 'Retry';
  templateName: string;
  templateScope: string;
  phase: Phase;
  boundaryID?: string;
  children?: string[];
  message?: string;
  startedAt: string;
  finishedAt?: string;
  progress?: string;
  hostNodeName?: string;
  outputs?: { exitCode?: string; artifacts?: NodeArtifact[] };
}

/** An output artifact as Argo records it on a node (archived logs: `main-logs` with its S3 key). */
export interface NodeArtifact {
  name: string;
  s3: { key: string };
}

/** Thrown through the template tree when the run is interrupted. */
export class Interrupted extends Error {}

/** One workflow being executed: its in-memory status and the signals that cut it short. */
export class Execution {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  workflow: KubeObject;
  /** The interruption in force: the running step is cut short while it is set. */
  shutdown: 'Stop' | 'Terminate' | undefined;
  /** The latest shutdown strategy asked for in spec.shutdown (kept while the exit handler runs). */
  requestedShutdown: 'Stop' | 'Terminate' | undefined;
  inExitHandler = false;
  deadlineExceeded = false;
  deleted = false;
  suspended = false;
  /** Templates whose first attempt scenario `evictedOnce` already lost (pod-eviction.ts). */
  readonly evictedTemplates = new Set<string>();
  readonly nodes: Record<string, NodeStatus> = {};
  private readonly wakers = new Set<() => void>();
  readonly timers = new Set<NodeJS.Timeout>();

  constructor(workflow: KubeObject) {
    this.workflow = workflow;
    const metadata = metadataOf(workflow);
    this.namespace = String(metadata['namespace']);
    this.name = String(metadata['name']);
    this.uid = String(metadata['uid']);
  }

  get spec(): Json {
    return (this.workflow['spec'] ?? {}) as Json;
  }

  get interrupted(): boolean {
    return this.deleted || this.shutdown !== undefined || this.deadlineExceeded;
  }

  wake(): void {
    for (const wake of [...this.wakers]) wake();
  }

  /** Waits `ms`, or less when the run is interrupted; `Infinity` waits for an interruption only. */
  sleep(ms: number): Promise<void> {
    if (this.interrupted) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) {
          clearTimeout(timer);
          this.timers.delete(timer);
        }
        this.wakers.delete(done);
        resolve();
      };
      if (Number.isFinite(ms)) {
        timer = setTimeout(done, ms);
        this.timers.add(timer);
      }
      this.wakers.add(done);
    });
  }

  async whileSuspended(): Promise<void> {
    while (this.suspended && !this.interrupted) await this.sleep(Number.POSITIVE_INFINITY);
  }

  cancelTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.wake();
  }
}
