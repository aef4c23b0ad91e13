// ECR registry hosts: Collate's default, and reading account and region from what people paste.
import { BadRequestError } from '../errors.ts';

/** Collate's registry, the published chart's default. */
export const DEFAULT_REGISTRY_HOST = '118146679784.dkr.ecr.eu-west-1.amazonaws.com';

export interface RegistryHost {
  /** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` */
  host: string;
  account: string;
  region: string;
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?$/;

/**
 * Reads account and region from an ECR registry host. Accepts a bare host, an `https://` endpoint or an
 * image reference (`<host>/<repository>:<tag>`), since people paste any of the three.
 */
export function parseRegistryHost(input: string): RegistryHost {
  const host = input
    .trim()
    .replace(/^https?:\/\//, '')
    .split('/')[0]!
    .toLowerCase();
  const match = ECR_HOST.exec(host);
  if (!match) {
    throw new BadRequestError(
      `"${input}" is not an ECR registry host: expected <12-digit account>.dkr.ecr.<region>.amazonaws.com ` +
        `(for example ${DEFAULT_REGISTRY_HOST}). Fix the registry in the ECR refresh settings.`,
    );
  }
  return { host, account: match[1]!, region: match[2]! };
}
