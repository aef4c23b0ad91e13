import { describe, expect, it } from 'vitest';
import { argoNodeId, argoPodName, fnv32a } from '@hybrid-runner/k8s-emulator';

describe('Argo names (independent reimplementation of workflow/util/pod_name.go)', () => {
  it('hashes with 32-bit FNV-1a like Go hash/fnv', () => {
    // Reference values from Argo's own UI tests of createFNVHash.
    expect(fnv32a('hello')).toBe(1335831723);
    expect(fnv32a('world')).toBe(933488787);
    expect(fnv32a('You cannot alter your fate. However, you can rise to meet it.')).toBe(827171719);
  });

  it('names pods <workflow>-<template>-<fnv32a(node name)> in the v2 format', () => {
    expect(argoPodName('wf', 'wf.onExit', 'exit-handler')).toBe(`wf-exit-handler-${fnv32a('wf.onExit')}`);
    expect(argoPodName('wf', 'wf[0].ingest', 'main')).toBe(`wf-main-${fnv32a('wf[0].ingest')}`);
  });

  it('gives a container entrypoint node the workflow name itself, as Argo does', () => {
    expect(argoPodName('wf-abc', 'wf-abc', 'main')).toBe('wf-abc');
  });

  it('cuts a long prefix so that the pod name stays within 253 characters', () => {
    const name = argoPodName('w'.repeat(250), 'node', 'template');
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name.endsWith(`-${fnv32a('node')}`)).toBe(true);
  });

  it('derives node ids from the node name', () => {
    expect(argoNodeId('wf', 'wf')).toBe('wf');
    expect(argoNodeId('wf', 'wf.onExit')).toBe(`wf-${fnv32a('wf.onExit')}`);
  });
});
