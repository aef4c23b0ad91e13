// docs/verification.md names, for every outside contract, the tests and files that check it: each named
// path must exist, so the page cannot point at a check that was moved or deleted.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const PAGE = readFileSync(join(ROOT, 'docs/verification.md'), 'utf8');

describe('docs/verification.md', () => {
  const paths = [...PAGE.matchAll(/`((?:test|packages|stacks|docs|functions|\.ci)\/[^`\s]*)`/g)].map(
    (match) => match[1]!,
  );

  it('lists every outside contract the issue names, once', () => {
    const rows = PAGE.split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| contract'))
      .map((line) => line.split('|')[1]!.trim());
    expect(rows).toEqual([
      'API Gateway WebSocket events and limits',
      'API Gateway management API',
      'DynamoDB',
      'Secrets Manager',
      'ECR',
      'S3 (log archive)',
      'STS / EKS token',
      'EKS API',
      'Kubernetes API',
      'Argo CRDs',
      'IAM',
      'CloudWatch',
      'Lambda and EventBridge configuration',
      'EventBridge Scheduler',
      'SST / Pulumi',
      "Collate's outbound endpoint (`bridge.mode: outbound`)",
    ]);
  });

  it('names only files and folders that exist', () => {
    expect(paths.length).toBeGreaterThan(15);
    expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });
});
