// Kubernetes names, labels and annotations for everything the runner creates. One place decides how a
// pipeline FQN (arbitrary unicode, dots, quotes, any length) becomes an object name and a label value,
// so every operation finds the same objects again.
import { createHash } from 'node:crypto';
import type { PipelineType } from '@hybrid-runner/protocol';

/** Label and annotation keys live under our own prefix so they never clash with Argo's or the user's. */
export const METADATA_KEY_PREFIX = 'hybrid-runner.getcollate.io';

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  pipeline: `${METADATA_KEY_PREFIX}/pipeline`,
  pipelineType: `${METADATA_KEY_PREFIX}/pipeline-type`,
  runId: `${METADATA_KEY_PREFIX}/run-id`,
  kind: `${METADATA_KEY_PREFIX}/kind`,
  agentId: `${METADATA_KEY_PREFIX}/agent-id`,
  /** Automation workflow or application name (one-off runs). */
  subject: `${METADATA_KEY_PREFIX}/subject`,
  /** On pods only: which template the pod runs (`main` or `exit`), so logs come from the main one. */
  template: `${METADATA_KEY_PREFIX}/template`,
} as const;

/** Argo template names. Short on purpose: pod names are `<workflow>-<template>-<hash>`. */
export const TEMPLATES = { main: 'main', exitHandler: 'exit' } as const;

export const ANNOTATIONS = {
  /** The exact FQN: label values and names may be shortened, this never is. */
  pipelineFqn: `${METADATA_KEY_PREFIX}/pipeline-fqn`,
  /** The exact run id (the run-id label may be normalised). */
  runId: `${METADATA_KEY_PREFIX}/run-id`,
  /** Name of the automation workflow or application a one-off run belongs to. */
  subject: `${METADATA_KEY_PREFIX}/subject`,
} as const;

export const MANAGED_BY = 'collate-hybrid-runner';

export type WorkloadKind = 'ingestion' | 'automation' | 'application';

/**
 * Longest base name for a pipeline's objects. Argo refuses CronWorkflow names over 52 characters and
 * names the Workflows it spawns `<cron name>-<10-digit timestamp>`; run Workflows are
 * `<base>-<8-char run id>`; pods are `<workflow>-<template>-<10-digit hash>` with our 4-letter
 * template names. 36 keeps every one of those, pods included, within the 63 of a label value/hostname.
 */
export const MAX_BASE_NAME_LENGTH = 36;
/** Longest Workflow name we generate (base + `-` + short run id); spawned cron runs are 36 + 11 = 47. */
export const MAX_WORKFLOW_NAME_LENGTH = MAX_BASE_NAME_LENGTH + 1 + 8;
/** Kubernetes label values: at most 63 characters. */
export const MAX_LABEL_VALUE_LENGTH = 63;

const HASH_LENGTH = 10;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/**
 * A value that already looks like one of our hashed results (`…-<hash>` or a bare hash) is hashed too,
 * so no value kept as it is can equal another input's hashed one.
 */
const HASH_SUFFIX = new RegExp(`(^|-)[0-9a-f]{${HASH_LENGTH}}$`);

/**
 * A short, stable digest of the exact input (not of its normalised form). Hashes UTF-16 code units, not
 * UTF-8, because UTF-8 encoding maps every lone surrogate to U+FFFD and would make distinct strings equal.
 */
export function shortHash(text: string, length = HASH_LENGTH): string {
  return createHash('sha256').update(Buffer.from(text, 'utf16le')).digest('hex').slice(0, length);
}

export function isDnsLabel(name: string, maxLength = 63): boolean {
  return name.length > 0 && name.length <= maxLength && DNS_LABEL.test(name);
}

export function isLabelValue(value: string): boolean {
  return value.length <= MAX_LABEL_VALUE_LENGTH && LABEL_VALUE.test(value);
}

/**
 * Text → DNS-1123 label of at most `maxLength` characters. Text that already is one (and does not look
 * hashed) is kept as it is; anything else is lower-cased, stripped to `[a-z0-9-]`, shortened and
 * suffixed with a hash of the exact text, so distinct inputs give distinct names.
 */
export function toDnsLabel(text: string, maxLength: number = MAX_BASE_NAME_LENGTH): string {
  if (maxLength < HASH_LENGTH + 2) throw new RangeError(`maxLength must be at least ${HASH_LENGTH + 2}`);
  if (isDnsLabel(text, maxLength) && !HASH_SUFFIX.test(text)) return text;
  const readable = text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, maxLength - HASH_LENGTH - 1)
    .replace(/^-+|-+$/g, '');
  const hash = shortHash(text);
  return readable ? `${readable}-${hash}` : hash;
}

/** Text → Kubernetes label value (≤ 63, `[A-Za-z0-9._-]`, alnum at both ends), hashed when changed. */
export function toLabelValue(text: string): string {
  if (text.length > 0 && isLabelValue(text) && !HASH_SUFFIX.test(text)) return text;
  const readable = text
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, MAX_LABEL_VALUE_LENGTH - HASH_LENGTH - 1)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  const hash = shortHash(text);
  return readable ? `${readable}-${hash}` : hash;
}

/** Base name of a pipeline's CronWorkflow and config Secret; run Workflows append a run id. */
export function pipelineResourceName(fqn: string): string {
  return toDnsLabel(fqn, MAX_BASE_NAME_LENGTH);
}

/** Name of the Secret that holds a pipeline's deployed workflow config. */
export function pipelineConfigSecretName(fqn: string): string {
  return `${pipelineResourceName(fqn)}-config`;
}

/** Value of the `pipeline` label on every object of that pipeline. */
export function pipelineLabelValue(fqn: string): string {
  return toLabelValue(fqn);
}

/** Value of the `run-id` label (run ids are UUIDs in practice, but callers may pass their own). */
export function runIdLabelValue(runId: string): string {
  return toLabelValue(runId);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 8 characters that tell runs apart: a UUID's first (random) group, otherwise a hash of the run id. */
export function shortRunId(runId: string): string {
  return UUID.test(runId) ? runId.slice(0, 8).toLowerCase() : shortHash(runId, 8);
}

/** `<base>-<short run id>`: a valid DNS label of at most MAX_WORKFLOW_NAME_LENGTH characters. */
export function runWorkflowName(fqn: string, runId: string): string {
  return `${pipelineResourceName(fqn)}-${shortRunId(runId)}`;
}

/** Workflow (and config Secret) name of a one-off automation or application run. */
export function oneOffWorkflowName(
  kind: 'automation' | 'application',
  subject: string,
  runId: string,
): string {
  const prefix = kind === 'automation' ? 'auto' : 'app';
  return `${toDnsLabel(`${prefix}-${subject}`, MAX_BASE_NAME_LENGTH)}-${shortRunId(runId)}`;
}

/** Label selector for every object (CronWorkflow, Workflows, Secret, pods) of one pipeline. */
export function pipelineSelector(fqn: string): string {
  return `${LABELS.managedBy}=${MANAGED_BY},${LABELS.pipeline}=${pipelineLabelValue(fqn)}`;
}

/** Label selector for the objects of one run of a pipeline. */
export function runSelector(fqn: string, runId: string): string {
  return `${pipelineSelector(fqn)},${LABELS.runId}=${runIdLabelValue(runId)}`;
}

/** Label selector for everything of one kind the runner manages (for example all ingestion runs). */
export function kindSelector(kind: WorkloadKind): string {
  return `${LABELS.managedBy}=${MANAGED_BY},${LABELS.kind}=${kind}`;
}

export interface ObjectIdentity {
  kind: WorkloadKind;
  agentId: string;
  /** Pipeline FQN (ingestion and applications run as a pipeline); absent for automations. */
  fqn?: string;
  pipelineType?: PipelineType | string;
  runId?: string;
  /** Automation workflow or application name. */
  subject?: string;
}

/** Labels for an object (and its pods). Every value is a valid label value. */
export function objectLabels(identity: ObjectIdentity): Record<string, string> {
  const labels: Record<string, string> = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.kind]: identity.kind,
    [LABELS.agentId]: toLabelValue(identity.agentId),
  };
  if (identity.fqn !== undefined) labels[LABELS.pipeline] = pipelineLabelValue(identity.fqn);
  if (identity.pipelineType !== undefined) labels[LABELS.pipelineType] = toLabelValue(identity.pipelineType);
  if (identity.runId !== undefined) labels[LABELS.runId] = runIdLabelValue(identity.runId);
  if (identity.subject !== undefined) labels[LABELS.subject] = toLabelValue(identity.subject);
  return labels;
}

/** Annotations carrying the exact FQN, run id and subject that labels may have had to shorten. */
export function objectAnnotations(identity: ObjectIdentity): Record<string, string> {
  const annotations: Record<string, string> = {};
  if (identity.fqn !== undefined) annotations[ANNOTATIONS.pipelineFqn] = identity.fqn;
  if (identity.runId !== undefined) annotations[ANNOTATIONS.runId] = identity.runId;
  if (identity.subject !== undefined) annotations[ANNOTATIONS.subject] = identity.subject;
  return annotations;
}

/**
 * The run id of a Workflow: the one we minted (annotation) for runs we started, or the Workflow's own uid
 * for runs a CronWorkflow spawned (their pods get `pipelineRunId={{workflow.uid}}`).
 */
export function workflowRunId(workflow: {
  metadata: { uid?: string; annotations?: Record<string, string> };
}): string | undefined {
  return workflow.metadata.annotations?.[ANNOTATIONS.runId] ?? workflow.metadata.uid;
}
