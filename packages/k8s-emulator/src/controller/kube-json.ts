// Small helpers for reading Kubernetes objects as plain JSON, as the controller's modules need them.
import type { KubeObject } from '../resources.ts';

export type Json = Record<string, unknown>;

/** RFC 3339 to the second, as Kubernetes and Argo write timestamps. */
export function timestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function metadataOf(object: KubeObject): Json {
  return (object.metadata ?? {}) as Json;
}

export function isJson(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
