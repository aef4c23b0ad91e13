// logs.archive: when it is on, the expiry derived from the workflow TTL, and refusals with their fix.
import { describe, expect, it } from 'vitest';
import { expiryDaysForTtl, logArchiveSettings, parseStageConfig } from '@hybrid-runner/config';
import type { StageConfigInput } from '@hybrid-runner/config';

const base: StageConfigInput = { serverHost: 'acme.getcollate.io', cluster: { name: 'prod-eks' } };
const withIdentity: StageConfigInput = { ...base, ingestionPods: { identity: 'pod-identity' } };
const problems = (input: StageConfigInput) => {
  try {
    parseStageConfig(input);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
};
const settings = (input: StageConfigInput) => logArchiveSettings(parseStageConfig(input));

describe('logs.archive configuration', () => {
  it('is on by default when the pods have an AWS identity, expiring with the one-week workflow TTL', () => {
    expect(settings(withIdentity)).toEqual({ expireAfterDays: 7 });
    expect(settings({ ...base, ingestionPods: { identity: 'irsa' } })).toEqual({ expireAfterDays: 7 });
  });

  it('is off by default with a role of your own, which the stack cannot grant the upload; on when asked', () => {
    const ownRole = {
      identity: 'irsa' as const,
      serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/own' } },
    };
    expect(settings({ ...base, ingestionPods: ownRole })).toBeUndefined();
    expect(settings({ ...base, ingestionPods: ownRole, logs: { archive: { enabled: true } } })).toEqual({
      expireAfterDays: 7,
    });
  });

  it('is off by default without a pod identity: nothing could write to the bucket', () => {
    expect(settings(base)).toBeUndefined();
    expect(settings({ ...withIdentity, logs: { archive: { enabled: false } } })).toBeUndefined();
  });

  it('rounds the workflow TTL up to whole days, at least one', () => {
    expect(expiryDaysForTtl(1)).toBe(1);
    expect(expiryDaysForTtl(86_400)).toBe(1);
    expect(expiryDaysForTtl(86_401)).toBe(2);
    expect(expiryDaysForTtl(604_800)).toBe(7);
    expect(
      settings({ ...withIdentity, ingestionPods: { identity: 'irsa', ttlSecondsAfterCompletion: 3600 } }),
    ).toEqual({ expireAfterDays: 1 });
    expect(
      settings({ ...withIdentity, ingestionPods: { identity: 'irsa', ttlSecondsAfterCompletion: 90_000 } }),
    ).toEqual({ expireAfterDays: 2 });
  });

  it('takes an existing bucket and an explicit expiry', () => {
    expect(
      settings({ ...withIdentity, logs: { archive: { bucketName: 'acme-argo-logs', expireAfterDays: 30 } } }),
    ).toEqual({ bucketName: 'acme-argo-logs', expireAfterDays: 30 });
  });

  it('refuses archiving without a pod identity, naming both ways out', () => {
    expect(problems({ ...base, logs: { archive: { enabled: true } } })).toContain(
      'logs.archive.enabled: needs ingestionPods.identity "irsa" or "pod-identity"',
    );
    expect(problems({ ...base, logs: { archive: { enabled: true } } })).toContain(
      'set logs.archive.enabled to false',
    );
  });

  it('refuses bucket names S3 would refuse, and expiries S3 cannot express', () => {
    for (const bucketName of ['Acme-Logs', 'ab', 'acme_logs', '-acme', 'acme..logs', '192.168.1.1']) {
      expect(problems({ ...withIdentity, logs: { archive: { bucketName } } }), bucketName).toContain(
        'logs.archive.bucketName: must be an S3 bucket name',
      );
    }
    expect(problems({ ...withIdentity, logs: { archive: { expireAfterDays: 0 } } })).toContain(
      'logs.archive.expireAfterDays: must be at least 1 day',
    );
    expect(problems({ ...withIdentity, logs: { archive: { expireAfterDays: 1.5 } } })).toContain(
      'must be a whole number of days',
    );
  });

  it('refuses archive settings that a disabled archive would silently ignore', () => {
    expect(
      problems({ ...withIdentity, logs: { archive: { enabled: false, bucketName: 'acme-argo-logs' } } }),
    ).toContain('logs.archive: sets bucketName or expireAfterDays while enabled is false');
    expect(problems({ ...withIdentity, logs: { archive: { enabled: false } } })).toBe('');
  });

  it('names unknown fields', () => {
    expect(problems({ ...withIdentity, logs: { archive: { bucket: 'x' } } as never })).toContain(
      'logs.archive',
    );
  });
});
