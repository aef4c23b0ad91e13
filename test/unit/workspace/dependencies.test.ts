// Every workspace package must declare the modules its src imports. Today's flat node_modules hides a
// missing entry (hoisting), until a package is installed or bundled on its own; this catches it here.
import { readFileSync, readdirSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const PACKAGES = join(import.meta.dirname, '../../../packages');

/**
 * Gaps in packages whose manifests another engineer owns, recorded exactly so that a new gap still fails
 * and a fixed one asks for its entry to go. Empty this as they are declared.
 */
const KNOWN_GAPS: Record<string, string[]> = {};

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Module specifiers a TypeScript file imports (static, dynamic, `export … from`), comments ignored. */
function importedModules(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((file) => file.fileName);
}

/** Bare modules imported by `files` that are neither built-ins, nor the package itself, nor declared. */
function undeclaredModules(manifest: Manifest, files: Array<{ source: string }>): string[] {
  const declared = new Set(
    Object.keys({
      ...manifest.dependencies,
      ...manifest.devDependencies,
      ...manifest.peerDependencies,
      ...manifest.optionalDependencies,
    }),
  );
  // A type-only module such as `aws-lambda` is provided by its DefinitelyTyped package.
  const typesPackage = (name: string) => `@types/${name.replace(/^@/, '').replace('/', '__')}`;
  const missing = new Set<string>();
  for (const { source } of files) {
    for (const specifier of importedModules(source)) {
      if (specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) continue;
      const name = packageOf(specifier);
      if (name === manifest.name || declared.has(name) || declared.has(typesPackage(name))) continue;
      missing.add(name);
    }
  }
  return [...missing].sort();
}

function workspacePackages(): Array<{ manifest: Manifest; files: Array<{ source: string }> }> {
  return readdirSync(PACKAGES).map((dir) => {
    const manifest = JSON.parse(readFileSync(join(PACKAGES, dir, 'package.json'), 'utf8')) as Manifest;
    const src = join(PACKAGES, dir, 'src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => ({ source: readFileSync(join(src, file), 'utf8') }));
    return { manifest, files };
  });
}

describe('workspace package manifests', () => {
  const packages = workspacePackages();

  it('finds the workspace packages and their sources', () => {
    expect(packages.map((entry) => entry.manifest.name)).toContain('@hybrid-runner/core');
    expect(packages.every((entry) => entry.files.length > 0)).toBe(true);
  });

  it.each(packages.map((entry) => [entry.manifest.name, entry] as const))(
    '%s declares every bare module its src imports',
    (name, entry) => {
      expect(undeclaredModules(entry.manifest, entry.files)).toEqual(KNOWN_GAPS[name] ?? []);
    },
  );

  it('flags an undeclared import, and accepts built-ins, relative paths, itself and @types packages', () => {
    const manifest: Manifest = {
      name: '@hybrid-runner/example',
      dependencies: { zod: '^4', '@aws-sdk/client-ecr': '^3' },
      devDependencies: { '@types/aws-lambda': '^8' },
    };
    const source = [
      "import { z } from 'zod';",
      "import { ECRClient } from '@aws-sdk/client-ecr';",
      "import type { Context } from 'aws-lambda';",
      "import { readFile } from 'node:fs/promises';",
      "import { join } from 'path';",
      "import { helper } from './helper.ts';",
      "export { thing } from '@hybrid-runner/example';",
      "import type { AwsCredentialIdentity } from '@smithy/types';",
      "const lazy = await import('jose');",
      "export * from 'yaml/util';",
      "// import 'commented-out';",
    ].join('\n');
    expect(undeclaredModules(manifest, [{ source }])).toEqual(['@smithy/types', 'jose', 'yaml']);
  });
});
