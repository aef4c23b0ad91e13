// Documented exit codes of the `hybrid-runner` CLI (also listed in `hybrid-runner --help` and the README).
export const EXIT = {
  ok: 0,
  /** The runner answered with an error, or a followed run ended failed/stopped. */
  operationFailed: 1,
  /** Bad arguments or an unreadable input file. */
  usage: 2,
  /** Could not reach or authenticate to the bridge (or the cluster, for `eks`/`ecr`). */
  unreachable: 3,
  /** `doctor` found at least one failing check. */
  checksFailed: 4,
  /** No answer in time. */
  timeout: 5,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  the runner answered with an error, or a followed run ended failed or stopped
  2  bad arguments or unreadable input file
  3  bridge or cluster unreachable, or credentials refused
  4  doctor: at least one check failed
  5  timed out waiting for an answer`;

/** An error that carries the exit code it should end the process with. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
