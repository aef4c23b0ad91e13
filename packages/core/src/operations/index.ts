// Every bridge operation against the cluster port: createOperations(deps) is what the dispatcher runs.
import type { Operations } from '../dispatcher.ts';
import type { OperationDeps } from './context.ts';
import { deployPipeline } from './deploy.ts';
import { runApplicationFlow, runAutomationsWorkflow } from './one-off.ts';
import { deletePipeline, toggleIngestion } from './pipeline.ts';
import { getIngestionLogs } from './logs.ts';
import { getPipelineStatus, killIngestion, runPipeline } from './runs.ts';
import { getServiceStatus, ping } from './service.ts';

export type { OperationDeps } from './context.ts';
export {
  ARGO_WORKFLOW_LABEL,
  DEFAULT_STATUS_LIMIT,
  KILL_STRATEGY,
  MAIN_CONTAINER,
  RUN_RETRY_WINDOW_MS,
  requestRunId,
} from './runs.ts';
export { REQUIRED_ARGO_RESOURCES } from './service.ts';
export { MAIN_LOG_ARTIFACT, archivedLogKey } from './logs.ts';

export function createOperations(deps: OperationDeps): Operations {
  return {
    ping: () => ping(deps),
    getServiceStatus: () => getServiceStatus(deps),
    deployPipeline: (payload) => deployPipeline(deps, payload),
    runPipeline: (payload, request) => runPipeline(deps, payload, request),
    killIngestion: (payload) => killIngestion(deps, payload),
    toggleIngestion: (payload) => toggleIngestion(deps, payload),
    deletePipeline: (payload) => deletePipeline(deps, payload),
    getPipelineStatus: (payload) => getPipelineStatus(deps, payload),
    getIngestionLogs: (payload) => getIngestionLogs(deps, payload),
    runAutomationsWorkflow: (payload) => runAutomationsWorkflow(deps, payload),
    runApplicationFlow: (payload) => runApplicationFlow(deps, payload),
  };
}
