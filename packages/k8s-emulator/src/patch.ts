// PATCH bodies as a real API server applies them: JSON merge patch (RFC 7386), JSON patch (RFC 6902, via
// fast-json-patch) and, for built-in kinds only, strategic merge patch. Custom resources have no patch
// strategy metadata, so a real server answers strategic merge patches on them with 415; so do we.
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { KubeApiError, badRequest, unsupportedMediaType } from './status.ts';

export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

type Json = unknown;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** RFC 7386: objects merge recursively, `null` deletes, everything else (arrays included) replaces. */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/** Lists that the built-in kinds merge by `name` (their `patchMergeKey`) instead of replacing. */
const MERGE_BY_NAME = new Set([
  'containers',
  'initContainers',
  'env',
  'volumes',
  'volumeMounts',
  'imagePullSecrets',
  'ports',
  'secrets',
]);

/**
 * Strategic merge patch for built-in kinds: a merge patch in which the lists named in MERGE_BY_NAME merge
 * item by item on `name`. Directives such as `$patch: delete` are not supported and are rejected.
 */
export function applyStrategicMergePatch(target: Json, patch: Json, key?: string): Json {
  if (Array.isArray(patch) && key !== undefined && MERGE_BY_NAME.has(key) && Array.isArray(target)) {
    const merged = target.map((item) => structuredClone(item) as unknown);
    for (const item of patch) {
      const name = isPlainObject(item) ? item['name'] : undefined;
      const index = merged.findIndex((existing) => isPlainObject(existing) && existing['name'] === name);
      if (index >= 0) merged[index] = applyStrategicMergePatch(merged[index], item);
      else merged.push(structuredClone(item));
    }
    return merged;
  }
  if (!isPlainObject(patch)) return structuredClone(patch);
  if ('$patch' in patch || Object.keys(patch).some((k) => k.startsWith('$'))) {
    throw badRequest(
      'strategic merge patch directives ($patch, $retainKeys, ...) are not supported by this emulator',
    );
  }
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete result[field];
    else result[field] = applyStrategicMergePatch(result[field], value, field);
  }
  return result;
}

function parseJson(body: string): Json {
  try {
    return JSON.parse(body) as Json;
  } catch (error) {
    throw badRequest(`error decoding patch: ${(error as Error).message}`);
  }
}

/** Applies a PATCH request body of the given content type to `current`; returns the new object. */
export function applyPatchBody(
  current: Record<string, unknown>,
  contentType: string,
  body: string,
  options: { customResource: boolean },
): Record<string, unknown> {
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const accepted = options.customResource
    ? [JSON_PATCH, MERGE_PATCH, APPLY_PATCH]
    : [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH];
  let result: Json;
  switch (mediaType) {
    case MERGE_PATCH: {
      const patch = parseJson(body);
      if (!isPlainObject(patch)) throw badRequest('a merge patch must be a JSON object');
      result = applyMergePatch(current, patch);
      break;
    }
    case JSON_PATCH: {
      const patch = parseJson(body);
      if (!Array.isArray(patch)) throw badRequest('a JSON patch must be a JSON array of operations');
      try {
        result = fastJsonPatch.applyPatch(
          structuredClone(current),
          patch as Operation[],
          true,
          false,
        ).newDocument;
      } catch (error) {
        const name = (error as { name?: string }).name ?? '';
        const message = (error as Error).message.split('\n')[0] ?? 'invalid patch';
        // Malformed operations are the client's syntax error (400); a failing `test` or a missing path is 422.
        if (
          [
            'TEST_OPERATION_FAILED',
            'OPERATION_PATH_UNRESOLVABLE',
            'OPERATION_FROM_UNRESOLVABLE',
            'OPERATION_PATH_CANNOT_ADD',
            'OPERATION_VALUE_OUT_OF_BOUNDS',
          ].includes(name)
        ) {
          throw new KubeApiError(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: ${message}`,
          );
        }
        throw badRequest(`error applying JSON patch: ${message}`);
      }
      break;
    }
    case STRATEGIC_MERGE_PATCH: {
      if (options.customResource) throw unsupportedMediaType(mediaType, accepted);
      const patch = parseJson(body);
      if (!isPlainObject(patch)) throw badRequest('a strategic merge patch must be a JSON object');
      result = applyStrategicMergePatch(current, patch);
      break;
    }
    case APPLY_PATCH:
      throw new KubeApiError(
        415,
        'UnsupportedMediaType',
        'server-side apply (application/apply-patch+yaml) is not implemented by this emulator; use a merge or JSON patch',
      );
    default:
      throw unsupportedMediaType(mediaType || '(none)', accepted);
  }
  if (!isPlainObject(result)) throw badRequest('the patch did not produce an object');
  return result;
}
