// Remembers the pipelines deployed from this machine (by FQN), so `run`, `kill`, `logs`… can be given an FQN
// alone. Kept beside the local stage file; holds no secrets (the workflow config is not stored).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Pipeline } from '@hybrid-runner/protocol';
import { findStageFile } from './stage-file.ts';

function cachePath(): string {
  const stage = findStageFile();
  return stage
    ? join(dirname(stage), 'pipelines.json')
    : join(process.cwd(), '.hybrid-runner', 'pipelines.json');
}

function readCache(path: string): Record<string, Pipeline> {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, Pipeline>;
  } catch {
    return {}; // a damaged cache only costs the --type default; it is rewritten on the next deploy
  }
}

export function rememberPipeline(pipeline: Pipeline): void {
  const path = cachePath();
  const cache = readCache(path);
  cache[pipeline.fullyQualifiedName] = pipeline;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(cache, null, 2)}\n`);
}

export function recalledPipeline(fqn: string): Pipeline | undefined {
  return readCache(cachePath())[fqn];
}
