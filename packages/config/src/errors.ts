// Validation errors as lines a person can act on: each names the field path and says how to fix it.
import type { z } from 'zod';

export class StageConfigError extends Error {
  readonly problems: string[];

  constructor(source: string, problems: string[]) {
    super(
      `${source} is not a valid stage configuration:\n${problems.map((line) => `  - ${line}`).join('\n')}`,
    );
    this.name = 'StageConfigError';
    this.problems = problems;
  }
}

/** `ingestionPods.tolerations[0].key` style path; `(root)` for the document itself. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text === '' ? '(root)' : text;
}

const EXPECTED_TYPES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  int: 'a whole number',
  number: 'a number',
  string: 'a string (quote it if it looks like a number or boolean)',
  boolean: 'true or false',
};

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}: remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling (docs/deploy.md lists every field)`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'invalid_type':
      // zod's own text ("expected string, received number") unless the schema gave a better one.
      return issue.message.startsWith('Invalid input')
        ? `must be ${EXPECTED_TYPES[issue.expected] ?? `a ${issue.expected}`}`
        : issue.message;
    case 'too_small':
    case 'too_big': {
      // zod's defaults ("Too small: expected …") unless the schema gave a better one.
      if (!/^Too (small|big)/.test(issue.message)) return issue.message;
      const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' entries' : '';
      if (issue.code === 'too_small' && bound === 1 && unit) return 'must not be empty';
      return `must be ${issue.code === 'too_small' ? 'at least' : 'at most'} ${bound}${unit}`;
    }
    case 'invalid_union':
      return 'has none of the accepted forms: see docs/deploy.md for this field';
    default:
      return issue.message;
  }
}

/**
 * For a value matching no branch of a union, the branch that got furthest (deepest issue path, else the
 * one whose type matched) is the one the author meant; its issues say what to fix better than "no branch
 * matched".
 */
function closestBranchIssues(issue: z.core.$ZodIssueInvalidUnion): z.core.$ZodIssue[] | undefined {
  let best: z.core.$ZodIssue[] | undefined;
  let bestDepth = 0;
  for (const branch of issue.errors) {
    const typeMatched = branch.some((inner) => inner.code !== 'invalid_type') ? 1 : 0;
    const depth = Math.max(0, ...branch.map((inner) => inner.path.length)) * 2 + typeMatched;
    if (depth > bestDepth) {
      best = branch;
      bestDepth = depth;
    }
  }
  return best?.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
}

function flatten(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'invalid_union') return [issue];
    const branch = closestBranchIssues(issue);
    return branch ? flatten(branch) : [issue];
  });
}

/** One line per problem: `<path>: <what to do>`. */
export function formatIssues(error: z.ZodError): string[] {
  return [
    ...new Set(flatten(error.issues).map((issue) => `${formatPath(issue.path)}: ${describeIssue(issue)}`)),
  ];
}
