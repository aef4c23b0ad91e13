import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SecretReferenceError,
  checkSecretReference,
  findSecretReferences,
  normalizeSecretPrefix,
  verifySecretReferences,
} from '@hybrid-runner/core';
import type { SecretStore } from '@hybrid-runner/core';

const PREFIX = '/collate/hybrid-ingestion-runner/';

function rejection(run: () => unknown): SecretReferenceError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretReferenceError);
    return error as SecretReferenceError;
  }
  throw new Error('expected a SecretReferenceError');
}

describe('findSecretReferences', () => {
  it('finds every secret: string deep in objects and arrays, with its field path', () => {
    const payload = {
      workflow: {
        name: 'test-conn',
        request: {
          connection: {
            config: {
              password: 'secret:/collate/hybrid-ingestion-runner/db-password',
              username: 'admin',
              'odd key': 'secret:/collate/hybrid-ingestion-runner/odd',
              options: [
                { token: 'secret:/x/y' },
                'plain',
                'secret:/collate/hybrid-ingestion-runner/in-array',
              ],
            },
          },
        },
        note: 'not a secret: secret:/inside/text',
        count: 3,
        nothing: null,
      },
    };
    expect(findSecretReferences(payload)).toEqual([
      {
        path: 'workflow.request.connection.config.password',
        reference: 'secret:/collate/hybrid-ingestion-runner/db-password',
      },
      {
        path: 'workflow.request.connection.config["odd key"]',
        reference: 'secret:/collate/hybrid-ingestion-runner/odd',
      },
      { path: 'workflow.request.connection.config.options[0].token', reference: 'secret:/x/y' },
      {
        path: 'workflow.request.connection.config.options[2]',
        reference: 'secret:/collate/hybrid-ingestion-runner/in-array',
      },
    ]);
  });

  it('prefixes paths with a base path and survives cycles', () => {
    const cyclic: Record<string, unknown> = { key: 'secret:/a/b' };
    cyclic.self = cyclic;
    expect(findSecretReferences(cyclic, 'payload')).toEqual([
      { path: 'payload.key', reference: 'secret:/a/b' },
    ]);
    expect(findSecretReferences('secret:/a', 'payload.value')).toEqual([
      { path: 'payload.value', reference: 'secret:/a' },
    ]);
  });
});

describe('checkSecretReference', () => {
  it('accepts references strictly under the prefix, with or without the scheme and trailing slash', () => {
    expect(checkSecretReference('secret:/collate/hybrid-ingestion-runner/db', PREFIX)).toBe(
      '/collate/hybrid-ingestion-runner/db',
    );
    expect(checkSecretReference('/collate/hybrid-ingestion-runner/team/db.pw', PREFIX.slice(0, -1))).toBe(
      '/collate/hybrid-ingestion-runner/team/db.pw',
    );
    expect(checkSecretReference('secret:/p/a+b=c@d_e-f', '/p///')).toBe('/p/a+b=c@d_e-f');
  });

  const rejected: Array<[string, string, RegExp]> = [
    ['outside the prefix', 'secret:/other/db', /not under the configured prefix/],
    ['the prefix itself', 'secret:/collate/hybrid-ingestion-runner/', /empty/],
    [
      'the prefix without slash',
      'secret:/collate/hybrid-ingestion-runner',
      /not under the configured prefix/,
    ],
    ['a sibling sharing the prefix text', 'secret:/collate/hybrid-ingestion-runner-evil/x', /not under/],
    ['dot-dot escape', 'secret:/collate/hybrid-ingestion-runner/../other', /"\.\." path segment/],
    ['dot segment', 'secret:/collate/hybrid-ingestion-runner/./db', /"\." or/],
    ['double slash', 'secret:/collate/hybrid-ingestion-runner//db', /empty/],
    ['trailing slash', 'secret:/collate/hybrid-ingestion-runner/db/', /empty/],
    ['percent-encoded dots', 'secret:/collate/hybrid-ingestion-runner/%2e%2e/other', /characters/],
    ['backslash', 'secret:/collate/hybrid-ingestion-runner/..\\other', /characters/],
    ['control character', 'secret:/collate/hybrid-ingestion-runner/db\u0000', /characters/],
    ['newline', 'secret:/collate/hybrid-ingestion-runner/db\n', /characters/],
    ['unicode look-alike', 'secret:/collate/hybrid-ingestion-runner/\u2024\u2024/x', /characters/],
    ['empty', 'secret:', /names no secret/],
    ['too long', `secret:${PREFIX}${'a'.repeat(600)}`, /longer than 512/],
  ];
  it.each(rejected)('rejects %s with a message naming field and reference', (_case, reference, why) => {
    const error = rejection(() => checkSecretReference(reference, PREFIX, 'workflow.request.password'));
    expect(error.code).toBe('secret_reference_invalid');
    expect(error.field).toBe('workflow.request.password');
    expect(error.reference).toBe(reference);
    expect(error.message).toMatch(why);
    expect(error.message.startsWith('workflow.request.password: secret reference ')).toBe(true);
    expect(error.message).toContain(`secret:${PREFIX}<name>`);
  });

  it('rejects unusable prefixes', () => {
    for (const prefix of ['', '/', '/a/../b/', '/a/./b', 'a//b/', '/a%2e/']) {
      expect(() => normalizeSecretPrefix(prefix)).toThrow(SecretReferenceError);
    }
    expect(normalizeSecretPrefix('/a/b')).toBe('/a/b/');
    expect(normalizeSecretPrefix('a/b//')).toBe('a/b/');
  });

  it('never accepts a reference that resolves outside the prefix (property)', () => {
    const segment = fc.oneof(
      fc.constantFrom('..', '.', '', '%2e', '%2E%2e', '%2f', '%252e', '\\', '..\\..', 'collate'),
      fc.constantFrom(
        'hybrid-ingestion-runner',
        'hybrid-ingestion-runner-x',
        'db',
        ' ',
        '\t',
        '\u0000',
        '%00',
      ),
      fc.string({ maxLength: 6 }),
      fc.stringMatching(/^[a-z.]{1,4}$/),
    );
    // Half the references start with the real prefix text, so both verdicts are exercised.
    const reference = fc
      .tuple(fc.boolean(), fc.constantFrom('', '/', PREFIX, 'collate/'), fc.array(segment, { maxLength: 8 }))
      .map(([scheme, start, segments]) => `${scheme ? 'secret:' : ''}${start}${segments.join('/')}`);
    const prefix = fc.constantFrom(
      PREFIX,
      PREFIX.slice(0, -1),
      '/collate/',
      'collate/hybrid-ingestion-runner',
    );
    const decodeFully = (text: string): string => {
      let current = text;
      for (let i = 0; i < 5; i++) {
        try {
          const next = decodeURIComponent(current);
          if (next === current) break;
          current = next;
        } catch {
          break;
        }
      }
      return current.replaceAll('\\', '/');
    };
    let accepted = 0;
    fc.assert(
      fc.property(reference, prefix, (ref, scope) => {
        let name: string;
        try {
          name = checkSecretReference(ref, scope);
        } catch (error) {
          expect(error).toBeInstanceOf(SecretReferenceError);
          return;
        }
        accepted++;
        const normalizedScope = `${scope.replace(/\/+$/, '')}/`;
        // An independent reading of what the pod or IAM might resolve: decode, unify slashes, normalise.
        const resolved = posix.normalize(decodeFully(name));
        expect(resolved.startsWith(normalizedScope)).toBe(true);
        expect(resolved.length).toBeGreaterThan(normalizedScope.length);
        expect(resolved).toBe(name);
      }),
      { numRuns: 2000 },
    );
    // The generator must also reach the accepting branch, or the property proves nothing.
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('verifySecretReferences', () => {
  const storeOf = (names: string[]): SecretStore & { asked: string[] } => {
    const asked: string[] = [];
    return {
      asked,
      exists: async (name) => {
        asked.push(name);
        return names.includes(name);
      },
    };
  };

  it('checks every prefix before any lookup, then existence', async () => {
    const store = storeOf([`${PREFIX}a`]);
    const payload = { a: `secret:${PREFIX}a`, b: 'secret:/elsewhere/b' };
    await expect(
      verifySecretReferences(payload, { prefix: PREFIX, store, basePath: 'workflow' }),
    ).rejects.toThrow(/workflow\.b: secret reference "secret:\/elsewhere\/b" is not under/);
    expect(store.asked).toEqual([]);
  });

  it('names the missing reference and its field, and looks each name up once', async () => {
    const store = storeOf([`${PREFIX}a`]);
    const payload = { a: `secret:${PREFIX}a`, again: `secret:${PREFIX}a`, list: [`secret:${PREFIX}missing`] };
    const error = await verifySecretReferences(payload, { prefix: PREFIX, store }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretReferenceError);
    expect((error as SecretReferenceError).field).toBe('list[0]');
    expect((error as Error).message).toMatch(/list\[0\]: secret reference .*missing" does not exist/);
    expect(store.asked.sort()).toEqual([`${PREFIX}a`, `${PREFIX}missing`]);
  });

  it('returns the references when all exist', async () => {
    const store = storeOf([`${PREFIX}a`, `${PREFIX}b`]);
    const found = await verifySecretReferences(
      { x: [`secret:${PREFIX}a`, { y: `secret:${PREFIX}b` }] },
      {
        prefix: PREFIX,
        store,
      },
    );
    expect(found.map((f) => f.path)).toEqual(['x[0]', 'x[1].y']);
  });
});
