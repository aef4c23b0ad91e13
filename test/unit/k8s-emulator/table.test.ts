import { describe, expect, it } from 'vitest';
import { humanDuration, renderTable } from '@hybrid-runner/k8s-emulator';

const NOW = Date.parse('2026-01-02T00:00:00Z');
const workflow = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name: 'run-1', namespace: 'ingest', creationTimestamp: '2026-01-01T23:00:00Z' },
  status: { phase: 'Running', startedAt: '2026-01-01T23:55:00Z' },
};
const ARGO_COLUMNS = [
  { name: 'Status', type: 'string', jsonPath: '.status.phase' },
  { name: 'Age', type: 'date', format: 'date-time', jsonPath: '.status.startedAt' },
  { name: 'Message', type: 'string', jsonPath: '.status.message' },
];

describe('renderTable (meta.k8s.io Table, as kubectl get asks for it)', () => {
  it("has Name then the CRD's printer columns; dates as an age, missing values as null", () => {
    const table = renderTable(
      [workflow],
      { resourceVersion: '7' },
      {
        printerColumns: ARGO_COLUMNS,
        apiVersion: 'meta.k8s.io/v1',
        now: NOW,
      },
    );
    expect(table).toMatchObject({
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: '7' },
    });
    expect((table['columnDefinitions'] as Array<{ name: string }>).map((c) => c.name)).toEqual([
      'Name',
      'Status',
      'Age',
      'Message',
    ]);
    expect(table['rows']).toEqual([
      {
        cells: ['run-1', 'Running', '5m', null],
        object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: workflow.metadata },
      },
    ]);
  });

  it('gives a CRD without printer columns an Age column, and a built-in kind Name and Created At', () => {
    const crd = renderTable([workflow], {}, { printerColumns: [], apiVersion: 'meta.k8s.io/v1', now: NOW });
    expect((crd['rows'] as Array<{ cells: unknown[] }>)[0]?.cells).toEqual(['run-1', '60m']);
    const builtin = renderTable([workflow], {}, { printerColumns: undefined, apiVersion: 'meta.k8s.io/v1' });
    expect((builtin['columnDefinitions'] as Array<{ name: string }>).map((c) => c.name)).toEqual([
      'Name',
      'Created At',
    ]);
    expect((builtin['rows'] as Array<{ cells: unknown[] }>)[0]?.cells).toEqual([
      'run-1',
      '2026-01-01T23:00:00Z',
    ]);
  });
});

describe('humanDuration (apimachinery duration.HumanDuration)', () => {
  it.each([
    [-5_000, '<invalid>'],
    [-500, '0s'],
    [119_000, '119s'],
    [125_000, '2m5s'],
    [600_000, '10m'],
    [(2 * 60 + 59) * 60_000, '179m'],
    [(3 * 60 + 5) * 60_000, '3h5m'],
    [8 * 3_600_000, '8h'],
    [47 * 3_600_000, '47h'],
    [(2 * 24 + 3) * 3_600_000, '2d3h'],
    [30 * 24 * 3_600_000, '30d'],
    [(3 * 365 + 10) * 24 * 3_600_000, '3y10d'],
    [9 * 365 * 24 * 3_600_000, '9y'],
  ])('%i ms is %s', (milliseconds, text) => {
    expect(humanDuration(milliseconds)).toBe(text);
  });
});
