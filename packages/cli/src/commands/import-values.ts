// `import-values <values.yaml>`: converts the published chart's values into a stage configuration file.
// Secrets in the values file are never written out; the header says how to store each one instead.
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import {
  DEFAULT_OUTBOUND_PATH,
  FIELDS_TO_FILL_AFTER_IMPORT,
  importHelmValues,
  importMode,
} from '@hybrid-runner/config';
import type { HelmImportResult } from '@hybrid-runner/config';

export interface ImportValuesOptions {
  /** Path of the chart values file to read. */
  valuesFile: string;
  /** Where to write the stage configuration; stdout when absent. */
  output?: string;
  /** The stage the file is for (used in the printed `npx sst secret set … --stage` commands). */
  stage?: string;
  /** `inbound` (default: Collate connects to API Gateway) or `outbound` (the runner dials Collate). */
  mode?: string;
  stdout?: { write(text: string): unknown };
  stderr?: { write(text: string): unknown };
}

/** The stage file's text: a comment header (what to do next, what was not carried over) and the YAML. */
export function renderImportedStageFile(result: HelmImportResult, source: string): string {
  const lines = [`# Stage configuration imported from ${source} (docs/deploy.md explains every field).`];
  const missing = FIELDS_TO_FILL_AFTER_IMPORT.filter((field) => field.startsWith('cluster'));
  lines.push(
    `# Fill in before deploying: ${missing.join(', ')}${result.config.serverHost ? '' : ', serverHost'}.`,
  );
  if (result.config.bridge?.mode === 'outbound') {
    const url = result.config.bridge.outbound?.url ?? `wss://<serverHost>${DEFAULT_OUTBOUND_PATH}`;
    lines.push(
      `# Outbound mode: the keeper dials ${url} as the published runner does; no endpoint of yours is`,
      '# opened (docs/deploy.md, "Outbound mode").',
    );
  }
  if (result.secretsFound.length > 0) {
    lines.push('#', '# Secrets found in the values file were NOT copied. Store them with:');
    for (const howToStore of new Set(result.secretsFound.map((secret) => secret.howToStore))) {
      const keys = result.secretsFound.filter((secret) => secret.howToStore === howToStore).map((s) => s.key);
      lines.push(`#   ${keys.join(', ')}:`, `#     ${howToStore}`);
    }
  }
  if (result.unsupported.length > 0) {
    lines.push('#', '# Values with no equivalent here:');
    for (const entry of result.unsupported) lines.push(`#   ${entry.key}: ${entry.reason}`);
  }
  return `${lines.join('\n')}\n${stringify(result.config)}`;
}

/** Returns the process exit code: 0 written, 2 bad input (message on stderr). */
export function importValuesCommand(options: ImportValuesOptions): number {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  // A wrong mode is a usage error, said before the file is read.
  try {
    importMode(options.mode);
  } catch (error) {
    stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(options.valuesFile, 'utf8');
  } catch (error) {
    stderr.write(
      `Cannot read ${options.valuesFile}: ${(error as Error).message}. Give the path of your values.yaml.\n`,
    );
    return 2;
  }
  let result: HelmImportResult;
  try {
    result = importHelmValues(text, {
      ...(options.stage ? { stage: options.stage } : {}),
      ...(options.mode ? { mode: options.mode } : {}),
    });
  } catch (error) {
    stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const rendered = renderImportedStageFile(result, options.valuesFile);
  if (options.output) {
    writeFileSync(options.output, rendered);
    stderr.write(
      `Wrote ${options.output}: ${result.secretsFound.length} secret(s) to store, ${result.unsupported.length} value(s) without equivalent (listed in its header).\n`,
    );
  } else {
    stdout.write(rendered);
  }
  return 0;
}
