// An in-memory KeeperSocket for the keeper's unit tests: records what was sent, delivers frames, closes.
import type { KeeperSocket } from '@hybrid-runner/core';

export class FakeKeeperSocket implements KeeperSocket {
  readonly sent: string[] = [];
  closeCode: number | undefined;
  readonly closed: Promise<{ code: number }>;
  #listener: ((frame: string | Buffer) => void) | undefined;
  #resolveClosed!: (value: { code: number }) => void;

  readonly name: string;

  constructor(name: string) {
    this.name = name;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  get isOpen(): boolean {
    return this.closeCode === undefined;
  }

  async send(text: string): Promise<void> {
    if (!this.isOpen) throw new Error(`${this.name} is closed`);
    this.sent.push(text);
  }

  close(code: number): void {
    if (this.closeCode !== undefined) return;
    this.closeCode = code;
    queueMicrotask(() => this.#resolveClosed({ code }));
  }

  onFrame(listener: (frame: string | Buffer) => void): void {
    this.#listener = listener;
  }

  /** A frame from the Collate side. */
  deliver(frame: string): void {
    if (!this.isOpen) throw new Error(`${this.name} is closed: nothing can arrive on it`);
    this.#listener?.(frame);
  }

  /** The Collate side (or the network) drops the connection. */
  drop(code = 1006): void {
    this.close(code);
  }
}
