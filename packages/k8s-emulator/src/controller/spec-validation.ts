// The spec checks the simulated controller makes before running a workflow (Argo's validation fails the
// workflow with a message): one template type each, resolvable templates and variables.
import type { Json } from './kube-json.ts';
import { KNOWN_VARIABLE_PREFIXES, VARIABLE } from './template-variables.ts';

/** Why the spec cannot run, or undefined when it can. */
export function validateWorkflowSpec(spec: Json): string | undefined {
  if (spec['workflowTemplateRef']) return 'workflowTemplateRef is not supported by the simulated controller';
  const templates = Array.isArray(spec['templates']) ? (spec['templates'] as Json[]) : [];
  const names = new Set(templates.map((t) => String(t['name'])));
  const entrypoint = spec['entrypoint'];
  if (typeof entrypoint !== 'string' || entrypoint === '') return 'spec.entrypoint is required';
  if (!names.has(entrypoint)) return `spec.entrypoint template ${entrypoint} not found`;
  const onExit = spec['onExit'];
  if (typeof onExit === 'string' && onExit !== '' && !names.has(onExit))
    return `spec.onExit template ${onExit} not found`;
  const declared = new Set(
    ((spec['arguments'] as Json | undefined)?.['parameters'] as Json[] | undefined)?.map(
      (p) => `workflow.parameters.${String(p['name'])}`,
    ) ?? [],
  );
  for (const template of templates) {
    const kinds = [
      'container',
      'script',
      'steps',
      'dag',
      'suspend',
      'resource',
      'data',
      'http',
      'containerSet',
      'plugin',
    ].filter((k) => template[k] !== undefined);
    if (kinds.length !== 1)
      return `templates.${String(template['name'])} must be of exactly one template type`;
    for (const step of (template['steps'] as Json[][] | undefined)?.flat() ?? []) {
      if (step['templateRef'])
        return `templates.${String(template['name'])}.steps: templateRef is not supported by the simulated controller`;
      if (!names.has(String(step['template'])))
        return `templates.${String(template['name'])}.steps failed to resolve template ${String(step['template'])}`;
    }
    for (const task of ((template['dag'] as Json | undefined)?.['tasks'] as Json[] | undefined) ?? []) {
      if (!names.has(String(task['template'])))
        return `templates.${String(template['name'])}.tasks.${String(task['name'])} failed to resolve template ${String(task['template'])}`;
    }
    const inputs = new Set(
      ((template['inputs'] as Json | undefined)?.['parameters'] as Json[] | undefined)?.map(
        (p) => `inputs.parameters.${String(p['name'])}`,
      ) ?? [],
    );
    for (const match of JSON.stringify(template).matchAll(VARIABLE)) {
      const variable = match[1] ?? '';
      if (variable.startsWith('=')) continue; // an expr-lang expression: evaluated by Argo, not checked here
      if (variable.startsWith('workflow.parameters.') && !declared.has(variable)) {
        return `templates.${String(template['name'])}: failed to resolve {{${variable}}}`;
      }
      if (variable.startsWith('inputs.parameters.') && !inputs.has(variable)) {
        return `templates.${String(template['name'])}: failed to resolve {{${variable}}}`;
      }
      if (!KNOWN_VARIABLE_PREFIXES.some((prefix) => variable.startsWith(prefix))) {
        return `templates.${String(template['name'])}: failed to resolve {{${variable}}}`;
      }
    }
  }
  return undefined;
}
