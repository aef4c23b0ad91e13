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
  const colour = !options.json && Boolean((stdout as { isTTY?: boolean }).isTTY) && !process.env.NO_COLOR;
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

export const mark = {
  ok: (s: string) => `${pc.green('✔')} ${s}`,
  fail: (s: string) => `${pc.red('✘')} ${s}`,
  warn: (s: string) => `${pc.yellow('!')} ${s}`,
};
