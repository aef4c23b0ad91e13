// The refresh's settings: defaults, and checks that name the setting that is wrong.
import { BadRequestError } from '../errors.ts';
import { isDnsLabel } from '../names.ts';
import { describeError } from './errors.ts';
import { DEFAULT_PULL_SECRET_NAME } from './pull-secret.ts';
import { DEFAULT_REGISTRY_HOST, parseRegistryHost } from './registry-hosts.ts';

/** Defaults of the refresh (its schedule, every 4 hours, is the stage configuration's `ecr.schedule`). */
export const REGISTRY_REFRESH_DEFAULTS = {
  /** Spreads many runners' logins (and ours after an outage) over this many minutes: the refresh schedule's flexible time window. */
  maxJitterMinutes: 10,
  concurrency: 8,
  conflictRetries: 5,
} as const;

export interface RegistryRefreshSettings {
  /** Registry hosts to log in to (one token per region). */
  registries: string[];
  secretName: string;
  /** Always targeted: the runner's own ingestion pods pull from here. */
  ingestionNamespace: string;
  /** More namespaces: names or patterns with `*` (any run of characters) and `?` (one character). */
  namespaces: string[];
  /** Patterns removed from `namespaces` matches (never from the ingestion namespace). */
  excludeNamespaces: string[];
  /** Service accounts (in every targeted namespace where they exist) that get the secret in imagePullSecrets. */
  serviceAccounts: string[];
  /** Namespaces refreshed at once. */
  concurrency: number;
  /** Attempts after a 409 before a namespace is reported failed. */
  conflictRetries: number;
}

export type RegistryRefreshInput = Partial<RegistryRefreshSettings> & { ingestionNamespace: string };

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAMESPACE_PATTERN = /^[a-z0-9*?-]+$/;

/** Fills defaults and checks every setting, naming the one that is wrong. */
export function resolveRegistryRefreshSettings(input: RegistryRefreshInput): RegistryRefreshSettings {
  const settings: RegistryRefreshSettings = {
    registries: input.registries?.length ? [...input.registries] : [DEFAULT_REGISTRY_HOST],
    secretName: input.secretName ?? DEFAULT_PULL_SECRET_NAME,
    ingestionNamespace: input.ingestionNamespace,
    namespaces: [...(input.namespaces ?? [])],
    excludeNamespaces: [...(input.excludeNamespaces ?? [])],
    serviceAccounts: [...(input.serviceAccounts ?? [])],
    concurrency: input.concurrency ?? REGISTRY_REFRESH_DEFAULTS.concurrency,
    conflictRetries: input.conflictRetries ?? REGISTRY_REFRESH_DEFAULTS.conflictRetries,
  };
  settings.registries = settings.registries.map((registry, index) => {
    try {
      return parseRegistryHost(registry).host;
    } catch (error) {
      throw new BadRequestError(`registries[${index}] ${describeError(error)}`);
    }
  });
  if (!isDnsLabel(settings.ingestionNamespace)) {
    throw new BadRequestError(
      `ingestionNamespace "${settings.ingestionNamespace}" is not a Kubernetes namespace name (lower-case letters, digits and "-", at most 63).`,
    );
  }
  if (!DNS_SUBDOMAIN.test(settings.secretName) || settings.secretName.length > 253) {
    throw new BadRequestError(
      `secretName "${settings.secretName}" is not a valid Secret name (lower-case letters, digits, "-" and ".").`,
    );
  }
  for (const [field, patterns] of [
    ['namespaces', settings.namespaces],
    ['excludeNamespaces', settings.excludeNamespaces],
  ] as const) {
    patterns.forEach((pattern, index) => {
      if (!NAMESPACE_PATTERN.test(pattern) || pattern.length > 63) {
        throw new BadRequestError(
          `${field}[${index}] "${pattern}" is not a namespace name or pattern: use lower-case letters, digits, "-", "*" and "?".`,
        );
      }
    });
  }
  settings.serviceAccounts.forEach((name, index) => {
    if (!DNS_SUBDOMAIN.test(name)) {
      throw new BadRequestError(`serviceAccounts[${index}] "${name}" is not a valid service account name.`);
    }
  });
  if (!Number.isInteger(settings.concurrency) || settings.concurrency < 1 || settings.concurrency > 64) {
    throw new BadRequestError(
      `concurrency must be a whole number from 1 to 64, got ${settings.concurrency}.`,
    );
  }
  if (
    !Number.isInteger(settings.conflictRetries) ||
    settings.conflictRetries < 0 ||
    settings.conflictRetries > 20
  ) {
    throw new BadRequestError(
      `conflictRetries must be a whole number from 0 to 20, got ${settings.conflictRetries}.`,
    );
  }
  return settings;
}
