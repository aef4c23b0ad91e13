// Outcome injection: tests script how a workflow's pods behave (failures, stuck pulls, slow runs, logs).
import type { KubeObject } from '../resources.ts';
import type { LabelRequirement } from '../selectors.ts';
import { matchesLabels, parseLabelSelector } from '../selectors.ts';
import type { Execution } from './execution.ts';
import { metadataOf, timestamp } from './kube-json.ts';

/** How a workflow's pods behave. */
export interface Scenario {
  /**
   * `succeed` (default), `fail` (exit code), `imagePullError` (stuck Pending), `unschedulable` (stuck Pending),
   * `evictedOnce` (the first attempt's pod is deleted halfway, as a node drain does; later attempts succeed).
   */
  outcome?: 'succeed' | 'fail' | 'imagePullError' | 'unschedulable' | 'evictedOnce';
  /** Exit code of `main` for `fail` (default 1). */
  exitCode?: number;
  /** Lines (or text) written to the `main` container's log while it runs. */
  logs?: string | string[];
  /** Run time of each pod (ms), for slow runs. */
  durationMs?: number;
  /** Waiting reason for `imagePullError` (default ErrImagePull, then ImagePullBackOff after a retry). */
  reason?: 'ErrImagePull' | 'ImagePullBackOff';
  /** Message for `imagePullError`/`unschedulable`. */
  message?: string;
  /** Only pods of this template (e.g. the exit handler's) follow the scenario; others run normally. */
  templateName?: string;
}

/** Which workflows a scenario applies to; every given field must match. */
export interface ScenarioMatch {
  workflowName?: string;
  /** Label selector against the workflow's labels. */
  labelSelector?: string;
  /** Image of a pod's main container (exact, or a substring when it ends with `*`). */
  image?: string;
}

/** The scripted scenarios, newest first, and the one for workflows none matches. */
export class ScenarioBook {
  private readonly defaultScenario: Scenario;
  private readonly scenarios: Array<{
    match: ScenarioMatch;
    selector: LabelRequirement[] | undefined;
    scenario: Scenario;
  }> = [];

  constructor(defaultScenario: Scenario) {
    this.defaultScenario = defaultScenario;
  }

  /** Scripts the outcome of matching workflows; the latest matching scenario wins. */
  add(match: ScenarioMatch, scenario: Scenario): { remove(): void } {
    const entry = {
      match,
      selector: match.labelSelector ? parseLabelSelector(match.labelSelector) : undefined,
      scenario,
    };
    this.scenarios.unshift(entry);
    return {
      remove: () => {
        const index = this.scenarios.indexOf(entry);
        if (index >= 0) this.scenarios.splice(index, 1);
      },
    };
  }

  clear(): void {
    this.scenarios.length = 0;
  }

  scenarioFor(workflow: KubeObject, image: string, templateName: string): Scenario {
    const metadata = metadataOf(workflow);
    for (const { match, selector, scenario } of this.scenarios) {
      if (match.workflowName !== undefined && match.workflowName !== metadata['name']) continue;
      if (selector && !matchesLabels(selector, metadata['labels'] as Record<string, string> | undefined))
        continue;
      if (match.image !== undefined) {
        const matches = match.image.endsWith('*')
          ? image.startsWith(match.image.slice(0, -1))
          : image === match.image;
        if (!matches) continue;
      }
      if (scenario.templateName !== undefined && scenario.templateName !== templateName) continue;
      return scenario;
    }
    return this.defaultScenario;
  }
}

/** The `main` log lines of a pod: the scenario's, or generated ones naming the simulated controller. */
export function scenarioLogLines(
  scenario: Scenario,
  execution: Execution,
  templateName: string,
  exitHandler: boolean,
): string[] {
  if (scenario.logs !== undefined) {
    const lines = Array.isArray(scenario.logs) ? scenario.logs : scenario.logs.split(/(?<=\n)/);
    return lines.map((line) => (line.endsWith('\n') ? line : `${line}\n`));
  }
  const what = exitHandler ? 'exit handler' : 'step';
  return [
    `[${timestamp()}] INFO SimulatedArgoController (not Argo): ${what} ${templateName} of workflow ${execution.namespace}/${execution.name} started\n`,
    `[${timestamp()}] INFO simulated work in progress\n`,
    `[${timestamp()}] INFO ${what} ${templateName} finished\n`,
  ];
}
