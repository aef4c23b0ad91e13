// `collate run --follow` prints a run's states and its logs in the order they happened: a state, then the
// log lines written since, and the final state after the last lines (it printed "queued" after the logs of a
// step that had already finished).
import { describe, expect, it } from 'vitest';
import { followRun, type CollateSession } from '../../../../packages/cli/src/commands/collate.ts';
import type { Output } from '../../../../packages/cli/src/output.ts';
import type { Pipeline } from '@hybrid-runner/protocol';

const PIPELINE: Pipeline = { name: 'ingest', fullyQualifiedName: 'svc.ingest', pipelineType: 'metadata' };

/** A session answering each poll with the next state and the log text written so far. */
function scriptedSession(polls: Array<{ state: string; logs: string }>): CollateSession {
  let poll = -1;
  return {
    client: { on: () => () => undefined },
    request: async (op: string) => {
      if (op === 'getPipelineStatus') {
        poll = Math.min(poll + 1, polls.length - 1);
        return { runs: [{ runId: 'r1', pipelineState: polls[poll]!.state, timestamp: 0 }] };
      }
      if (op === 'getIngestionLogs') return { ingestion_task: polls[Math.max(poll, 0)]!.logs, total: 1 };
      throw new Error(`unexpected ${op}`);
    },
  } as unknown as CollateSession;
}

function recordingOutput(): { out: Output; lines: string[] } {
  const lines: string[] = [];
  const out: Output = {
    json: false,
    result: () => undefined,
    progress: () => undefined,
    error: () => undefined,
    item: (_value, human) => lines.push(human),
  };
  return { out, lines };
}

describe('collate run --follow output order', () => {
  it('prints each state before the logs written after it, and the final state last', async () => {
    const { out, lines } = recordingOutput();
    const state = await followRun(
      scriptedSession([
        { state: 'queued', logs: 'step started\n' },
        { state: 'running', logs: 'step started\nworking\n' },
        { state: 'success', logs: 'step started\nworking\nstep finished\n' },
      ]),
      PIPELINE,
      'r1',
      out,
      { pollMs: 0 },
    );
    expect(state).toBe('success');
    expect(lines.map((line) => line.replace(/^[^\w\s]+ /, ''))).toEqual([
      'queued',
      'step started',
      'running',
      'working',
      'step finished',
      'success',
    ]);
  });
});
