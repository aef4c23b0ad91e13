// Where `npm start` leaves the local stage's coordinates (URL, agent id, token) for the CLI to find.
// The file holds a token, so it is written with mode 0600 and lives in a git-ignored folder.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError, EXIT } from './exit-codes.ts';

export interface LocalStageInfo {
  url: string;
  agentId: string;
  token: string;
  pid: number;
  startedAt: string;
  /** The sandbox cluster's API server, for `doctor`. */
  kubernetesApi?: string;
  managementEndpoint?: string;
  /** The runner's Kubernetes identity, so `doctor` can review the runner's permissions, not the operator's. */
  runnerSubject?: { user?: string; groups: string[] };
  /** The sandbox cluster's control endpoint (`hybrid-runner sandbox scenario`); absent with a real cluster. */
  sandboxControl?: string;
  /** The local stage's metrics snapshot (GET with the token as bearer), for `collate status`. */
  metrics?: string;
  /** The ingestion namespace of the sandbox cluster. */
  namespace?: string;
  /**
   * Environment that points clients at the local stand-ins: AWS_ENDPOINT_URL_SECRETS_MANAGER,
   * AWS_ENDPOINT_URL_ECR, AWS_REGION, placeholder AWS keys the stand-ins accept, KUBECONFIG.
   */
  env?: Record<string, string>;
  /** The stage configuration in force (names of secrets only, never values), for `doctor`. */
  config?: unknown;
}

export const STAGE_FILE_ENV = 'HYBRID_RUNNER_STAGE_FILE';
const RELATIVE = join('.hybrid-runner', 'local-stage.json');

/** The stage file: $HYBRID_RUNNER_STAGE_FILE, else the nearest `.hybrid-runner/local-stage.json` up from cwd. */
export function findStageFile(cwd = process.cwd()): string | undefined {
  const fromEnv = process.env[STAGE_FILE_ENV];
  if (fromEnv) return resolve(fromEnv);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, RELATIVE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export function defaultStageFile(root: string): string {
  return process.env[STAGE_FILE_ENV] ? resolve(process.env[STAGE_FILE_ENV]) : join(root, RELATIVE);
}

export function writeStageFile(path: string, info: LocalStageInfo): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Reads a stage file; a missing or damaged one is a usage error (exit 2) that says how to get a good one. */
export function readStageFile(path: string): LocalStageInfo {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT'
        ? `No local stage file at ${path}: start the local stage with \`npm start\`, or fix --stage-file / ${STAGE_FILE_ENV}.`
        : `Cannot read the local stage file ${path} (${code ?? (error as Error).message}).`,
      EXIT.usage,
    );
  }
  let parsed: Partial<LocalStageInfo> | null;
  try {
    parsed = JSON.parse(text) as Partial<LocalStageInfo> | null;
  } catch {
    parsed = null;
  }
  if (
    !parsed ||
    typeof parsed.url !== 'string' ||
    typeof parsed.token !== 'string' ||
    typeof parsed.agentId !== 'string'
  ) {
    throw new CliError(
      `${path} is not a local stage file (url, agentId and token are required); restart npm start.`,
      EXIT.usage,
    );
  }
  return parsed as LocalStageInfo;
}

export function removeStageFile(path: string): void {
  rmSync(path, { force: true });
}

/**
 * Points the AWS SDK and the Kubernetes client at the local stage's stand-ins (its `env`), for commands such
 * as `ecr refresh`, `secrets` and `doctor`. Variables already set by the user win.
 */
export function applyStageEnvironment(file = findStageFile()): LocalStageInfo | undefined {
  if (!file) return undefined;
  const stage = readStageFile(file);
  for (const [name, value] of Object.entries(stage.env ?? {})) {
    if (process.env[name] === undefined) process.env[name] = value;
  }
  return stage;
}
