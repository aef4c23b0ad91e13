// Container logs of the emulated pods, kept apart from the pod objects as a kubelet keeps them. The
// simulated controller (or a test) appends text; readers get what is there, or follow until the
// container finishes. Deleting a pod deletes its logs, as in a cluster without log archiving.

interface Entry {
  at: Date;
  data: Buffer;
}

interface ContainerLog {
  entries: Entry[];
  size: number;
  finished: boolean;
  followers: Set<() => void>;
}

export class PodLogStore {
  private readonly logs = new Map<string, ContainerLog>();

  private key(namespace: string, pod: string, container: string): string {
    return `${namespace}/${pod}/${container}`;
  }

  private entry(namespace: string, pod: string, container: string): ContainerLog {
    const key = this.key(namespace, pod, container);
    let log = this.logs.get(key);
    if (!log) {
      log = { entries: [], size: 0, finished: false, followers: new Set() };
      this.logs.set(key, log);
    }
    return log;
  }

  append(
    namespace: string,
    pod: string,
    container: string,
    text: string | Buffer,
    at: Date = new Date(),
  ): void {
    const log = this.entry(namespace, pod, container);
    const data = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    if (data.length === 0) return;
    log.entries.push({ at, data });
    log.size += data.length;
    for (const wake of log.followers) wake();
  }

  /** Marks a container as terminated: followers stop after the last byte. */
  finish(namespace: string, pod: string, container: string): void {
    const log = this.entry(namespace, pod, container);
    log.finished = true;
    for (const wake of log.followers) wake();
  }

  removePod(namespace: string, pod: string): void {
    const prefix = `${namespace}/${pod}/`;
    for (const [key, log] of this.logs) {
      if (key.startsWith(prefix)) {
        log.finished = true;
        for (const wake of log.followers) wake();
        this.logs.delete(key);
      }
    }
  }

  /** The container's log as written, byte for byte (what Argo's archiveLogs uploads). */
  bytes(namespace: string, pod: string, container: string): Buffer {
    const log = this.logs.get(this.key(namespace, pod, container));
    return log ? Buffer.concat(log.entries.map((e) => e.data)) : Buffer.alloc(0);
  }

  text(namespace: string, pod: string, container: string): string {
    const log = this.logs.get(this.key(namespace, pod, container));
    return log ? Buffer.concat(log.entries.map((e) => e.data)).toString('utf8') : '';
  }

  /**
   * Yields the log in chunks of at most `chunkBytes`, applying tailLines, timestamps and limitBytes; with
   * `follow`, waits for more until the container finishes or `signal` aborts.
   */
  async *read(
    namespace: string,
    pod: string,
    container: string,
    options: {
      follow?: boolean;
      limitBytes?: number;
      tailLines?: number;
      timestamps?: boolean;
      sinceTime?: Date;
      chunkBytes?: number;
      signal?: AbortSignal;
    },
  ): AsyncGenerator<Buffer> {
    const log = this.entry(namespace, pod, container);
    const chunkBytes = options.chunkBytes ?? 64 * 1024;
    let budget = options.limitBytes ?? Number.POSITIVE_INFINITY;
    let index = 0;
    let pending: Buffer[] = [];
    if (options.tailLines !== undefined || options.timestamps || options.sinceTime !== undefined) {
      // Line-oriented options need the whole text split into lines, each with the time its first byte was
      // written. Like the kubelet: a timestamp starts every line (not a continued one), and sinceTime keeps
      // the lines written at or after it, in whole seconds as the API server passes it on.
      const since =
        options.sinceTime === undefined
          ? Number.NEGATIVE_INFINITY
          : Math.floor(options.sinceTime.getTime() / 1000) * 1000;
      const lines: Buffer[] = [];
      let open: { at: Date; parts: Buffer[] } | undefined;
      const close = (): void => {
        if (!open) return;
        if (open.at.getTime() >= since) {
          const text = Buffer.concat(open.parts);
          lines.push(
            options.timestamps ? Buffer.concat([Buffer.from(`${open.at.toISOString()} `), text]) : text,
          );
        }
        open = undefined;
      };
      for (const entry of log.entries) {
        let from = 0;
        while (from < entry.data.length) {
          const newline = entry.data.indexOf(0x0a, from);
          const end = newline === -1 ? entry.data.length : newline + 1;
          open ??= { at: entry.at, parts: [] };
          open.parts.push(entry.data.subarray(from, end));
          if (newline !== -1) close();
          from = end;
        }
      }
      close();
      pending =
        options.tailLines !== undefined ? lines.slice(Math.max(0, lines.length - options.tailLines)) : lines;
      index = log.entries.length;
    }
    for (;;) {
      while (index < log.entries.length) pending.push((log.entries[index++] as Entry).data);
      for (const data of pending) {
        for (let offset = 0; offset < data.length && budget > 0; offset += chunkBytes) {
          const slice = data.subarray(offset, Math.min(data.length, offset + chunkBytes, offset + budget));
          budget -= slice.length;
          yield slice;
        }
        if (budget <= 0) return;
      }
      pending = [];
      if (!options.follow || log.finished || options.signal?.aborted) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          log.followers.delete(wake);
          options.signal?.removeEventListener('abort', wake);
          resolve();
        };
        log.followers.add(wake);
        options.signal?.addEventListener('abort', wake);
      });
      if (options.signal?.aborted) return;
    }
  }
}
