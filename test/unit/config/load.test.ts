import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  StageConfigError,
  applyEnvOverrides,
  loadStageConfig,
  toRunnerSettings,
} from '@hybrid-runner/config';

const repoStages = join(import.meta.dirname, '../../../stages');

function stagesDir(files: Record<string, string>): string {
  const directory = mkdtempSync(join(tmpdir(), 'stages-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  return directory;
}

describe('loadStageConfig', () => {
  it('loads the checked-in example stage', () => {
    const config = loadStageConfig('example', { directory: repoStages, env: {} });
    expect(config.cluster).toEqual({ name: 'collate-ingestion', region: 'eu-west-1' });
    expect(config.ingestionPods.identity).toBe('pod-identity');
    expect(toRunnerSettings(config).tolerations).toHaveLength(1);
  });

  it('reads YAML or JSON and applies HYBRID_RUNNER__ environment overrides', () => {
    const directory = stagesDir({
      'dev.yaml': 'serverHost: a.getcollate.io\ncluster: {name: dev-eks}\n',
      'qa.json': JSON.stringify({ serverHost: 'b.getcollate.io', cluster: { name: 'qa' } }),
    });
    const dev = loadStageConfig('dev', {
      directory,
      env: {
        HYBRID_RUNNER__cluster__region: 'us-east-1',
        HYBRID_RUNNER__ecr__enabled: 'false',
        HYBRID_RUNNER__ingestionPods__imagePullSecrets: '[one, two]',
        HYBRID_RUNNER__agentId: 'from-env',
        UNRELATED: 'x',
      },
    });
    expect(dev.cluster).toEqual({ name: 'dev-eks', region: 'us-east-1' });
    expect(dev.ecr.enabled).toBe(false);
    expect(dev.ingestionPods.imagePullSecrets).toEqual(['one', 'two']);
    expect(dev.agentId).toBe('from-env');
    expect(loadStageConfig('qa', { directory, env: {} }).serverHost).toBe('b.getcollate.io');
  });

  it('names the file and every problem in it', () => {
    const directory = stagesDir({ 'bad.yaml': 'serverHost: x\ncluster: {name: c}\nagentid: typo\n' });
    expect(() => loadStageConfig('bad', { directory, env: {} })).toThrow(
      `${join(directory, 'bad.yaml')} is not a valid stage configuration:\n  - (root): unknown field "agentid"`,
    );
  });

  it('says how to create a missing stage file and rejects odd stage names', () => {
    const directory = stagesDir({});
    expect(() => loadStageConfig('prod', { directory, env: {} })).toThrow(/copy stages\/example.yaml to it/);
    expect(() => loadStageConfig('../etc', { directory, env: {} })).toThrow(
      /stage: must be letters, digits and "-"/,
    );
  });

  it('reports a syntax error as such', () => {
    const directory = stagesDir({ 'broken.yaml': 'serverHost: [unclosed\n' });
    expect(() => loadStageConfig('broken', { directory, env: {} })).toThrow(/\(root\): cannot be parsed/);
  });

  it('reports a syntax error by position, never quoting the text (a misplaced secret stays out of CI logs)', () => {
    const misplaced = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.c2lnbmF0dXJl';
    const directory = stagesDir({
      'yaml.yaml': `serverHost: x\nauthToken: ${misplaced}\n  agentId: a\n`,
      'json.json': `{"serverHost": "x", "authToken": ${misplaced}}`,
    });
    for (const stage of ['yaml', 'json']) {
      let message = '';
      try {
        loadStageConfig(stage, { directory, env: {} });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/\(root\): cannot be parsed/);
      // JSON.parse quotes ten characters or so around the error, YAML the whole line.
      expect(message).not.toContain(misplaced.slice(0, 10));
    }
  });

  it('reports a file the parser refuses for other reasons (an alias bomb) as a stage configuration error', () => {
    const bomb =
      'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n' +
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n';
    const directory = stagesDir({ 'bomb.yaml': bomb });
    expect(() => loadStageConfig('bomb', { directory, env: {} })).toThrow(StageConfigError);
  });

  it('refuses override paths that could reach object prototypes', () => {
    expect(() => applyEnvOverrides({}, { HYBRID_RUNNER____proto____x: '1' })).toThrow(StageConfigError);
    expect(() => applyEnvOverrides({}, { HYBRID_RUNNER__constructor__prototype: '1' })).toThrow(
      /not a field path/,
    );
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('reports an override that is not YAML by its name and position, never its value', () => {
    const value = '{ s3cr3t-Value-42: [';
    let thrown: unknown;
    try {
      applyEnvOverrides({}, { HYBRID_RUNNER__authToken__secretArn: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StageConfigError);
    const problems = (thrown as StageConfigError).problems.join('\n');
    expect(problems).toMatch(/^HYBRID_RUNNER__authToken__secretArn: cannot be parsed as YAML/);
    expect(problems).not.toContain('s3cr3t');
    expect((thrown as Error).message).not.toContain('s3cr3t');
  });

  it('leaves the parsed document untouched', () => {
    const document = { cluster: { name: 'a' } };
    applyEnvOverrides(document, { HYBRID_RUNNER__cluster__name: 'b' });
    expect(document.cluster.name).toBe('a');
  });
});
