import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  LABELS,
  MANAGED_BY,
  MAX_BASE_NAME_LENGTH,
  MAX_WORKFLOW_NAME_LENGTH,
  METADATA_KEY_PREFIX,
  REGISTRY_CREDENTIALS_ANNOTATIONS,
  TEMPLATES,
  isDnsLabel,
  isLabelValue,
  objectAnnotations,
  objectLabels,
  oneOffWorkflowName,
  pipelineConfigSecretName,
  pipelineLabelValue,
  pipelineResourceName,
  pipelineSelector,
  runSelector,
  runWorkflowName,
  shortRunId,
  toDnsLabel,
  workflowRunId,
} from '@hybrid-runner/core';

const RUNS = 1000;
/** FQNs as Collate has them, plus hostile ones: any unicode (lone surrogates too), quotes, dots, very long. */
const anyFqn = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }),
  fc
    .array(fc.stringMatching(/^[A-Za-z0-9_"' .-]{1,40}$/), { minLength: 1, maxLength: 5 })
    .map((parts) => parts.join('.')),
  fc.string({ unit: fc.constantFrom('a', 'A', '-', '.', '0'), minLength: 1, maxLength: 80 }),
);
const anyRunId = fc.oneof(fc.uuid(), fc.string({ maxLength: 60 }));

// Pods are `<workflow>-<template>-<10-digit hash>`; cron runs are `<cron name>-<10-digit timestamp>`.
const longestTemplate = Math.max(...Object.values(TEMPLATES).map((t) => t.length));
const podName = (workflow: string) => `${workflow}-${'x'.repeat(longestTemplate)}-4294967295`;

describe('pipeline names', () => {
  it('keeps a name that already is a short DNS label unchanged', () => {
    expect(pipelineResourceName('mysql-metadata')).toBe('mysql-metadata');
    expect(pipelineLabelValue('mysql.metadata_1')).toBe('mysql.metadata_1');
  });

  it('normalises and suffixes a hash of the exact FQN when anything changed', () => {
    const name = pipelineResourceName('My_Redshift."daily"');
    expect(name).toMatch(/^my-redshift-daily-[0-9a-f]{10}$/);
    // Same normalised text, different FQN: different hash.
    expect(pipelineResourceName('my_redshift.daily-metadata')).not.toBe(
      pipelineResourceName('my-redshift.daily_metadata'),
    );
  });

  it('hashes a raw name that merely looks hashed, so it cannot equal another FQN’s hashed name', () => {
    const hashed = pipelineResourceName('Svc.Pipeline');
    expect(pipelineResourceName(hashed)).not.toBe(hashed);
    expect(isDnsLabel(pipelineResourceName(hashed))).toBe(true);
    const bare = pipelineResourceName('"');
    expect(bare).toMatch(/^[0-9a-f]{10}$/);
    expect(pipelineResourceName(bare)).not.toBe(bare);
    expect(pipelineLabelValue(pipelineLabelValue('"'))).not.toBe(pipelineLabelValue('"'));
  });

  it('gives empty and symbol-only FQNs a pure hash', () => {
    expect(pipelineResourceName('')).toMatch(/^[0-9a-f]{10}$/);
    expect(pipelineResourceName('...')).toMatch(/^[0-9a-f]{10}$/);
    expect(pipelineResourceName('')).not.toBe(pipelineResourceName('...'));
    expect(pipelineLabelValue('"')).toMatch(/^[0-9a-f]{10}$/);
  });

  it('rejects a maximum too small to hold a hash', () => {
    expect(() => toDnsLabel('x', 5)).toThrow(RangeError);
  });

  it('any FQN gives valid, bounded names, label values and selectors (property)', () => {
    fc.assert(
      fc.property(anyFqn, anyRunId, (fqn, runId) => {
        const base = pipelineResourceName(fqn);
        expect(isDnsLabel(base, MAX_BASE_NAME_LENGTH)).toBe(true);
        const workflow = runWorkflowName(fqn, runId);
        expect(isDnsLabel(workflow, MAX_WORKFLOW_NAME_LENGTH)).toBe(true);
        expect(podName(workflow).length).toBeLessThanOrEqual(63);
        expect(podName(`${base}-1234567890`).length).toBeLessThanOrEqual(63); // runs a CronWorkflow spawns
        expect(base.length).toBeLessThanOrEqual(52); // Argo's CronWorkflow name limit
        expect(isDnsLabel(pipelineConfigSecretName(fqn))).toBe(true);
        const label = pipelineLabelValue(fqn);
        expect(label.length).toBeGreaterThan(0);
        expect(isLabelValue(label)).toBe(true);
        expect(pipelineSelector(fqn)).toBe(`${LABELS.managedBy}=${MANAGED_BY},${LABELS.pipeline}=${label}`);
        for (const value of Object.values(
          objectLabels({ kind: 'ingestion', agentId: fqn, fqn, runId, subject: fqn }),
        )) {
          expect(isLabelValue(value)).toBe(true);
        }
        // Stable: the same FQN always maps to the same names.
        expect(pipelineResourceName(fqn)).toBe(base);
        expect(pipelineLabelValue(fqn)).toBe(label);
      }),
      { numRuns: RUNS },
    );
  });

  it('distinct FQNs give distinct names and label values (property)', () => {
    fc.assert(
      fc.property(anyFqn, anyFqn, (a, b) => {
        fc.pre(a !== b);
        expect(pipelineResourceName(a)).not.toBe(pipelineResourceName(b));
        expect(pipelineLabelValue(a)).not.toBe(pipelineLabelValue(b));
      }),
      { numRuns: RUNS },
    );
  });

  it('near-identical FQNs (one character apart, case, lone surrogates) stay distinct', () => {
    const pairs: Array<[string, string]> = [
      ['svc.Pipeline', 'svc.pipeline'],
      ['svc.a b', 'svc.a_b'],
      ['\uD800', '\uDC00'], // both encode to U+FFFD in UTF-8
      ['a'.repeat(200) + '1', 'a'.repeat(200) + '2'],
    ];
    for (const [a, b] of pairs) {
      expect(pipelineResourceName(a)).not.toBe(pipelineResourceName(b));
      expect(pipelineLabelValue(a)).not.toBe(pipelineLabelValue(b));
    }
  });

  it('many distinct FQNs never collide (property over sets)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(anyFqn, { minLength: 2, maxLength: 50 }), (fqns) => {
        expect(new Set(fqns.map(pipelineResourceName)).size).toBe(fqns.length);
        expect(new Set(fqns.map(pipelineLabelValue)).size).toBe(fqns.length);
      }),
      { numRuns: 200 },
    );
  });
});

describe('run and one-off names', () => {
  it('uses the random first group of a UUID run id, and a hash otherwise', () => {
    expect(shortRunId('3F2504E0-4F89-11D3-9A0C-0305E82C3301')).toBe('3f2504e0');
    expect(shortRunId('manual run 7')).toMatch(/^[0-9a-f]{8}$/);
    expect(runWorkflowName('svc.p', '3f2504e0-4f89-41d3-9a0c-0305e82c3301')).toBe(
      `${pipelineResourceName('svc.p')}-3f2504e0`,
    );
  });

  it('names automation and application runs apart from each other', () => {
    const runId = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    const automation = oneOffWorkflowName('automation', 'test-connection', runId);
    const application = oneOffWorkflowName('application', 'test-connection', runId);
    expect(automation).not.toBe(application);
    for (const name of [automation, application])
      expect(isDnsLabel(name, MAX_WORKFLOW_NAME_LENGTH)).toBe(true);
  });

  it('selects one run of one pipeline', () => {
    expect(runSelector('svc.p', 'r-1')).toBe(`${pipelineSelector('svc.p')},${LABELS.runId}=r-1`);
  });
});

describe('labels and annotations', () => {
  it('keeps every key of ours, the registry refresh annotations included, under the one prefix', () => {
    const ours = [
      ...Object.values(LABELS).filter((key) => key !== LABELS.managedBy),
      ...Object.values(ANNOTATIONS),
      ...Object.values(REGISTRY_CREDENTIALS_ANNOTATIONS),
    ];
    expect(METADATA_KEY_PREFIX).toBe('hybrid-runner.getcollate.io');
    for (const key of ours) expect(key.startsWith(`${METADATA_KEY_PREFIX}/`)).toBe(true);
    // Deployed pull secrets carry these keys: their values must not move.
    expect(REGISTRY_CREDENTIALS_ANNOTATIONS).toEqual({
      expiresAt: 'hybrid-runner.getcollate.io/ecr-credentials-expire-at',
      refreshedAt: 'hybrid-runner.getcollate.io/ecr-credentials-refreshed-at',
      registries: 'hybrid-runner.getcollate.io/ecr-registries',
      targetedNamespaces: 'hybrid-runner.getcollate.io/ecr-targeted-namespaces',
    });
  });

  it('labels everything with managed-by, kind, agent, pipeline, type, run and keeps exact values in annotations', () => {
    const identity = {
      kind: 'ingestion' as const,
      agentId: 'RemoteRunner',
      fqn: 'svc."quoted" pipeline',
      pipelineType: 'metadata',
      runId: 'r 1',
    };
    expect(objectLabels(identity)).toEqual({
      [LABELS.managedBy]: MANAGED_BY,
      [LABELS.kind]: 'ingestion',
      [LABELS.agentId]: 'RemoteRunner',
      [LABELS.pipeline]: pipelineLabelValue(identity.fqn),
      [LABELS.pipelineType]: 'metadata',
      [LABELS.runId]: expect.stringMatching(/^r-1-[0-9a-f]{10}$/),
    });
    expect(objectAnnotations(identity)).toEqual({
      [ANNOTATIONS.pipelineFqn]: 'svc."quoted" pipeline',
      [ANNOTATIONS.runId]: 'r 1',
    });
  });

  it('reads a run id from the annotation, else from the uid of a cron-spawned Workflow', () => {
    expect(workflowRunId({ metadata: { uid: 'u-1', annotations: { [ANNOTATIONS.runId]: 'r-1' } } })).toBe(
      'r-1',
    );
    expect(workflowRunId({ metadata: { uid: 'u-1' } })).toBe('u-1');
    expect(workflowRunId({ metadata: {} })).toBeUndefined();
  });
});
