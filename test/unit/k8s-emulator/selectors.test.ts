import { describe, expect, it } from 'vitest';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '@hybrid-runner/k8s-emulator';

const labels = { app: 'ingestion', tier: 'batch', 'workflows.argoproj.io/completed': 'false' };

function selects(selector: string, set: Record<string, string> | undefined = labels): boolean {
  return matchesLabels(parseLabelSelector(selector), set);
}

describe('label selectors (k8s grammar)', () => {
  it('matches equality with =, == and !=', () => {
    expect(selects('app=ingestion')).toBe(true);
    expect(selects('app==ingestion')).toBe(true);
    expect(selects('app=other')).toBe(false);
    expect(selects('app!=other')).toBe(true);
    expect(selects('app!=ingestion')).toBe(false);
  });

  it('lets objects without the key match != and notin, as Kubernetes does', () => {
    expect(selects('missing!=x')).toBe(true);
    expect(selects('missing notin (x,y)')).toBe(true);
    expect(selects('missing in (x,y)')).toBe(false);
  });

  it('matches set-based requirements and existence', () => {
    expect(selects('tier in (batch, web)')).toBe(true);
    expect(selects('tier notin (batch)')).toBe(false);
    expect(selects('app')).toBe(true);
    expect(selects('!app')).toBe(false);
    expect(selects('!missing')).toBe(true);
  });

  it('requires every comma-separated requirement (AND), with commas inside sets kept', () => {
    expect(selects('app=ingestion,tier in (web,batch),workflows.argoproj.io/completed!=true')).toBe(true);
    expect(selects('app=ingestion,tier=web')).toBe(false);
  });

  it('treats an empty selector as everything and undefined labels as an empty set', () => {
    expect(selects('')).toBe(true);
    expect(matchesLabels(parseLabelSelector('app'), undefined)).toBe(false);
    expect(matchesLabels(parseLabelSelector('!app'), undefined)).toBe(true);
  });

  it('rejects malformed selectors with a 400 that names the problem', () => {
    for (const bad of ['app=ingestion,', 'app in ()', 'bad key=1', 'app=-bad-', '=value']) {
      expect(() => parseLabelSelector(bad), bad).toThrow(
        expect.objectContaining({ code: 400, reason: 'BadRequest' }),
      );
    }
  });
});

describe('field selectors', () => {
  const pod = { metadata: { name: 'p1', namespace: 'ns' }, status: { phase: 'Running' } };

  it('matches supported fields with =, == and !=', () => {
    const supported = ['metadata.name', 'metadata.namespace', 'status.phase'];
    expect(matchesFields(parseFieldSelector('metadata.name=p1', supported), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('metadata.name==p2', supported), pod)).toBe(false);
    expect(
      matchesFields(parseFieldSelector('status.phase!=Succeeded,metadata.namespace=ns', supported), pod),
    ).toBe(true);
  });

  it('rejects a field the kind does not support, as a real server does', () => {
    expect(() => parseFieldSelector('spec.foo=bar', ['metadata.name'])).toThrow(
      'field label not supported: spec.foo',
    );
  });
});
