// Argo's deterministic names, reimplemented independently of the runner's own code so that tests compare
// the runner against Argo's rules rather than against itself.

/** 32-bit FNV-1a of the UTF-8 bytes, as Go's hash/fnv New32a. */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

const MAX_NAME_LENGTH = 253;
const HASH_LENGTH = 10;

/** A node's id: the workflow name for the root node, `<workflow>-<fnv32a(node name)>` otherwise. */
export function argoNodeId(workflowName: string, nodeName: string): string {
  return nodeName === workflowName ? workflowName : `${workflowName}-${fnv32a(nodeName)}`;
}

/**
 * Pod name in Argo's v2 format (workflow/util/pod_name.go): `<workflow>-<template>-<fnv32a(node name)>`,
 * the prefix cut to fit 253 characters; a node named like its workflow (a container entrypoint) gets the
 * workflow's own name.
 */
export function argoPodName(workflowName: string, nodeName: string, templateName: string): string {
  if (workflowName === nodeName) return workflowName;
  let prefix = nodeName.includes('.inline') ? workflowName : `${workflowName}-${templateName}`;
  const maxPrefix = MAX_NAME_LENGTH - HASH_LENGTH - 1;
  if (prefix.length > maxPrefix) prefix = prefix.slice(0, maxPrefix);
  return `${prefix}-${fnv32a(nodeName)}`;
}
