// The Workflow spec shared by run Workflows and CronWorkflows (so both run the same pods): the main
// template, the exit handler for ingestion, pull secrets, placement, podGC, deadline and workflowParams.
// Every pod template retries a pod lost to its node (interruption-retry.ts), and nothing else.
import { interruptionRetryStrategy } from '../interruption-retry.ts';
import { LABELS, TEMPLATES, objectAnnotations, objectLabels } from '../names.ts';
import { COMMANDS, container, type SpecInput } from './container.ts';
import type { WorkflowSpec } from './kinds.ts';
import { mergeKubernetesObjects } from './merge.ts';
import { podPlacement } from './pod-placement.ts';

export function workflowSpec(input: SpecInput): WorkflowSpec {
  const { settings } = input;
  const podLabels = objectLabels(input.identity);
  const mainCommand = COMMANDS[input.kind];
  const templates: WorkflowSpec['templates'] = [
    {
      name: TEMPLATES.main,
      metadata: { labels: { [LABELS.template]: TEMPLATES.main } },
      container: container(input, mainCommand),
      retryStrategy: interruptionRetryStrategy(),
    },
  ];
  const spec: WorkflowSpec = {
    entrypoint: TEMPLATES.main,
    templates,
    serviceAccountName: settings.serviceAccountName,
    podMetadata: { labels: podLabels, annotations: objectAnnotations(input.identity) },
    ttlStrategy: { secondsAfterCompletion: settings.ttlSecondsAfterCompletion },
  };
  // The exit handler reports the final state of ingestion pipelines to Collate (it parses the config as
  // an ingestion workflow config, so it is not run for automations or applications).
  if (input.kind === 'ingestion') {
    spec.onExit = TEMPLATES.exitHandler;
    templates.push({
      name: TEMPLATES.exitHandler,
      metadata: { labels: { [LABELS.template]: TEMPLATES.exitHandler } },
      container: container(input, COMMANDS.exitHandler, [
        { name: 'pipelineStatus', value: '{{workflow.status}}' },
      ]),
      retryStrategy: interruptionRetryStrategy(),
    });
  }
  if (settings.imagePullSecrets.length > 0)
    spec.imagePullSecrets = settings.imagePullSecrets.map((name) => ({ name }));
  Object.assign(spec, podPlacement(settings));
  if (settings.podGC) spec.podGC = { ...settings.podGC };
  if (settings.activeDeadlineSeconds !== undefined)
    spec.activeDeadlineSeconds = settings.activeDeadlineSeconds;
  return mergeKubernetesObjects(spec, settings.workflowParams);
}
