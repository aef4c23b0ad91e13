// docs/deploy.md must map EVERY value of the published chart: this reads its table and checks each key path
// of the chart's values file (the fixture) against it.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { secretValuesOnCommandLines } from '../../support/secret-commands.ts';

const docs = readFileSync(join(import.meta.dirname, '../../../docs/deploy.md'), 'utf8');
const chartValues = parseYaml(
  readFileSync(
    join(import.meta.dirname, '../../../../shared/fixtures/helm/chart-1.13.3-values.yaml'),
    'utf8',
  ),
) as Record<string, unknown>;

function keyPaths(node: unknown, prefix = ''): string[] {
  if (!node || typeof node !== 'object' || Array.isArray(node) || Object.keys(node).length === 0)
    return [prefix];
  return Object.entries(node).flatMap(([key, value]) => keyPaths(value, prefix ? `${prefix}.${key}` : key));
}

/** `a.{b,c}.d` → a.b.d, a.c.d */
function expandBraces(pattern: string): string[] {
  const match = /\{([^}]+)\}/.exec(pattern);
  if (!match) return [pattern];
  return match[1]!.split(',').flatMap((choice) => expandBraces(pattern.replace(match[0], choice)));
}

/** Chart keys named in the first column of the mapping table; `.x` continues the previous key's parent. */
function documentedKeys(markdown: string): Set<string> {
  const section = markdown.slice(markdown.indexOf('## Every value of the published chart'));
  const keys = new Set<string>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const firstCell = line.split('|')[1] ?? '';
    let previous = '';
    for (const [, token] of firstCell.matchAll(/`([^`]+)`/g)) {
      const full = token!.startsWith('.')
        ? `${previous.slice(0, previous.lastIndexOf('.'))}${token}`
        : token!;
      for (const key of expandBraces(full)) keys.add(key);
      previous = full;
    }
  }
  return keys;
}

describe('docs/deploy.md chart mapping', () => {
  const documented = documentedKeys(docs);

  it('maps every key of the chart 1.13.3 values file', () => {
    const missing = keyPaths(chartValues).filter((path) => !documented.has(path));
    expect(missing).toEqual([]);
  });

  it('maps the values the chart only shows commented out', () => {
    for (const key of [
      'config.authTokenSecret.name',
      'config.reconnectDelaySeconds',
      'config.ingestionPods.namespace',
      'config.ingestionPods.customConfig.workflowParams',
      'config.argoWorkflows.secondsAfterCompletionTTL',
      'podDisruptionBudget.minAvailable',
      'grafanaDashboard.namespace',
    ]) {
      expect(documented).toContain(key);
    }
  });
});

describe('secret values on command lines', () => {
  const root = join(import.meta.dirname, '../../..');
  const pages = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  ];

  it.each(pages)('%s stores secrets with sst secret set reading the value from a prompt or stdin', (page) => {
    expect(secretValuesOnCommandLines(readFileSync(join(root, page), 'utf8'))).toEqual([]);
  });

  it('tells a value argument from flags, stdin and prose', () => {
    expect(
      secretValuesOnCommandLines(
        [
          "npx sst secret set CollateAuthToken 'eyJhbGciOi' --stage prod",
          'npx sst secret set CollateEcrCredentials --stage prod {"accessKeyId":"AKIA"}',
        ].join('\n'),
      ),
    ).toHaveLength(2);
    expect(
      secretValuesOnCommandLines(
        [
          'npx sst secret set CollateAuthToken --stage prod   # prompts',
          'npx sst secret set CollateEcrCredentials --stage prod < ecr-keys.json',
          'secret: `npx sst secret set CollateAuthToken …` (or authToken.secretArn)',
        ].join('\n'),
      ),
    ).toEqual([]);
  });
});
