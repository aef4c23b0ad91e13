import { describe, expect, it } from 'vitest';
import { formatRuns } from '../../../../packages/cli/src/commands/collate-extra.ts';

describe('collate runs output', () => {
  it('prints one line per run, newest first as given, with the reason under failed runs', () => {
    const text = formatRuns([
      {
        runId: 'r2',
        pipelineState: 'failed',
        timestamp: Date.UTC(2026, 0, 1, 10),
        startDate: Date.UTC(2026, 0, 1, 10),
        workflowName: 'wf-r2',
        reason: 'ImagePullBackOff: Back-off pulling image',
      },
      {
        runId: 'r1',
        pipelineState: 'success',
        timestamp: Date.UTC(2026, 0, 1, 9),
        startDate: Date.UTC(2026, 0, 1, 9),
        endDate: Date.UTC(2026, 0, 1, 9, 5),
        workflowName: 'wf-r1',
      },
    ]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/r2\s+failed\s+started 2026-01-01T10:00:00.000Z\s+ended -/);
    expect(lines[1]).toBe('    ImagePullBackOff: Back-off pulling image');
    expect(lines[2]).toMatch(
      /r1\s+success\s+started 2026-01-01T09:00:00.000Z\s+ended 2026-01-01T09:05:00.000Z/,
    );
  });

  it('says so when a pipeline has no runs', () => {
    expect(formatRuns([])).toBe('no runs');
  });
});
