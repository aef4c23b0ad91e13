// Label and field selectors with the grammar of k8s.io/apimachinery/pkg/labels and fields:
// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`, `!a`, comma-separated (all must hold).
import { badRequest } from './status.ts';

export type LabelRequirement =
  | { key: string; operator: 'exists' | 'notExists' }
  | { key: string; operator: 'equals' | 'notEquals'; value: string }
  | { key: string; operator: 'in' | 'notIn'; values: string[] };

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside `( … )`. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

function checkKey(key: string, selector: string): string {
  if (!LABEL_KEY.test(key) || key.length > 316) {
    throw badRequest(
      `unable to parse requirement: invalid label key "${key}" in selector "${selector}": ` +
        "name part must consist of alphanumeric characters, '-', '_' or '.'",
    );
  }
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!LABEL_VALUE.test(value) || value.length > 63) {
    throw badRequest(
      `unable to parse requirement: invalid label value "${value}" in selector "${selector}": ` +
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.' (at most 63)",
    );
  }
  return value;
}

export function parseLabelSelector(selector: string): LabelRequirement[] {
  const requirements: LabelRequirement[] = [];
  if (selector.trim() === '') return requirements;
  for (const raw of splitTopLevel(selector)) {
    const part = raw.trim();
    if (part === '')
      throw badRequest(`unable to parse requirement: empty requirement in selector "${selector}"`);
    const setMatch = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    if (setMatch) {
      const key = checkKey(setMatch[1] ?? '', selector);
      const values = (setMatch[3] ?? '').split(',').map((v) => checkValue(v.trim(), selector));
      if (values.length === 0 || (values.length === 1 && values[0] === '' && setMatch[2] === 'in')) {
        throw badRequest(
          `unable to parse requirement: for 'in', 'notin' operators, values set can't be empty`,
        );
      }
      requirements.push({ key, operator: setMatch[2] === 'in' ? 'in' : 'notIn', values });
      continue;
    }
    const comparison = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (comparison) {
      const key = checkKey(comparison[1] ?? '', selector);
      const value = checkValue((comparison[3] ?? '').trim(), selector);
      requirements.push({ key, operator: comparison[2] === '!=' ? 'notEquals' : 'equals', value });
      continue;
    }
    if (part.startsWith('!')) {
      requirements.push({ key: checkKey(part.slice(1).trim(), selector), operator: 'notExists' });
      continue;
    }
    if (/\s/.test(part)) {
      throw badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=`);
    }
    requirements.push({ key: checkKey(part, selector), operator: 'exists' });
  }
  return requirements;
}

export function matchesLabels(
  requirements: LabelRequirement[],
  labels: Record<string, string> | undefined,
): boolean {
  const set = labels ?? {};
  return requirements.every((requirement) => {
    const has = Object.hasOwn(set, requirement.key);
    const value = set[requirement.key];
    switch (requirement.operator) {
      case 'exists':
        return has;
      case 'notExists':
        return !has;
      case 'equals':
        return has && value === requirement.value;
      case 'notEquals':
        // As in Kubernetes: objects without the key match `key!=value`.
        return !has || value !== requirement.value;
      case 'in':
        return has && requirement.values.includes(value ?? '');
      case 'notIn':
        return !has || !requirement.values.includes(value ?? '');
    }
  });
}

export interface FieldRequirement {
  field: string;
  operator: 'equals' | 'notEquals';
  value: string;
}

/** Parses a field selector, allowing only `supportedFields` (as a real server rejects unknown field labels). */
export function parseFieldSelector(selector: string, supportedFields: readonly string[]): FieldRequirement[] {
  if (selector.trim() === '') return [];
  return selector.split(',').map((raw) => {
    const part = raw.trim();
    const match = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!match) throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const field = match[1] ?? '';
    if (!supportedFields.includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    return { field, operator: match[2] === '!=' ? 'notEquals' : 'equals', value: (match[3] ?? '').trim() };
  });
}

function readPath(object: unknown, path: string): string {
  let current: unknown = object;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') return '';
    current = (current as Record<string, unknown>)[segment];
  }
  return current === undefined || current === null ? '' : String(current);
}

export function matchesFields(requirements: FieldRequirement[], object: unknown): boolean {
  return requirements.every((requirement) => {
    const actual = readPath(object, requirement.field);
    return requirement.operator === 'equals' ? actual === requirement.value : actual !== requirement.value;
  });
}
