// Output for people (colour and progress on a terminal) or for scripts (`--json`: one JSON document on
// stdout, nothing else there).
import pc from 'picocolors';

export interface Output {
  readonly json: boolean;
  /** The command's result: a JSON document with --json, otherwise the human text. */
  result(value: unknown, human: string): void;
  /** Progress lines for people; silent with --json (scripts read stdout only). */
  progress(message: string): void;
  /** Streams one item (an event or log chunk): JSON lines with --json. */
  item(value: unknown, human: string): void;
  error(message: string): void;
}

export function createOutput(options: {
  json: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const colour = !options.json && colourWanted(process.env, stdout as { isTTY?: boolean });
  const dim = colour ? pc.dim : (s: string) => s;
  const red = colour ? pc.red : (s: string) => s;
  return {
    json: options.json,
    result(value, human) {
      stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
    },
    progress(message) {
      if (!options.json) stderr.write(`${dim(message)}\n`);
    },
    item(value, human) {
      stdout.write(options.json ? `${JSON.stringify(value)}\n` : `${human}\n`);
    },
    error(message) {
      stderr.write(
        options.json ? `${JSON.stringify({ error: message })}\n` : `${red('error:')} ${message}\n`,
      );
    },
  };
}

/**
 * Colour for people at a terminal only. picocolors alone also colours whenever CI is set, which puts escape
 * codes into piped output and logs; FORCE_COLOR still turns it on, NO_COLOR off.
 */
export function colourWanted(
  env: NodeJS.ProcessEnv = process.env,
  stdout: { isTTY?: boolean } = process.stdout,
): boolean {
  if (env.NO_COLOR) return false;
  return Boolean(env.FORCE_COLOR) || Boolean(stdout.isTTY);
}

const marks = pc.createColors(colourWanted());

export const mark = {
  ok: (s: string) => `${marks.green('✔')} ${s}`,
  fail: (s: string) => `${marks.red('✘')} ${s}`,
  warn: (s: string) => `${marks.yellow('!')} ${s}`,
};
