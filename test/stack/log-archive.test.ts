// logs.archive in the stack, offline (Pulumi mocks; see harness.ts for what this proves and what it cannot):
// the bucket and its guards, the grants, the message function's variable and the ingestion namespace's
// artifact repository, checked against Argo's own CRDs (both fixture versions) and, for the TLS-only bucket
// policy, against iam-simulate.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FUNCTION_ENV, parseStageConfig, readFunctionEnvironment } from '@hybrid-runner/config';
import type { StageConfigInput } from '@hybrid-runner/config';
import type { PolicyDocument } from '../../stacks/iam-policies.ts';
import {
  ARCHIVED_LOG_KEY_FORMAT,
  ARTIFACT_REPOSITORIES_CONFIG_MAP,
  DEFAULT_ARTIFACT_REPOSITORY_ANNOTATION,
} from '../../stacks/log-archive-repository.ts';
import { ACCOUNT_ID, REGION, repoRoot, runStack } from './harness.ts';
import type { StackRun } from './harness.ts';

const base: StageConfigInput = {
  serverHost: 'acme.getcollate.io',
  cluster: { name: 'prod-eks' },
  ingestionPods: { identity: 'pod-identity' },
};
const BUCKET = 'hybrid-runner-test-logs-0123abcd';
const deploy = (input: StageConfigInput) => runStack(parseStageConfig(input));

function rolePolicy(run: StackRun, name: string): PolicyDocument {
  return JSON.parse(run.one('aws:iam/rolePolicy:RolePolicy', name).inputs.policy as string) as PolicyDocument;
}
function environmentOf(run: StackRun, id: string): Record<string, string> {
  return run.one('standin:sst:aws:FunctionArgs', `${id}Args`).inputs.environment as Record<string, string>;
}
function s3Resources(run: StackRun) {
  return run.resources.filter((resource) => resource.type.startsWith('aws:s3/'));
}
function repositoryConfigMaps(run: StackRun) {
  return run.resources.filter(
    (resource) =>
      resource.type === 'kubernetes:core/v1:ConfigMap' &&
      (resource.inputs.metadata as { name?: string }).name === ARTIFACT_REPOSITORIES_CONFIG_MAP,
  );
}
function repository(run: StackRun): { archiveLogs: boolean; s3: Record<string, unknown> } {
  const [configMap] = repositoryConfigMaps(run);
  const data = configMap?.inputs.data as Record<string, string>;
  const annotations = (configMap?.inputs.metadata as { annotations: Record<string, string> }).annotations;
  // Argo reads the entry the annotation names, as YAML.
  return parseYaml(data[annotations[DEFAULT_ARTIFACT_REPOSITORY_ANNOTATION] as string] as string);
}
function readGrant(run: StackRun) {
  return rolePolicy(run, 'BridgeRolePolicy').Statement.find((s) => s.Sid === 'ReadArchivedLogs');
}

interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

/** The `archiveLocation` and `artifactRepositoryRef` schemas of a Workflow CRD fixture (Argo's own). */
function argoSchemas(version: string) {
  const crd = parseYaml(
    readFileSync(join(repoRoot, '../shared/fixtures/argo', version, 'argoproj.io_workflows.yaml'), 'utf8'),
  ) as { spec: { versions: Array<{ schema: { openAPIV3Schema: SchemaNode } }> } };
  const spec = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec?.properties ?? {};
  return {
    archiveLocation: spec.templates?.items?.properties?.archiveLocation?.properties ?? {},
    artifactRepositoryRef: spec.artifactRepositoryRef?.properties ?? {},
  };
}

describe('stack with the log archive (on by default with a pod identity)', async () => {
  const run = await deploy(base);
  const bucketArn = `arn:aws:s3:::${BUCKET}`;
  const bucketOf = (type: string) => s3Resources(run).filter((resource) => resource.type === type);

  it('makes one unversioned bucket, encrypted with SSE-S3, private, owner-enforced, expiring with the TTL', () => {
    expect(run.one('aws:s3/bucket:Bucket', 'LogArchiveBucket').inputs).toEqual({
      bucketPrefix: 'hybrid-runner-test-logs-',
      forceDestroy: true,
    });
    expect(
      s3Resources(run)
        .map((resource) => resource.type)
        .sort(),
    ).toEqual([
      'aws:s3/bucket:Bucket',
      'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
      'aws:s3/bucketOwnershipControls:BucketOwnershipControls',
      'aws:s3/bucketPolicy:BucketPolicy',
      'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
      'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
    ]);
    expect(
      bucketOf('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration')[0]
        ?.inputs,
    ).toEqual({
      bucket: BUCKET,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    expect(bucketOf('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock')[0]?.inputs).toEqual({
      bucket: BUCKET,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(bucketOf('aws:s3/bucketOwnershipControls:BucketOwnershipControls')[0]?.inputs).toEqual({
      bucket: BUCKET,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    expect(bucketOf('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration')[0]?.inputs).toEqual({
      bucket: BUCKET,
      rules: [
        {
          id: 'expire-archived-logs',
          status: 'Enabled',
          filter: {},
          expiration: { days: 7 },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        },
      ],
    });
  });

  it('refuses every request without TLS through the bucket policy (evaluated by iam-simulate)', async () => {
    const policy = JSON.parse(
      bucketOf('aws:s3/bucketPolicy:BucketPolicy')[0]?.inputs.policy as string,
    ) as Record<string, unknown>;
    const key = `${bucketArn}/collate-ingestion/run-1/run-1-main-1/main.log`;
    const decide = async (secureTransport: string) => {
      const response = await runSimulation(
        {
          identityPolicies: [{ name: 'bridge', policy: rolePolicy(run, 'BridgeRolePolicy') }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: policy,
          request: {
            principal: `arn:aws:iam::${ACCOUNT_ID}:role/BridgeRole-role`,
            action: 's3:GetObject',
            resource: { resource: key, accountId: ACCOUNT_ID },
            contextVariables: { 'aws:SecureTransport': secureTransport },
          },
        },
        {},
      );
      return response.resultType === 'error' ? JSON.stringify(response.errors) : response.overallResult;
    };
    expect(await decide('true')).toBe('Allowed');
    expect(await decide('false')).toBe('ExplicitlyDenied');
  });

  it('grants the pods PutObject and the bridge GetObject, each on the ingestion namespace prefix only', () => {
    expect(rolePolicy(run, 'IngestionPodsLogArchivePolicy').Statement).toEqual([
      {
        Sid: 'ArchiveOwnLogs',
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [`${bucketArn}/collate-ingestion/*`],
      },
    ]);
    expect(readGrant(run)).toEqual({
      Sid: 'ReadArchivedLogs',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [`${bucketArn}/collate-ingestion/*`],
    });
    expect(JSON.stringify(rolePolicy(run, 'RegistryRolePolicy'))).not.toContain('s3:');
  });

  it('tells only the message function the bucket, as its reader reads it', () => {
    expect(readFunctionEnvironment(environmentOf(run, 'BridgeMessage')).logArchiveBucket).toBe(BUCKET);
    for (const id of ['BridgeConnect', 'BridgeDisconnect', 'Heartbeat', 'RegistryRefresh']) {
      expect(Object.keys(environmentOf(run, id))).not.toContain(FUNCTION_ENV.logArchiveBucket);
    }
  });

  it("makes the bucket the ingestion namespace's default artifact repository, with archiveLogs", () => {
    const [configMap] = repositoryConfigMaps(run);
    expect(configMap?.inputs.metadata).toEqual({
      name: 'artifact-repositories',
      namespace: 'collate-ingestion',
      annotations: { 'workflows.argoproj.io/default-artifact-repository': 'hybrid-runner-logs' },
    });
    expect(repository(run)).toEqual({
      archiveLogs: true,
      s3: {
        bucket: BUCKET,
        endpoint: `s3.${REGION}.amazonaws.com`,
        region: REGION,
        insecure: false,
        useSDKCreds: true,
        keyFormat: '{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}',
      },
    });
    // The grants' prefix is the keyFormat's first segment.
    expect(ARCHIVED_LOG_KEY_FORMAT.startsWith('{{workflow.namespace}}/')).toBe(true);
  });

  it.each(['v3.7.18', 'v4.1.2'])(
    "uses only names and types Argo %s's Workflow CRD knows for a repository and its ConfigMap",
    (version) => {
      const schemas = argoSchemas(version);
      // The ConfigMap Argo looks for by default, and the annotation naming its default entry (the 3.7 fixture is
      // Argo's minimal CRD, without descriptions; the 4.1 one says it).
      const { configMap, key } = schemas.artifactRepositoryRef;
      expect([configMap?.type, key?.type]).toEqual(['string', 'string']);
      if (configMap?.description) {
        expect(configMap.description).toContain(`Defaults to "${ARTIFACT_REPOSITORIES_CONFIG_MAP}"`);
        expect(key?.description).toContain(DEFAULT_ARTIFACT_REPOSITORY_ANNOTATION);
      } else {
        expect(version).toBe('v3.7.18');
      }
      // A repository becomes each template's archiveLocation: the same fields, but keyFormat (the
      // repository's own, turned into each artifact's key).
      const { archiveLogs, s3 } = repository(run);
      expect(schemas.archiveLocation.archiveLogs?.type).toBe(typeof archiveLogs);
      const s3Schema = schemas.archiveLocation.s3?.properties ?? {};
      for (const [field, value] of Object.entries(s3).filter(([field]) => field !== 'keyFormat')) {
        expect(s3Schema[field]?.type, field).toBe(typeof value);
      }
    },
  );
});

describe('stack log archive variants', () => {
  it('uses an existing bucket as given, creating no S3 resource', async () => {
    const run = await deploy({ ...base, logs: { archive: { bucketName: 'acme-argo-logs' } } });
    expect(s3Resources(run)).toEqual([]);
    expect(readGrant(run)?.Resource).toEqual(['arn:aws:s3:::acme-argo-logs/collate-ingestion/*']);
    expect(rolePolicy(run, 'IngestionPodsLogArchivePolicy').Statement[0]?.Resource).toEqual([
      'arn:aws:s3:::acme-argo-logs/collate-ingestion/*',
    ]);
    expect(repository(run).s3.bucket).toBe('acme-argo-logs');
    expect(readFunctionEnvironment(environmentOf(run, 'BridgeMessage')).logArchiveBucket).toBe(
      'acme-argo-logs',
    );
  });

  it('makes the bucket but grants nothing to a role of your own (archiving asked for explicitly)', async () => {
    const run = await deploy({
      ...base,
      ingestionPods: {
        identity: 'irsa',
        serviceAccount: {
          annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/own' },
        },
      },
      logs: { archive: { enabled: true } },
    });
    expect(run.one('aws:s3/bucket:Bucket', 'LogArchiveBucket')).toBeDefined();
    expect(run.resources.filter((resource) => resource.name === 'IngestionPodsLogArchivePolicy')).toEqual([]);
    expect(readGrant(run)?.Resource).toEqual([`arn:aws:s3:::${BUCKET}/collate-ingestion/*`]);
  });

  it('follows the ingestion namespace and an explicit expiry', async () => {
    const run = await deploy({
      ...base,
      namespaces: { ingestion: 'team-ingest' },
      logs: { archive: { expireAfterDays: 30 } },
    });
    expect(readGrant(run)?.Resource).toEqual([`arn:aws:s3:::${BUCKET}/team-ingest/*`]);
    expect((repositoryConfigMaps(run)[0]?.inputs.metadata as { namespace: string }).namespace).toBe(
      'team-ingest',
    );
    const lifecycle = run.one(
      'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
      'LogArchiveExpiry',
    ).inputs.rules as Array<{ expiration: { days: number } }>;
    expect(lifecycle[0]?.expiration.days).toBe(30);
  });

  it.each([
    ['disabled', { ...base, logs: { archive: { enabled: false } } }],
    ['without a pod identity (the default)', { ...base, ingestionPods: { identity: 'none' as const } }],
  ])('makes no bucket, grant, variable or repository when %s', async (_case, input) => {
    const run = await deploy(input);
    expect(s3Resources(run)).toEqual([]);
    expect(repositoryConfigMaps(run)).toEqual([]);
    expect(readGrant(run)).toBeUndefined();
    expect(run.resources.filter((resource) => resource.name === 'IngestionPodsLogArchivePolicy')).toEqual([]);
    expect(Object.keys(environmentOf(run, 'BridgeMessage'))).not.toContain(FUNCTION_ENV.logArchiveBucket);
  });
});
