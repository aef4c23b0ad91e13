// Debian's kubectl (package kubernetes-client, 1.20 in bookworm: written by the Kubernetes project, not by
// us), run as a child process against the in-process emulator. Found at KUBECTL_BIN, else where
// scripts/install-kubectl.sh unpacks it; missing is an error, never a skip, so a green run means kubectl ran.
// Runs asynchronously: the emulator answering it lives in this process's event loop.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export const PROJECT_KUBECTL = join(import.meta.dirname, '../../.cache/kubectl/usr/bin/kubectl');

export function kubectlPath(): string {
  const path = process.env.KUBECTL_BIN || PROJECT_KUBECTL;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `Debian's kubectl is missing at ${path}: run scripts/install-kubectl.sh (it unpacks the kubernetes-client .deb into .cache/kubectl/), or set KUBECTL_BIN to a kubectl binary.`,
    );
  }
  return path;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** kubectl with one kubeconfig; HOME (and so kubectl's discovery cache) is `home`, never the user's. */
export class Kubectl {
  readonly kubeconfig: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly binary = kubectlPath();

  constructor(kubeconfig: string, home: string) {
    this.kubeconfig = kubeconfig;
    this.env = { PATH: process.env.PATH ?? '', HOME: home };
  }

  /** Runs `kubectl ...args` and resolves with its exit code and output. */
  run(args: string[]): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      execFile(
        this.binary,
        ['--kubeconfig', this.kubeconfig, ...args],
        { timeout: 60_000, maxBuffer: 64 * 1024 * 1024, env: this.env },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') {
            reject(new Error(`kubectl ${args.join(' ')} did not finish: ${error.message}\n${stderr}`));
            return;
          }
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
        },
      );
    });
  }

  /** Starts a long-running kubectl (a watch); the caller stops it with `.kill()`. */
  spawn(args: string[]): ChildProcessWithoutNullStreams {
    return spawn(this.binary, ['--kubeconfig', this.kubeconfig, ...args], { env: this.env });
  }
}
