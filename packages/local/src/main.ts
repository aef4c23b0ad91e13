// `npm start`: the local stage on embedded defaults, no AWS and no cluster needed. Reads PORT, AGENT_ID,
// AUTH_TOKEN, BRIDGE_MODE (and the optional variables in docs/local-stage.md), prints how to connect, leaves the stage
// file for the CLI, and shuts everything down on SIGINT/SIGTERM or when the process that started it (npm, or
// the shell) exits. Exit codes: 0 after a clean shutdown, 2 for bad settings (including a PORT that is
// taken), 1 when the stage could not start.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultStageFile, removeStageFile, writeStageFile } from '@hybrid-runner/cli';
import type { LocalStageInfo } from '@hybrid-runner/cli';
import { BRIDGE_MODES, StageConfigError, type BridgeMode } from '@hybrid-runner/config';
import { DEFAULT_KEEPER_TIMING } from '@hybrid-runner/core';
import { watchLauncher } from './launcher-watch.ts';
import { SeedSecretsError, readSeedSecrets, seedSecretsPath } from './secrets-seed.ts';
import { startLocalStage, type LocalStage } from './stage.ts';
import { DEFAULT_LOCAL_HEARTBEAT_SECONDS } from './stage-schedules.ts';

/** The documented default port of the local stage (as the OpenMetadata server's, so it is easy to remember). */
export const DEFAULT_PORT = 8585;
export const DEFAULT_AGENT_ID = 'local-runner';
/** The protocol's longest gap between two events on a connection. */
const MAX_HEARTBEAT_SECONDS = 300;

const root = resolve(import.meta.dirname, '../../..');
const stageFile = defaultStageFile(root);
// The kubeconfig and the handler log live beside the stage file (`.hybrid-runner/`, git-ignored).
const stateDirectory = dirname(stageFile);

// Keep the terminal for the stage's own lines: the handlers' structured logs (Powertools writes them to
// process.stdout/stderr) go to a log file, or to stderr when LOG_LEVEL asks for them.
const terminal = process.stdout.write.bind(process.stdout);
const terminalError = process.stderr.write.bind(process.stderr);
const say = (line = '') => terminal(`${line}\n`);

class UsageError extends Error {}

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(
      `${name}=${raw} is not a positive number: unset it or give e.g. ${name}=${fallback}.`,
    );
  }
  return value;
}

function portSetting(): number | undefined {
  const raw = process.env.PORT;
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UsageError(`PORT=${raw} is not a port number (1-65535): unset it to use ${DEFAULT_PORT}.`);
  }
  return port;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

/** BRIDGE_MODE: which side opens the bridge (unset: the configuration's bridge.mode, inbound by default). */
function bridgeModeSetting(): BridgeMode | undefined {
  const raw = process.env.BRIDGE_MODE;
  if (raw === undefined || raw === '') return undefined;
  const mode = BRIDGE_MODES.find((candidate) => candidate === raw.toLowerCase());
  if (!mode) {
    throw new UsageError(
      `BRIDGE_MODE=${raw} is not a bridge mode: give ${BRIDGE_MODES.join(' or ')}, or unset it for inbound.`,
    );
  }
  return mode;
}

/** The levels a stage file's `observability.logLevel` takes, as docs/local-stage.md lists them. */
const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

function logLevelSetting(): string | undefined {
  const raw = process.env.LOG_LEVEL;
  if (raw === undefined || raw === '') return undefined;
  if (!LOG_LEVELS.includes(raw.toUpperCase())) {
    throw new UsageError(
      `LOG_LEVEL=${raw} is not a log level: give one of ${LOG_LEVELS.join(', ')}, or unset it to keep the handler logs in the log file.`,
    );
  }
  return raw.toUpperCase();
}

function routeHandlerLogs(level: string | undefined): string {
  if (level) {
    process.env.POWERTOOLS_LOG_LEVEL = level;
    process.stdout.write = ((...args: Parameters<typeof process.stderr.write>) =>
      process.stderr.write(...args)) as typeof process.stdout.write;
    return 'stderr';
  }
  mkdirSync(stateDirectory, { recursive: true });
  const path = join(stateDirectory, 'local-stage.log');
  const file = createWriteStream(path, { flags: 'a', mode: 0o600 });
  const toFile = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    return file.write(chunk, callback);
  }) as typeof process.stdout.write;
  process.stdout.write = toFile;
  process.stderr.write = toFile;
  return path;
}

async function main(): Promise<number> {
  const { values: flags } = parseArgs({
    options: { kubeconfig: { type: 'string' } },
    allowPositionals: false,
  });
  const requestedPort = portSetting();
  const agentId = process.env.AGENT_ID || DEFAULT_AGENT_ID;
  const token = process.env.AUTH_TOKEN || randomBytes(24).toString('base64url');
  // Rehearsing a rotation: the old token, accepted until HYBRID_RUNNER__bridge__previousAuthToken__retireAt.
  const previousToken = process.env.PREVIOUS_AUTH_TOKEN || undefined;
  const heartbeatSeconds = positiveNumber('HEARTBEAT_SECONDS', DEFAULT_LOCAL_HEARTBEAT_SECONDS);
  // The bridge protocol promises an event at least every 5 minutes; the local gateway, like API Gateway,
  // closes a connection idle for 10.
  if (heartbeatSeconds > MAX_HEARTBEAT_SECONDS) {
    throw new UsageError(
      `HEARTBEAT_SECONDS=${heartbeatSeconds} is above ${MAX_HEARTBEAT_SECONDS}: the bridge protocol promises an ` +
        `event at least every 5 minutes; give at most ${MAX_HEARTBEAT_SECONDS}.`,
    );
  }
  const logLevel = logLevelSetting();
  const bridgeMode = bridgeModeSetting();
  const podRunMs = process.env.SANDBOX_POD_RUN_MS ? positiveNumber('SANDBOX_POD_RUN_MS', 1) : undefined;
  const kubeconfig = flags.kubeconfig ?? (process.env.KUBECONFIG || undefined);
  const useAwsSecretsManager = process.env.USE_AWS_SECRETS_MANAGER === '1';
  const seedPath = seedSecretsPath(root);
  const seedSecrets = seedPath ? readSeedSecrets(seedPath) : {};

  let port = requestedPort ?? DEFAULT_PORT;
  if (!(await portIsFree(port))) {
    if (requestedPort !== undefined) {
      throw new UsageError(
        `PORT ${requestedPort} is taken: stop what uses it, or choose another port (PORT=<free port> npm start).`,
      );
    }
    say(`Port ${DEFAULT_PORT} is taken; using a free port instead (set PORT to choose one).`);
    port = 0;
  }

  const logDestination = routeHandlerLogs(logLevel);
  const logLine = (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`);
  say('Starting the local stage…');
  const stage: LocalStage = await startLocalStage({
    agentId,
    ...(bridgeMode ? { bridgeMode } : {}),
    token,
    ...(previousToken ? { previousToken } : {}),
    port,
    kubeconfigPath: join(stateDirectory, 'kubeconfig'),
    cli: { node: process.execPath, script: join(root, 'packages/cli/bin/hybrid-runner.js') },
    heartbeatSeconds,
    seedSecrets,
    ...(kubeconfig ? { kubeconfig } : {}),
    useAwsSecretsManager,
    ...(podRunMs !== undefined ? { controller: { podRunMs } } : {}),
    env: process.env,
    log: logLine,
    onTask: (outcome) => {
      const time = outcome.at.toISOString().slice(11, 19);
      say(`${time} ${outcome.task} ${outcome.ok ? 'ok' : 'FAILED'}: ${outcome.summary}`);
    },
  });

  const info: LocalStageInfo = {
    url: stage.url,
    agentId: stage.agentId,
    token: stage.token,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    namespace: stage.namespace,
    kubernetesApi: stage.kubernetesApi,
    ...(stage.managementEndpoint ? { managementEndpoint: stage.managementEndpoint } : {}),
    ...(stage.sandboxControl ? { sandboxControl: stage.sandboxControl } : {}),
    metrics: stage.metricsEndpoint,
    ...(stage.runnerSubject ? { runnerSubject: stage.runnerSubject } : {}),
    config: stage.config,
    env: stage.clientEnv,
  };
  writeStageFile(stageFile, info);

  say();
  if (stage.collateSide) {
    say('  Bridge         outbound: the keeper dials out to the Collate side (no inbound endpoint)');
    say(`  Collate side   ${stage.collateSide.agentUrl} (a stand-in, not Collate)`);
    say(`  WebSocket URL  ${stage.url} (the stand-in's relay: the CLI acts as Collate here)`);
  } else {
    say('  Bridge         inbound: Collate connects to the local API Gateway stand-in');
    say(`  WebSocket URL  ${stage.url}`);
  }
  say(`  Agent id       ${stage.agentId}`);
  // The one place the token is printed, by design: it is the user's own local token.
  say(`  Token          ${stage.token}`);
  say(
    `  Cluster        ${kubeconfig ? `${stage.kubernetesApi} (from ${kubeconfig})` : `sandbox emulator ${stage.kubernetesApi}, namespace ${stage.namespace}`}`,
  );
  say(
    `  Secrets        ${useAwsSecretsManager ? 'AWS Secrets Manager' : `local stand-in (${Object.keys(seedSecrets).length} seeded${seedPath ? ` from ${seedPath}` : ''})`}`,
  );
  say(`  Stage file     ${stageFile}`);
  say(`  Handler logs   ${logDestination}`);
  say(
    stage.collateSide
      ? `  Heartbeat      every ${DEFAULT_KEEPER_TIMING.heartbeatMs / 1000} s, by the keeper over its own socket (HEARTBEAT_SECONDS is for inbound)`
      : `  Heartbeat      every ${heartbeatSeconds} s`,
  );
  say();
  say('Try:');
  say('  npx hybrid-runner collate deploy examples/mysql-metadata.yaml');
  say('  npx hybrid-runner collate run mysql_prod.metadata_ingestion --follow');
  say('Stop with Ctrl+C.');

  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (why: string) => {
      if (stopping) {
        say(`${why} again: exiting now.`);
        removeStageFile(stageFile);
        process.exit(130);
      }
      stopping = true;
      launcher.stop();
      say(`${why}: shutting down…`);
      removeStageFile(stageFile);
      stage.close().then(done, (error: unknown) => {
        logLine(`shutdown failed: ${(error as Error).message}`);
        done();
      });
    };
    // A process manager stops `npm start` by signalling npm, which does not pass the signal on to the stage.
    // (On Ctrl+C the whole group gets SIGINT and npm may exit first: that is no second request to stop.)
    const launcher = watchLauncher({ onGone: (what) => stopping || stop(`${what} exited`) });
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  say('Stopped.');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Library sockets (SDK keep-alive pools) must not keep a stopped stage alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (error: unknown) => {
    const usage =
      error instanceof UsageError || error instanceof SeedSecretsError || error instanceof StageConfigError;
    terminalError(`npm start: ${(error as Error).message ?? String(error)}\n`);
    process.exit(usage ? 2 : 1);
  },
);
