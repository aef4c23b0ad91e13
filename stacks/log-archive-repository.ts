// What Argo reads as the ingestion namespace's artifact repository (log-archive.ts makes the ConfigMap), as
// plain data without SST's globals, so tests can import it.
import { ARCHIVED_LOG_KEY_FORMAT } from '@hybrid-runner/config';

export { ARCHIVED_LOG_KEY_FORMAT };

/** Argo's default ConfigMap name and annotation for a namespace's artifact repositories. */
export const ARTIFACT_REPOSITORIES_CONFIG_MAP = 'artifact-repositories';
export const DEFAULT_ARTIFACT_REPOSITORY_ANNOTATION = 'workflows.argoproj.io/default-artifact-repository';
export const ARTIFACT_REPOSITORY_KEY = 'hybrid-runner-logs';

/** The repository Argo reads from the ConfigMap (JSON is YAML, which Argo parses). */
export function artifactRepository(input: {
  bucket: string;
  region: string;
  dnsSuffix: string;
}): Record<string, unknown> {
  return {
    archiveLogs: true,
    s3: {
      bucket: input.bucket,
      endpoint: `s3.${input.region}.${input.dnsSuffix}`,
      region: input.region,
      insecure: false,
      // The pod's own AWS identity (IRSA or Pod Identity): no access keys in a Secret.
      useSDKCreds: true,
      keyFormat: ARCHIVED_LOG_KEY_FORMAT,
    },
  };
}
