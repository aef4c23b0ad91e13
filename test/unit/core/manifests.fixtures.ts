// Compiled validators for the real Argo CRDs in ../shared/fixtures (compiled once per file and process:
// each CRD is 1–3 MB of YAML).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCrdValidator, type CrdValidator } from '@hybrid-runner/k8s-emulator';

export const ARGO_VERSIONS = ['v3.7.18', 'v4.1.2'] as const;
export type ArgoVersion = (typeof ARGO_VERSIONS)[number];
export type ArgoResource = 'workflows' | 'cronworkflows';

const fixtures = join(import.meta.dirname, '../../../../shared/fixtures/argo');
const cache = new Map<string, CrdValidator>();

export function argoCrdText(version: ArgoVersion, resource: ArgoResource): string {
  return readFileSync(join(fixtures, version, `argoproj.io_${resource}.yaml`), 'utf8');
}

export function argoValidator(version: ArgoVersion, resource: ArgoResource): CrdValidator {
  const key = `${version}/${resource}`;
  let validator = cache.get(key);
  if (!validator) {
    validator = loadCrdValidator(argoCrdText(version, resource));
    cache.set(key, validator);
  }
  return validator;
}
