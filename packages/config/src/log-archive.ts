// Stage configuration for archived logs (issue 14): an S3 bucket Argo writes each pod's main log to
// (`archiveLogs` in its artifact repository), so the runner serves a run's logs after its pod is gone. Kept
// apart from schema.ts so the archive's rules live in one place; schema.ts adds the `logs` block and calls
// logArchiveIssues from its cross-field checks.
import { z } from 'zod';
// A cycle (schema.ts imports this module), safe: the constant is only read when a function runs.
import { IRSA_ROLE_ANNOTATION } from './schema.ts';

const SECONDS_PER_DAY = 24 * 3600;
// S3's bucket naming rules for new general purpose buckets: 3-63 characters, lowercase letters, digits, "."
// and "-", starting and ending with a letter or digit.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The `logs` block of the stage schema. */
/**
 * Where Argo puts a pod's log: `<namespace>/<workflow>/<pod>/main.log` (Argo adds the file name). The
 * namespace first, so IAM can limit each side to its own prefix.
 */
export const ARCHIVED_LOG_KEY_FORMAT = '{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}';

export const logsSchema = z
  .strictObject({
    archive: z
      .strictObject({
        /**
         * Default: on when the stack makes the ingestion pods' AWS role (`ingestionPods.identity` irsa or
         * pod-identity, without a role of your own), since Argo's wait container writes the log with that role
         * and a wait container that cannot write fails its step; off otherwise.
         */
        enabled: z.boolean().optional(),
        /** An existing bucket to use instead of creating one (in the stage's region). */
        bucketName: z
          .string()
          .regex(
            BUCKET_NAME,
            'must be an S3 bucket name: 3-63 lowercase letters, digits, "." or "-", starting and ending with a letter or digit',
          )
          .refine((name) => !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name), {
            message: 'must be an S3 bucket name: no ".." and not an IP address',
          })
          .optional(),
        /** Default: the workflow TTL (ingestionPods.ttlSecondsAfterCompletion) in whole days, rounded up. */
        expireAfterDays: z
          .number()
          .int('must be a whole number of days (S3 lifecycle expiry counts in days)')
          .min(1, 'must be at least 1 day (S3 lifecycle expiry counts in whole days)')
          .max(36_500, 'must be at most 36500 days (100 years)')
          .optional(),
      })
      .prefault({}),
  })
  .prefault({});

type LogsInput = z.output<typeof logsSchema>;

interface ArchiveContext {
  logs: LogsInput;
  ingestionPods: {
    identity: string;
    ttlSecondsAfterCompletion: number;
    serviceAccount: { annotations: Record<string, string> };
  };
}

/** IRSA with a role given by annotation: the stack cannot add the archive's PutObject to it. */
function podsHaveOwnRole(config: ArchiveContext): boolean {
  return IRSA_ROLE_ANNOTATION in config.ingestionPods.serviceAccount.annotations;
}

export interface LogArchiveSettings {
  /** An existing bucket; undefined: the stack creates one. */
  bucketName?: string;
  /** Days after which S3 deletes an archived log. */
  expireAfterDays: number;
}

/**
 * Once the workflow TTL has deleted a run, getIngestionLogs no longer finds it, so its archived log is of no
 * use: by default it expires then too (S3 counts whole days, so rounded up, at least one).
 */
export function expiryDaysForTtl(ttlSeconds: number): number {
  return Math.max(1, Math.ceil(ttlSeconds / SECONDS_PER_DAY));
}

/** The archive of a stage, resolved; undefined when archiving is off. */
export function logArchiveSettings(config: ArchiveContext): LogArchiveSettings | undefined {
  const archive = config.logs.archive;
  const enabled = archive.enabled ?? (config.ingestionPods.identity !== 'none' && !podsHaveOwnRole(config));
  if (!enabled) return undefined;
  return {
    ...(archive.bucketName ? { bucketName: archive.bucketName } : {}),
    expireAfterDays:
      archive.expireAfterDays ?? expiryDaysForTtl(config.ingestionPods.ttlSecondsAfterCompletion),
  };
}

/** Cross-field checks of the `logs` block, called from the stage schema's superRefine. */
export function logArchiveIssues(config: ArchiveContext, context: z.RefinementCtx): void {
  const archive = config.logs.archive;
  if (archive.enabled === true && config.ingestionPods.identity === 'none') {
    context.addIssue({
      code: 'custom',
      path: ['logs', 'archive', 'enabled'],
      message:
        'needs ingestionPods.identity "irsa" or "pod-identity": Argo\'s wait container writes the log to S3 with the ingestion pods\' AWS role; set one, or set logs.archive.enabled to false',
    });
  }
  if (archive.enabled === false && (archive.bucketName || archive.expireAfterDays !== undefined)) {
    context.addIssue({
      code: 'custom',
      path: ['logs', 'archive'],
      message:
        'sets bucketName or expireAfterDays while enabled is false: remove them, or set enabled to true',
    });
  }
}
