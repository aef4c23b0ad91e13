// The `hybrid-runner` CLI. Commands stay thin: each parses its flags and calls a function that tests can
// call directly; errors end the process with the documented exit codes (exit-codes.ts).
import { Command, CommanderError, Option } from 'commander';
import { PIPELINE_TYPES } from '@hybrid-runner/protocol';
import { CliError, EXIT, EXIT_CODES_HELP } from './exit-codes.ts';
import { createOutput } from './output.ts';
import type { Output } from './output.ts';
import { applyStageEnvironment, findStageFile, readStageFile } from './stage-file.ts';
// Commands that load the AWS SDK or the Kubernetes client are imported when they run, so `collate …`
// starts without them.
import {
  CollateSession,
  exitCodeFor,
  fetchAllLogs,
  followRun,
  pipelineFor,
  readPipelineFile,
  rememberPipeline,
  resolveTarget,
} from './commands/collate.ts';
import type { ConnectionFlags } from './commands/collate.ts';
import { formatRuns, readAutomationFile, statusReport } from './commands/collate-extra.ts';
import type { LocalMetricsSource } from './commands/collate-extra.ts';
import { SANDBOX_OUTCOMES } from './commands/sandbox.ts';
import type { SandboxOutcome } from './commands/sandbox.ts';

/** The local stage's metrics endpoint, when the runner addressed is the local stage that names one. */
function localMetricsOf(target: { url: string; token: string }): { localMetrics?: LocalMetricsSource } {
  const file = findStageFile();
  if (!file) return {};
  const stage = readStageFile(file);
  return stage.metrics && stage.url === target.url
    ? { localMetrics: { url: stage.metrics, token: stage.token } }
    : {};
}

function collectRepeated(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function buildProgram(io: { output?: (json: boolean) => Output } = {}): Command {
  const program = new Command('hybrid-runner')
    .description(
      'Operate the serverless Collate hybrid ingestion runner: talk to it as Collate does, check a stage, manage credentials.',
    )
    .option('--json', 'machine-readable output on stdout (one JSON document, or JSON lines when following)')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .showHelpAfterError()
    .exitOverride();
  const outputFor = (command: Command): Output => {
    const json = Boolean(command.optsWithGlobals().json);
    return io.output ? io.output(json) : createOutput({ json });
  };

  const collate = program
    .command('collate')
    .description(
      'act as the Collate server towards a runner over the bridge protocol (default: the local stage of npm start)',
    )
    .option('--url <url>', 'WebSocket URL of the runner (default: the local stage, or HYBRID_RUNNER_URL)')
    .addOption(
      new Option(
        '--token <jwt>',
        'the ingestion bot token (visible in the process list: prefer --token-file or HYBRID_RUNNER_TOKEN)',
      ).conflicts('tokenFile'),
    )
    .option('--token-file <path>', 'read the ingestion bot token from this file (default: the local stage)')
    .option('--agent-id <id>', 'the runner agent id (default: the local stage, or HYBRID_RUNNER_AGENT_ID)')
    .option('--timeout <seconds>', 'how long to wait for each answer', '30');

  /**
   * Opens a bridge session for a `collate` sub-command, runs `body`, and always closes it. `prepare` reads
   * the command's input (files, flags) first, so a usage error exits 2 even when the runner is unreachable.
   */
  const withSession =
    <Input = undefined>(
      body: (
        session: CollateSession,
        out: Output,
        args: unknown[],
        command: Command,
        input: NoInfer<Input>,
      ) => Promise<void>,
      prepare?: (args: unknown[], command: Command) => Input,
    ) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const flags = command.optsWithGlobals() as ConnectionFlags;
      const out = outputFor(command);
      const timeoutSeconds = Number(flags.timeout ?? '30');
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
        throw new CliError('--timeout must be a positive number of seconds.', EXIT.usage);
      }
      const input = prepare ? prepare(args.slice(0, -2), command) : (undefined as Input);
      const target = resolveTarget(flags);
      out.progress(`Connecting to ${target.url} as agent ${target.agentId}…`);
      const session = await CollateSession.open(target, timeoutSeconds * 1000);
      try {
        await body(session, out, args.slice(0, -2), command, input);
      } finally {
        await session.close();
      }
    };

  collate
    .command('ping')
    .description('check that the runner answers')
    .action(
      withSession(async (session, out) => {
        const result = await session.request('ping', {});
        out.result(result, `pong from ${result.agentId} (runner ${result.version})`);
      }),
    );

  collate
    .command('status')
    .description(
      "the runner's health, Argo's and the cluster's, and the runner's metrics where it reports them",
    )
    .action(
      withSession(async (session, out, _args, command) => {
        const report = await statusReport(session, {
          ...localMetricsOf(resolveTarget(command.optsWithGlobals() as ConnectionFlags)),
        });
        out.result(report.json, report.human);
        if (report.json.service.status !== 'healthy')
          throw new CliError('The runner reports itself unhealthy.', EXIT.operationFailed);
      }),
    );

  collate
    .command('deploy <file>')
    .description(
      'deploy a pipeline from a YAML/JSON file with `pipeline` and `workflowConfig` (see examples/)',
    )
    .action(
      withSession(
        async (session, out, _args, _command, { pipeline, workflowConfig }) => {
          const result = await session.request('deployPipeline', { pipeline, workflowConfig });
          rememberPipeline(pipeline);
          out.result(
            result,
            `deployed ${pipeline.fullyQualifiedName}${result.reason ? ` — ${result.reason}` : ''}`,
          );
        },
        ([file]: unknown[]) => readPipelineFile(file as string),
      ),
    );

  collate
    .command('run <fqn>')
    .description('run a deployed pipeline now')
    .addOption(
      new Option('--type <pipelineType>', 'pipeline type when this machine did not deploy it').choices([
        ...PIPELINE_TYPES,
      ]),
    )
    .option('--follow', 'stream status and logs until the run ends; exit 1 unless it succeeds')
    .action(
      withSession(async (session, out, [fqn], command) => {
        const options = command.opts() as { type?: string; follow?: boolean };
        const pipeline = pipelineFor(fqn as string, options.type);
        const result = await session.request('runPipeline', { pipeline });
        if (!options.follow) {
          out.result(result, `started run ${result.runId} (workflow ${result.workflowName})`);
          return;
        }
        out.item(
          { type: 'started', ...result },
          `started run ${result.runId} (workflow ${result.workflowName})`,
        );
        const state = await followRun(session, pipeline, result.runId, out);
        if (state !== 'success')
          throw new CliError(`Run ${result.runId} ended ${state}.`, EXIT.operationFailed);
      }),
    );

  collate
    .command('kill <fqn>')
    .description('stop the running runs of a pipeline (or one, with --run-id); they end `stopped`')
    .option('--run-id <id>', 'only this run')
    .addOption(new Option('--type <pipelineType>').choices([...PIPELINE_TYPES]).hideHelp())
    .action(
      withSession(async (session, out, [fqn], command) => {
        const options = command.opts() as { runId?: string; type?: string };
        const result = await session.request('killIngestion', {
          pipeline: pipelineFor(fqn as string, options.type),
          ...(options.runId ? { runId: options.runId } : {}),
        });
        out.result(result, `kill sent${result.reason ? ` — ${result.reason}` : ''}`);
      }),
    );

  collate
    .command('toggle <fqn>')
    .description("enable or disable a pipeline's schedule")
    .addOption(new Option('--enable', 'resume the schedule').conflicts('disable'))
    .addOption(new Option('--disable', 'suspend the schedule'))
    .addOption(new Option('--type <pipelineType>').choices([...PIPELINE_TYPES]).hideHelp())
    .action(
      withSession(
        async (session, out, [fqn], _command, pipeline) => {
          const result = await session.request('toggleIngestion', { pipeline });
          rememberPipeline(pipeline);
          out.result(
            result,
            `${pipeline.enabled ? 'enabled' : 'disabled'} ${fqn}${result.reason ? ` — ${result.reason}` : ''}`,
          );
        },
        ([fqn]: unknown[], command: Command) => {
          const options = command.opts() as { enable?: boolean; disable?: boolean; type?: string };
          if (!options.enable && !options.disable)
            throw new CliError('toggle needs --enable or --disable.', EXIT.usage);
          return { ...pipelineFor(fqn as string, options.type), enabled: Boolean(options.enable) };
        },
      ),
    );

  collate
    .command('delete <fqn>')
    .description('delete a pipeline: its runs, schedule and config secret')
    .addOption(new Option('--type <pipelineType>').choices([...PIPELINE_TYPES]).hideHelp())
    .action(
      withSession(async (session, out, [fqn], command) => {
        const options = command.opts() as { type?: string };
        const result = await session.request('deletePipeline', {
          pipeline: pipelineFor(fqn as string, options.type),
        });
        out.result(result, `deleted ${fqn}${result.reason ? ` — ${result.reason}` : ''}`);
      }),
    );

  collate
    .command('runs <fqn>')
    .description("a pipeline's runs and their states, newest first")
    .option('--limit <n>', 'at most this many runs', '20')
    .addOption(new Option('--type <pipelineType>').choices([...PIPELINE_TYPES]).hideHelp())
    .action(
      withSession(
        async (session, out, [fqn], command, limit) => {
          const options = command.opts() as { type?: string };
          const result = await session.request('getPipelineStatus', {
            pipeline: pipelineFor(fqn as string, options.type),
            limit,
          });
          out.result(result, formatRuns(result.runs));
        },
        (_args: unknown[], command: Command) => {
          const limit = Number((command.opts() as { limit: string }).limit);
          if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
            throw new CliError('--limit must be a whole number from 1 to 1000.', EXIT.usage);
          }
          return limit;
        },
      ),
    );

  collate
    .command('logs <fqn>')
    .description("print a run's logs (default: the latest run)")
    .option('--run-id <id>', 'the run')
    .addOption(new Option('--type <pipelineType>').choices([...PIPELINE_TYPES]).hideHelp())
    .action(
      withSession(async (session, out, [fqn], command) => {
        const options = command.opts() as { runId?: string; type?: string };
        const parts: string[] = [];
        const chunks = await fetchAllLogs(
          session,
          pipelineFor(fqn as string, options.type),
          options.runId,
          (text) => {
            if (out.json) parts.push(text);
            else process.stdout.write(text);
          },
        );
        if (out.json) out.result({ chunks, text: parts.join('') }, '');
      }),
    );

  collate
    .command('test-connection <file>')
    .description('run a test-connection automation from a YAML/JSON file with `workflow` (see examples/)')
    .action(
      withSession(
        async (session, out, _args, _command, workflow) => {
          const result = await session.request('runAutomationsWorkflow', { workflow });
          out.result(
            result,
            `test connection submitted: run ${result.runId} (workflow ${result.workflowName})`,
          );
        },
        ([file]: unknown[]) => readAutomationFile(file as string),
      ),
    );

  program
    .command('doctor')
    .description('check a stage and print each check with its fix (default: the local stage of npm start)')
    .option('--stage-file <path>', 'the local stage file (default: found from the current directory)')
    .action(async (options: { stageFile?: string }, command: Command) => {
      const out = outputFor(command);
      const { runDoctor } = await import('./commands/doctor.ts');
      const ok = await runDoctor({ out, ...(options.stageFile ? { stageFile: options.stageFile } : {}) });
      if (!ok) throw new CliError('At least one check failed (see the fixes above).', EXIT.checksFailed);
    });

  program
    .command('import-values <values.yaml>')
    .description(
      "convert the published Helm chart's values into a stage configuration (secrets are never copied)",
    )
    .option('-o, --output <file>', 'write the stage file here instead of stdout')
    .option('--stage <name>', 'the stage the file is for (used in the printed secret commands)')
    .option(
      '--mode <mode>',
      'bridge mode: inbound (Collate connects to API Gateway, the default) or outbound (the runner dials Collate)',
    )
    .action(async (valuesFile: string, options: { output?: string; stage?: string; mode?: string }) => {
      const { importValuesCommand } = await import('./commands/import-values.ts');
      const code = importValuesCommand({ valuesFile, ...options });
      if (code !== 0) throw new CliError('import-values failed (see above).', code);
    });

  const ecr = program.command('ecr').description("Collate's ECR pull credentials");
  ecr
    .command('refresh')
    .description('log in to the registry and update the pull secret in place in every target namespace')
    .option('--namespace <ns>', 'the ingestion namespace', process.env.HYBRID_RUNNER_NAMESPACE)
    .option('--include <pattern>', 'more namespaces (names or * ? patterns), repeatable', collectRepeated)
    .option('--exclude <pattern>', 'namespaces to leave alone, repeatable', collectRepeated)
    .option('--registry <host>', 'registry host, repeatable (default Collate’s)', collectRepeated)
    .option('--secret-name <name>', 'pull secret name (default omd-registry-credentials)')
    .option(
      '--service-account <name>',
      'add the secret to this service account’s imagePullSecrets, repeatable',
      collectRepeated,
    )
    .option(
      '--keys-secret <arn>',
      "Secrets Manager secret holding Collate's keys (default: your own AWS credentials)",
    )
    .option('--keys-secret-region <region>', 'region of the keys secret')
    .option('--kubeconfig <path>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .action(async (options: Record<string, unknown>, command: Command) => {
      applyStageEnvironment();
      const { runEcrRefreshCommand } = await import('./commands/ecr-refresh.ts');
      await runEcrRefreshCommand({
        namespace: (options.namespace as string | undefined) ?? process.env.HYBRID_RUNNER_NAMESPACE ?? '',
        ...(options.include ? { include: options.include as string[] } : {}),
        ...(options.exclude ? { exclude: options.exclude as string[] } : {}),
        ...(options.registry ? { registries: options.registry as string[] } : {}),
        ...(options.secretName ? { secretName: options.secretName as string } : {}),
        ...(options.serviceAccount ? { serviceAccounts: options.serviceAccount as string[] } : {}),
        ...(options.keysSecret ? { keysSecret: options.keysSecret as string } : {}),
        ...(options.keysSecretRegion ? { keysSecretRegion: options.keysSecretRegion as string } : {}),
        clusterSource: {
          mode: 'kubeconfig',
          ...(options.kubeconfig ? { path: options.kubeconfig as string } : {}),
          ...(options.context ? { context: options.context as string } : {}),
        },
        output: outputFor(command),
      });
    });

  const eks = program.command('eks').description('EKS access');
  eks
    .command('token')
    .description('print an ExecCredential like `aws eks get-token`, for a kubeconfig exec entry')
    .requiredOption('--cluster <name>', 'EKS cluster name')
    .option(
      '--region <region>',
      'the cluster region',
      process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    )
    .action(async (options: { cluster: string; region?: string }) => {
      const { runEksTokenCommand } = await import('./commands/eks-token.ts');
      await runEksTokenCommand({ cluster: options.cluster, region: options.region ?? '' });
    });

  const sandbox = program
    .command('sandbox')
    .description(
      "the local stage's sandbox cluster (the Kubernetes emulator with a simulated Argo controller)",
    );
  sandbox
    .command('scenario <fqn>')
    .description("script how the pipeline's next runs behave in the sandbox")
    .addOption(
      new Option('--outcome <outcome>', 'how the main pod ends')
        .choices([...SANDBOX_OUTCOMES])
        .makeOptionMandatory(),
    )
    .option('--duration <seconds>', 'how long the main pod runs (slow: 300 by default)')
    .option('--message <text>', 'the reason reported for image-pull-error or unschedulable')
    .action(
      async (
        fqn: string,
        options: { outcome: SandboxOutcome; duration?: string; message?: string },
        command: Command,
      ) => {
        const durationSeconds = options.duration === undefined ? undefined : Number(options.duration);
        if (durationSeconds !== undefined && !(Number.isFinite(durationSeconds) && durationSeconds > 0)) {
          throw new CliError('--duration must be a positive number of seconds.', EXIT.usage);
        }
        const { runSandboxScenarioCommand } = await import('./commands/sandbox.ts');
        await runSandboxScenarioCommand({
          request: {
            pipelineFqn: fqn,
            outcome: options.outcome,
            ...(durationSeconds !== undefined ? { durationSeconds } : {}),
            ...(options.message !== undefined ? { message: options.message } : {}),
          },
          out: outputFor(command),
        });
      },
    );

  const secrets = program.command('secrets').description("the local stage's Secrets Manager stand-in");
  secrets
    .command('put <name>')
    .description('store a secret (value read from stdin, never from an argument) in the local stage')
    .action(async (name: string, _options: unknown, command: Command) => {
      // Without a local stage the SDK would fall back to the shell's AWS credentials and write to a real
      // account: this command is for the local stage (which names real Secrets Manager when it uses it).
      if (!applyStageEnvironment()) {
        throw new CliError(
          'No local stage found: start it with `npm start` (secrets put stores into the local stage; for a deployed stage use the AWS console or CLI).',
          EXIT.unreachable,
        );
      }
      const { runSecretsCommand } = await import('./commands/secrets.ts');
      await runSecretsCommand({ action: 'put', name, out: outputFor(command) });
    });

  return program;
}

/** Runs the CLI and returns the exit code (the bin script exits with it). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const json = argv.includes('--json');
    // An error may quote what a server or a file handed over: credential shapes (JWTs, keys) never reach the
    // terminal or a CI log. Loaded only here, so commands that succeed start without it.
    const { redactText } = await import('@hybrid-runner/observability');
    createOutput({ json }).error(redactText(error instanceof Error ? error.message : String(error)));
    return exitCodeFor(error);
  }
}
