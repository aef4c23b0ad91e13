// Reading a stage's configuration: `stages/<stage>.yaml` (or .yml/.json) plus environment overrides.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseErrorPosition } from '@hybrid-runner/core';
import { StageConfigError, formatIssues } from './errors.ts';
import { stageConfigSchema } from './schema.ts';
import type { StageConfig } from './schema.ts';

/**
 * Environment overrides: `HYBRID_RUNNER__<path>` with `__` between the path segments as spelled in the
 * file, e.g. `HYBRID_RUNNER__cluster__name=prod-eks` or `HYBRID_RUNNER__ecr__enabled=false`. Values are
 * read as YAML scalars or flow collections (`true`, `42`, `[a, b]`).
 */
export const ENV_OVERRIDE_PREFIX = 'HYBRID_RUNNER__';
const STAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

export function parseStageConfig(input: unknown, source = 'stage configuration'): StageConfig {
  const result = stageConfigSchema.safeParse(input ?? {});
  if (!result.success) throw new StageConfigError(source, formatIssues(result.error));
  return result.data;
}

function parseDocument(text: string, source: string): unknown {
  try {
    return source.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    // Any parser failure (syntax, too many aliases) is a problem of the file, reported by position only.
    throw new StageConfigError(source, [
      `(root): cannot be parsed${parseErrorPosition(error)}; fix the syntax`,
    ]);
  }
}

export function applyEnvOverrides(document: unknown, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const root: Record<string, unknown> =
    document && typeof document === 'object' && !Array.isArray(document)
      ? structuredClone(document as Record<string, unknown>)
      : {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_OVERRIDE_PREFIX) || raw === undefined) continue;
    const path = name.slice(ENV_OVERRIDE_PREFIX.length).split('__');
    if (path.some((segment) => segment === '' || FORBIDDEN_SEGMENTS.has(segment))) {
      throw new StageConfigError(`environment variable ${name}`, [
        `${name}: not a field path; use ${ENV_OVERRIDE_PREFIX}<field>__<field>, e.g. ${ENV_OVERRIDE_PREFIX}cluster__name`,
      ]);
    }
    let node = root;
    for (const segment of path.slice(0, -1)) {
      const next = node[segment];
      if (next && typeof next === 'object' && !Array.isArray(next)) node = next as Record<string, unknown>;
      else node = node[segment] = {};
    }
    let value: unknown = '';
    if (raw !== '') {
      try {
        value = parseYaml(raw);
      } catch (error) {
        // Position only: the parser's message quotes the value, which may be a secret.
        throw new StageConfigError(`environment variable ${name}`, [
          `${name}: cannot be parsed as YAML${parseErrorPosition(error)}; quote the value or fix its syntax`,
        ]);
      }
    }
    node[path[path.length - 1] as string] = value;
  }
  return root;
}

export function stageConfigPath(stage: string, directory: string): string {
  if (!STAGE_NAME.test(stage)) {
    throw new StageConfigError(`stage "${stage}"`, [
      'stage: must be letters, digits and "-" (it names stages/<stage>.yaml)',
    ]);
  }
  for (const extension of ['.yaml', '.yml', '.json']) {
    const candidate = join(directory, `${stage}${extension}`);
    if (existsSync(candidate)) return candidate;
  }
  throw new StageConfigError(`stage "${stage}"`, [
    `(root): no ${join(directory, `${stage}.yaml`)}; copy stages/example.yaml to it and fill in serverHost and cluster.name`,
  ]);
}

export interface LoadStageConfigOptions {
  /** Folder of the stage files; default `<cwd>/stages`. */
  directory?: string;
  env?: NodeJS.ProcessEnv;
}

/** Loads, overrides from the environment, validates; throws StageConfigError listing every problem. */
export function loadStageConfig(stage: string, options: LoadStageConfigOptions = {}): StageConfig {
  const path = stageConfigPath(stage, options.directory ?? join(process.cwd(), 'stages'));
  return loadStageConfigFile(path, options.env ?? process.env);
}

export function loadStageConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): StageConfig {
  const document = parseDocument(readFileSync(path, 'utf8'), path);
  return parseStageConfig(applyEnvOverrides(document, env), path);
}
