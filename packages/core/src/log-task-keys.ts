// The response key under which each pipeline type's log text travels (what the OpenMetadata UI reads).
import type { PipelineType } from '@hybrid-runner/protocol';

/** The response key the OpenMetadata UI reads for each pipeline type's log text. */
export const LOG_TASK_KEYS = {
  metadata: 'ingestion_task',
  usage: 'usage_task',
  lineage: 'lineage_task',
  profiler: 'profiler_task',
  autoClassification: 'auto_classification_task',
  TestSuite: 'test_suite_task',
  dataInsight: 'data_insight_task',
  elasticSearchReindex: 'elasticsearch_reindex_task',
  dbt: 'dbt_task',
  application: 'application_task',
} as const satisfies Record<PipelineType, string>;

export function logTaskKey(pipelineType: PipelineType): string {
  return LOG_TASK_KEYS[pipelineType];
}
