import { describe, expect, it } from 'vitest';
import { applyMergePatch, applyPatchBody, applyStrategicMergePatch } from '@hybrid-runner/k8s-emulator';

const secret = { metadata: { name: 's', labels: { a: '1', b: '2' } }, data: { k: 'dg==' } };

describe('JSON merge patch (RFC 7386)', () => {
  it('follows the RFC examples: merge objects, null deletes, arrays replace', () => {
    expect(applyMergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } })).toEqual({
      a: 'z',
      c: { d: 'e' },
    });
    expect(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] })).toEqual({ a: [1] });
    expect(applyMergePatch({ a: 'foo' }, 'bar')).toBe('bar');
    expect(applyMergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
  });

  it('is applied for application/merge-patch+json without touching the input', () => {
    const result = applyPatchBody(
      secret,
      'application/merge-patch+json; charset=utf-8',
      JSON.stringify({ metadata: { labels: { a: null, c: '3' } } }),
      { customResource: false },
    );
    expect(result.metadata).toEqual({ name: 's', labels: { b: '2', c: '3' } });
    expect(secret.metadata.labels).toEqual({ a: '1', b: '2' });
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('applies add, replace, remove and test', () => {
    const ops = [
      { op: 'test', path: '/metadata/labels/a', value: '1' },
      { op: 'add', path: '/metadata/labels/c', value: '3' },
      { op: 'replace', path: '/data/k', value: 'eA==' },
      { op: 'remove', path: '/metadata/labels/b' },
    ];
    const result = applyPatchBody(secret, 'application/json-patch+json', JSON.stringify(ops), {
      customResource: true,
    });
    expect(result).toEqual({ metadata: { name: 's', labels: { a: '1', c: '3' } }, data: { k: 'eA==' } });
  });

  it('answers a failed test with 422 and a malformed operation with 400', () => {
    const failedTest = JSON.stringify([{ op: 'test', path: '/metadata/labels/a', value: 'nope' }]);
    expect(() =>
      applyPatchBody(secret, 'application/json-patch+json', failedTest, { customResource: false }),
    ).toThrow(expect.objectContaining({ code: 422 }));
    const malformed = JSON.stringify([{ op: 'frobnicate', path: '/a' }]);
    expect(() =>
      applyPatchBody(secret, 'application/json-patch+json', malformed, { customResource: false }),
    ).toThrow(expect.objectContaining({ code: 400 }));
    expect(() =>
      applyPatchBody(secret, 'application/json-patch+json', '{"op":"add"}', { customResource: false }),
    ).toThrow(expect.objectContaining({ code: 400 }));
  });
});

describe('strategic merge patch', () => {
  it('is refused with 415 for custom resources, as a real server does', () => {
    expect(() =>
      applyPatchBody(secret, 'application/strategic-merge-patch+json', '{}', { customResource: true }),
    ).toThrow(expect.objectContaining({ code: 415, reason: 'UnsupportedMediaType' }));
  });

  it('merges named lists of built-in kinds by name', () => {
    const pod = {
      spec: {
        containers: [
          { name: 'main', image: 'a' },
          { name: 'wait', image: 'w' },
        ],
      },
    };
    const patched = applyStrategicMergePatch(pod, {
      spec: { containers: [{ name: 'main', image: 'b' }] },
    }) as typeof pod;
    expect(patched.spec.containers).toEqual([
      { name: 'main', image: 'b' },
      { name: 'wait', image: 'w' },
    ]);
  });

  it('rejects unknown content types with 415 listing the accepted ones', () => {
    expect(() => applyPatchBody(secret, 'text/plain', '{}', { customResource: false })).toThrow(
      /accepted media types include: application\/json-patch\+json/,
    );
  });
});
