// Checks a decoded wire value against a botocore shape: structure (required members, no unknown ones),
// list, map, string (enum, length), integer/long/float/double (range), boolean, timestamp and blob, as
// the JSON protocols serialize them. Patterns are not checked (the models' regexes are Java dialect).
import type { ServiceModel, Shape, ShapeRef } from './service-models.ts';

export interface ValidateOptions {
  /**
   * Members that AWS added after the model's version, by `<Shape>.<member>`, each with the reason it is
   * known to exist (an unknown member is otherwise a problem: a typo or a wrong casing on the wire).
   */
  newerMembers?: Record<string, string>;
  /**
   * Length and range limits (default: checked). AWS enforces them on what it receives, not on what it
   * answers (DynamoDB answers NumberOfDecreasesToday 0 where the model's minimum is 1), so answers skip them.
   */
  constraints?: boolean;
  /** `body`: JSON bodies (epoch-second timestamps, base64 blobs); `uri`/`query`: strings from the URL. */
  where?: 'body' | 'uri' | 'query';
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The JSON key of a body member: its locationName when the model gives one, else the member name. */
export function wireName(name: string, ref: ShapeRef): string {
  return ref.location ? name : (ref.locationName ?? name);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`.slice(0, 80);
}

export function validateShape(
  model: ServiceModel,
  shapeName: string,
  value: unknown,
  path: string,
  options: ValidateOptions = {},
): string[] {
  const shape: Shape | undefined = model.shapes[shapeName];
  if (!shape) return [`${path}: the model has no shape ${shapeName}`];
  const where = options.where ?? 'body';
  const problems: string[] = [];
  const fail = (message: string) => problems.push(`${path}: ${message} (shape ${shapeName})`);
  const constraints = options.constraints ?? true;
  const length = (count: number, unit: string) => {
    if (!constraints) return;
    if (shape.min !== undefined && count < shape.min)
      fail(`${count} ${unit}, below the minimum ${shape.min}`);
    if (shape.max !== undefined && count > shape.max)
      fail(`${count} ${unit}, above the maximum ${shape.max}`);
  };
  switch (shape.type) {
    case 'structure': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        fail(`expected an object, got ${describe(value)}`);
        break;
      }
      const record = value as Record<string, unknown>;
      const members = shape.members ?? {};
      const byWireName = new Map(
        Object.entries(members)
          .filter(([, ref]) => !ref.location)
          .map(([name, ref]) => [wireName(name, ref), [name, ref] as const]),
      );
      for (const required of shape.required ?? []) {
        const ref = members[required];
        if (ref?.location) continue; // carried in the URI or a header, checked there
        const key = ref ? wireName(required, ref) : required;
        if (record[key] === undefined || record[key] === null) fail(`required member ${key} is missing`);
      }
      for (const [key, member] of Object.entries(record)) {
        if (member === undefined) continue;
        const entry = byWireName.get(key);
        if (!entry) {
          if (!options.newerMembers?.[`${shapeName}.${key}`]) fail(`unknown member ${key}`);
          continue;
        }
        problems.push(...validateShape(model, entry[1].shape, member, `${path}.${key}`, options));
      }
      break;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        fail(`expected an array, got ${describe(value)}`);
        break;
      }
      length(value.length, 'items');
      value.forEach((item, index) =>
        problems.push(...validateShape(model, shape.member!.shape, item, `${path}[${index}]`, options)),
      );
      break;
    }
    case 'map': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        fail(`expected an object (map), got ${describe(value)}`);
        break;
      }
      const entries = Object.entries(value as Record<string, unknown>);
      length(entries.length, 'entries');
      for (const [key, item] of entries) {
        problems.push(...validateShape(model, shape.key!.shape, key, `${path}{${key}}`, options));
        problems.push(...validateShape(model, shape.value!.shape, item, `${path}.${key}`, options));
      }
      break;
    }
    case 'string': {
      if (typeof value !== 'string') {
        fail(`expected a string, got ${describe(value)}`);
        break;
      }
      if (shape.enum && !shape.enum.includes(value))
        fail(`"${value}" is not one of ${shape.enum.join(', ')}`);
      length(value.length, 'characters');
      break;
    }
    case 'integer':
    case 'long':
    case 'float':
    case 'double': {
      const number = where === 'body' ? value : Number(value);
      if (typeof number !== 'number' || !Number.isFinite(number)) {
        fail(`expected a number, got ${describe(value)}`);
        break;
      }
      if ((shape.type === 'integer' || shape.type === 'long') && !Number.isInteger(number))
        fail(`expected an integer, got ${number}`);
      if (constraints && shape.min !== undefined && number < shape.min)
        fail(`${number} is below the minimum ${shape.min}`);
      if (constraints && shape.max !== undefined && number > shape.max)
        fail(`${number} is above the maximum ${shape.max}`);
      break;
    }
    case 'boolean': {
      const ok = where === 'body' ? typeof value === 'boolean' : value === 'true' || value === 'false';
      if (!ok) fail(`expected a boolean, got ${describe(value)}`);
      break;
    }
    case 'timestamp': {
      // JSON bodies carry epoch seconds unless the shape says iso8601 (API Gateway's management API does).
      const format = shape.timestampFormat ?? (where === 'body' ? 'unixTimestamp' : 'iso8601');
      if (format === 'unixTimestamp') {
        if (typeof value !== 'number' || !Number.isFinite(value))
          fail(`expected epoch seconds (a number), got ${describe(value)}`);
        else if (value > 1e11) fail(`${value} looks like milliseconds, not epoch seconds`);
      } else if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
        fail(`expected an ${format} timestamp string, got ${describe(value)}`);
      }
      break;
    }
    case 'blob': {
      if (typeof value !== 'string' || !BASE64.test(value))
        fail(`expected base64 text, got ${describe(value)}`);
      break;
    }
    default:
      fail(`shape type ${shape.type} is not supported by this validator`);
  }
  return problems;
}
