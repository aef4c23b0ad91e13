// The stage configuration: one validated schema, successor of the published Helm chart's values.
// Defaults match chart 1.13.3 unless a comment says why they differ. Secrets are never values here, only
// the names or ARNs of where they are stored.
import { z } from 'zod';
import { DEFAULT_SECRET_PREFIX, OUTBOUND_PATH } from '@hybrid-runner/protocol';
import {
  DEFAULT_INGESTION_IMAGE,
  DEFAULT_PULL_SECRET_NAME,
  DEFAULT_REGISTRY_HOST,
  cidrProblem,
  parseRegistryHost,
} from '@hybrid-runner/core';
import { argoPlacementFields, ingestionNodesSchema, placementIssues } from './placement.ts';
import { logArchiveIssues, logsSchema } from './log-archive.ts';

// Core owns the registry rules; re-exported so config users need not import core for them.
export { DEFAULT_PULL_SECRET_NAME };
/** Collate's registry for the ingestion images (chart `ecrRegistryHelper.collateCredentials.values.account`). */
export const COLLATE_REGISTRY = DEFAULT_REGISTRY_HOST;
/** The Argo Workflows chart of the published runner; the 0.45 line ships Argo Workflows 3.7. */
export const DEFAULT_ARGO_CHART_VERSION = '0.45.26';
export const ARGO_CHART_VERSION_PATTERN = /^0\.45\.\d+$/;
export const DEFAULT_AUTH_TOKEN_SECRET = 'CollateAuthToken';
export const DEFAULT_ECR_KEYS_SECRET = 'CollateEcrCredentials';

/** IRSA: the role the ingestion pods assume. Given by hand, the stack uses that role instead of making one. */
export const IRSA_ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';

export const IDENTITY_MODES = ['irsa', 'pod-identity', 'none'] as const;
export const SECRETS_MANAGER_PROVIDERS = ['managed-aws', 'kubernetes'] as const;
export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
export const POD_GC_STRATEGIES = [
  'OnPodCompletion',
  'OnPodSuccess',
  'OnWorkflowCompletion',
  'OnWorkflowSuccess',
] as const;

/** Which side opens the bridge WebSocket: Collate in to API Gateway, or the runner out to Collate. */
export const BRIDGE_MODES = ['inbound', 'outbound'] as const;
export type BridgeMode = (typeof BRIDGE_MODES)[number];
/** The Collate server's hybrid runner endpoint, as the published runner dials it (the protocol's). */
export const DEFAULT_OUTBOUND_PATH = OUTBOUND_PATH;
/** The keeper holds one socket and parses small frames: the smallest size with headroom for the SDKs. */
export const DEFAULT_KEEPER_MEMORY_MB = 256;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Core's registry host rule (FIPS and China hosts included), but only the bare host the stack writes as is. */
function isBareRegistryHost(value: string): boolean {
  try {
    return parseRegistryHost(value).host === value;
  } catch {
    return false;
  }
}
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const SCHEDULE_EXPRESSION = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\((\S+ ){5}\S+\))$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const SST_SECRET_NAME = /^[A-Za-z][A-Za-z0-9]*$/;
const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

const namespaceName = (what: string) =>
  z
    .string()
    .max(63, `${what} must be at most 63 characters (a Kubernetes namespace name)`)
    .regex(DNS_LABEL, `${what} must be a lowercase DNS label such as "collate-ingestion" (a-z, 0-9, "-")`);

const region = z.string().regex(AWS_REGION, 'must be an AWS region such as "eu-west-1"');

const schedule = z
  .string()
  .regex(
    SCHEDULE_EXPRESSION,
    'must be an EventBridge schedule expression such as "rate(4 hours)" or "cron(0 0/4 * * ? *)" (six fields)',
  );

/** The bridge protocol: an event at least every 5 minutes, so API Gateway's 10-minute idle timeout never fires. */
const MAX_HEARTBEAT_GAP_MINUTES = 5;
const MINUTES_PER_UNIT: Record<string, number> = {
  minute: 1,
  minutes: 1,
  hour: 60,
  hours: 60,
  day: 1440,
  days: 1440,
};

/** The minutes of the hour an EventBridge cron minutes field names (`*`, lists, ranges, `/` steps). */
function cronMinutes(field: string): number[] | undefined {
  const minutes = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|\d{1,2})(?:-(\d{1,2}))?(?:\/(\d{1,2}))?$/.exec(part);
    if (!match) return undefined;
    const [, start = '', end, step] = match;
    const from = start === '*' ? 0 : Number(start);
    const to = end !== undefined ? Number(end) : start === '*' || step !== undefined ? 59 : from;
    const by = step !== undefined ? Number(step) : 1;
    if (by < 1 || from > to || to > 59) return undefined;
    for (let minute = from; minute <= to; minute += by) minutes.add(minute);
  }
  return [...minutes].sort((a, b) => a - b);
}

/**
 * The longest time between two firings of a schedule expression, in minutes; undefined when the expression
 * is not one that fires every hour (a cron naming hours, days, months or years) or cannot be read.
 */
function longestScheduleGapMinutes(expression: string): number | undefined {
  const rate = /^rate\((\d+) (\w+)\)$/.exec(expression);
  if (rate) return Number(rate[1]) * (MINUTES_PER_UNIT[rate[2] ?? ''] ?? Number.NaN);
  const cron = /^cron\((.+)\)$/.exec(expression)?.[1]?.split(' ');
  if (!cron || cron.length !== 6) return undefined;
  const [minuteField = '', ...rest] = cron;
  if (!rest.every((field) => field === '*' || field === '?')) return undefined;
  const minutes = cronMinutes(minuteField);
  if (!minutes || minutes.length === 0) return undefined;
  let longest = 60 - (minutes.at(-1) as number) + (minutes[0] as number);
  for (let index = 1; index < minutes.length; index += 1)
    longest = Math.max(longest, (minutes[index] as number) - (minutes[index - 1] as number));
  return longest;
}

const heartbeatSchedule = schedule.refine(
  (expression) => {
    const gap = longestScheduleGapMinutes(expression);
    return gap !== undefined && gap <= MAX_HEARTBEAT_GAP_MINUTES;
  },
  `must fire at least every ${MAX_HEARTBEAT_GAP_MINUTES} minutes (the bridge protocol promises an event that often, ` +
    `or API Gateway closes idle connections after 10): use "rate(1 minute)" (the default) up to "rate(5 minutes)"`,
);

const quantity = z
  .union([z.string(), z.number()])
  .transform(String)
  .pipe(z.string().regex(QUANTITY, 'must be a Kubernetes quantity such as "500m", "1" or "512Mi"'));

const resourceQuantities = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() });
const resourceRequirements = z.strictObject({
  limits: resourceQuantities.optional(),
  requests: resourceQuantities.optional(),
});

/**
 * Where a secret lives: an SST secret (`npx sst secret set <name> …`) or an existing Secrets Manager
 * secret by ARN. Never the value.
 */
const secretLocation = (defaultName: string) =>
  z
    .strictObject({
      sstSecret: z
        .string()
        .regex(SST_SECRET_NAME, 'must be an SST secret name: letters and digits, starting with a letter')
        .optional(),
      secretArn: z
        .string()
        .regex(
          SECRET_ARN,
          'must be a Secrets Manager ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)',
        )
        .optional(),
    })
    .prefault({})
    .refine((location) => !(location.sstSecret && location.secretArn), {
      message: 'set either sstSecret or secretArn, not both',
    })
    .transform((location) =>
      location.secretArn
        ? { secretArn: location.secretArn }
        : { sstSecret: location.sstSecret ?? defaultName },
    );

// ---------------------------------------------------------------------------------------------------
// Inbound hardening of the bridge (issue 12, part 5): which sources may connect, bot token rotation with a
// grace period, and the per-connection request rate limit. Fields of `bridge`, kept together here.

/**
 * Lambda allows 4 KB of environment per function; the CIDR list travels in the connect function's, beside
 * the settings (at most 3 KB), so it gets what is left.
 */
export const MAX_SOURCE_CIDRS_ENV_BYTES = 768;
// 10 requests per second on average, bursts of up to 600: room for a burst of status polls, while a runaway
// client (a retry loop, a flood) is cut off. Collate's real request rate is not known to us; the published
// runner has no limit at all.
export const DEFAULT_RATE_LIMIT = { requests: 600, intervalSeconds: 60 } as const;

const sourceCidr = z.string().superRefine((text, context) => {
  const problem = cidrProblem(text);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

const inboundHardeningFields = {
  // Empty (the default): any source may connect, as today; Collate SaaS's egress addresses are Collate's to
  // publish. With entries, $connect refuses every other source with 403.
  allowedSourceCidrs: z
    .array(sourceCidr)
    .default([])
    .refine((cidrs) => Buffer.byteLength(JSON.stringify(cidrs)) <= MAX_SOURCE_CIDRS_ENV_BYTES, {
      message: `takes more than the ${MAX_SOURCE_CIDRS_ENV_BYTES} bytes left for it in the connect function's environment: merge ranges into fewer, wider CIDRs`,
    }),
  rateLimit: z
    .strictObject({
      requests: z
        .number()
        .int()
        .min(1, 'must be at least 1 request per interval')
        .max(100_000)
        .default(DEFAULT_RATE_LIMIT.requests),
      intervalSeconds: z
        .number()
        .int()
        .min(1, 'must be at least 1 second')
        .max(3600, 'must be at most 3600 seconds (one hour)')
        .default(DEFAULT_RATE_LIMIT.intervalSeconds),
    })
    .prefault({}),
  // During a rotation: the token being replaced, accepted beside authToken until retireAt.
  previousAuthToken: z
    .strictObject({
      sstSecret: z
        .string()
        .regex(SST_SECRET_NAME, 'must be an SST secret name: letters and digits, starting with a letter')
        .optional(),
      secretArn: z
        .string()
        .regex(
          SECRET_ARN,
          'must be a Secrets Manager ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)',
        )
        .optional(),
      retireAt: z.iso.datetime({
        offset: true,
        error:
          'must be the time the previous token stops being accepted, ISO 8601 with a zone, e.g. "2026-12-10T09:00:00Z"',
      }),
    })
    .refine((location) => Boolean(location.sstSecret) !== Boolean(location.secretArn), {
      message: 'set exactly one of sstSecret or secretArn: where the previous bot token is stored',
    })
    .optional(),
};

/** Accepts `{name, value}` entries, the chart's `"key:value"` strings, or a map. */
const envVar = z.union([
  z.strictObject({ name: z.string().min(1, 'an env var needs a name'), value: z.string() }),
  z
    .string()
    .regex(/^[^:]+:/, 'must be "KEY:value" (the chart form) or {name, value}')
    .transform((entry) => {
      const separator = entry.indexOf(':');
      return { name: entry.slice(0, separator).trim(), value: entry.slice(separator + 1) };
    }),
]);
const extraEnv = z
  .union([
    z.array(envVar),
    z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
      .transform((map) => Object.entries(map).map(([name, value]) => ({ name, value }))),
  ])
  .default([])
  .refine((vars) => vars.every((v) => /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(v.name)), {
    message: 'env var names must start with a letter or "_" and hold only letters, digits, "_", "-" or "."',
  });

/** A list, or the chart's comma-separated string. */
const nameList = z
  .union([
    z.array(z.string().min(1)),
    z.string().transform((text) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    ),
  ])
  .default([]);

const unknownRecord = z.record(z.string(), z.unknown());

const ingestionPods = z
  .strictObject({
    image: z
      .strictObject({
        repository: z.string().min(1).default(DEFAULT_INGESTION_IMAGE.repository),
        tag: z.string().min(1).default(DEFAULT_INGESTION_IMAGE.tag),
        pullPolicy: z.enum(PULL_POLICIES).default('IfNotPresent'),
      })
      .prefault({}),
    imagePullSecrets: nameList.prefault([DEFAULT_PULL_SECRET_NAME]),
    serviceAccount: z
      .strictObject({
        /** false: the service account exists already (made outside this stack). */
        create: z.boolean().default(true),
        name: namespaceName('ingestionPods.serviceAccount.name').default('ingestion'),
        annotations: z.record(z.string(), z.string()).default({}),
      })
      .prefault({}),
    identity: z.enum(IDENTITY_MODES).default('none'),
    resources: resourceRequirements.default({
      limits: { cpu: '1000m', memory: '4096Mi' },
      requests: { cpu: '1000m', memory: '4096Mi' },
    }),
    automationResources: resourceRequirements.default({
      limits: { cpu: '500m', memory: '512Mi' },
      requests: { cpu: '200m', memory: '256Mi' },
    }),
    extraEnv,
    tolerations: z.array(unknownRecord).default([]),
    nodeSelector: z.record(z.string(), z.string()).default({}),
    affinity: unknownRecord.optional(),
    customConfig: z
      .strictObject({ containerParams: unknownRecord.optional(), workflowParams: unknownRecord.optional() })
      .prefault({}),
    ttlSecondsAfterCompletion: z
      .number()
      .int()
      .positive('must be a positive number of seconds (published default: 604800, one week)')
      .default(7 * 24 * 3600),
    podGC: z
      .strictObject({ strategy: z.enum(POD_GC_STRATEGIES), deleteDelayDuration: z.string().optional() })
      .optional(),
    activeDeadlineSeconds: z.number().int().positive('must be a positive number of seconds').optional(),
  })
  .prefault({});

const targetNamespacePattern = z
  .string()
  .regex(
    /^[a-z0-9*?]([-a-z0-9*?]*[a-z0-9*?])?$/,
    'must be a namespace name, optionally with "*" (any run of characters) or "?" (one character) wildcards (e.g. "collate-*")',
  );

export const stageConfigSchema = z
  .strictObject({
    agentId: z
      .string()
      .min(1, 'must not be empty: it is the name Collate shows for this runner')
      .max(256)
      .default('RemoteRunner'),
    serverHost: z
      .string({ error: 'is required: your Collate host without protocol, e.g. "mycompany.getcollate.io"' })
      .min(1, 'is required: your Collate host without protocol, e.g. "mycompany.getcollate.io"')
      .refine((host) => !/^[a-z]+:\/\//i.test(host) && !host.includes('/'), {
        message: 'must be a host name without protocol or path, e.g. "mycompany.getcollate.io"',
      }),
    useSecureProtocols: z.boolean().default(true),
    authToken: secretLocation(DEFAULT_AUTH_TOKEN_SECRET),
    bridge: z
      .strictObject({
        // Optional: besides comparing the bearer token with the stored bot JWT, the connect function can
        // verify its signature and claims against the Collate server's published keys.
        jwks: z
          .strictObject({
            url: z.url({
              protocol: /^https$/,
              error:
                'must be the https URL of the Collate server\'s JWKS, e.g. "https://acme.getcollate.io/api/v1/system/config/jwks"',
            }),
            issuer: z
              .string()
              .min(1, 'must not be empty: leave issuer out to accept any issuer the keys signed')
              .optional(),
          })
          .optional(),
        ...inboundHardeningFields,
        // --- Dial-out bridge (issue 12, parts 1-4): which side opens the WebSocket. ---
        mode: z.enum(BRIDGE_MODES).default('inbound'),
        outbound: z
          .strictObject({
            /** Default: outboundUrlOf(config), the Collate server's hybrid runner endpoint. */
            url: z
              .url({
                protocol: /^wss?$/,
                error: `must be a WebSocket URL, e.g. "wss://acme.getcollate.io${DEFAULT_OUTBOUND_PATH}"`,
              })
              .optional(),
            keeper: z
              .strictObject({
                memoryMb: z
                  .number()
                  .int()
                  .min(128, "must be at least 128 (Lambda's smallest size)")
                  .max(1024, 'must be at most 1024: the keeper holds one socket; more memory only costs more')
                  .default(DEFAULT_KEEPER_MEMORY_MB),
                timeoutSeconds: z
                  .number()
                  .int()
                  .min(
                    300,
                    'must be at least 300: shorter keepers hand over more often than the schedule can follow',
                  )
                  .max(900, "must be at most 900 (Lambda's 15-minute limit)")
                  .default(900),
              })
              .prefault({}),
          })
          .prefault({}),
        // --- end of the dial-out block ---
      })
      .prefault({}),
    cluster: z.strictObject(
      {
        name: z
          .string({ error: 'is required: the name of your EKS cluster' })
          .regex(
            /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/,
            'must be an EKS cluster name (letters, digits, "-", "_")',
          ),
        region: region.optional(),
      },
      { error: 'is required: {name: <EKS cluster name>, region: <AWS region>}' },
    ),
    namespaces: z
      .strictObject({
        ingestion: namespaceName('namespaces.ingestion').default('collate-ingestion'),
        argo: namespaceName('namespaces.argo').default('argo-workflows'),
      })
      .prefault({}),
    ingestionPods,
    /** Nodes for the ingestion pods (Karpenter): placement.ts. */
    ingestion: ingestionNodesSchema,
    secretsManager: z
      .strictObject({
        provider: z.enum(SECRETS_MANAGER_PROVIDERS).default('kubernetes'),
        prefix: z
          .string()
          .regex(
            /^\/?[A-Za-z0-9/_+=.@-]+\/$/,
            'must be a secret name prefix ending in "/", e.g. "/collate/prod/"',
          )
          .default(DEFAULT_SECRET_PREFIX),
        region: region.optional(),
      })
      .prefault({}),
    ecr: z
      .strictObject({
        enabled: z.boolean().default(true),
        registry: z
          .string()
          .refine(
            isBareRegistryHost,
            `must be an ECR registry host such as "${COLLATE_REGISTRY}" (no scheme, path or upper case)`,
          )
          .default(COLLATE_REGISTRY),
        // Every 4 hours (the chart uses 6): tokens live 12 hours, so two refreshes may fail before pulls do.
        schedule: schedule.default('rate(4 hours)'),
        targetNamespaces: z
          .strictObject({
            include: z.array(targetNamespacePattern).optional(),
            exclude: z.array(targetNamespacePattern).default([]),
          })
          .prefault({}),
        keys: secretLocation(DEFAULT_ECR_KEYS_SECRET),
        pullSecretName: namespaceName('ecr.pullSecretName').default(DEFAULT_PULL_SECRET_NAME),
        patchServiceAccount: z.boolean().default(false),
      })
      .prefault({}),
    argo: z
      .strictObject({
        install: z.boolean().default(false),
        chartVersion: z
          .string()
          .regex(
            ARGO_CHART_VERSION_PATTERN,
            `must be an argo-workflows chart version on the 0.45 line (Argo Workflows 3.7), e.g. "${DEFAULT_ARGO_CHART_VERSION}"`,
          )
          .default(DEFAULT_ARGO_CHART_VERSION),
        createNamespace: z.boolean().default(true),
        /** Extra values for the argo-workflows chart (the published chart's `argoWorkflows` block). */
        values: unknownRecord.default({}),
        // Where Argo runs and whether its UI does: placement.ts.
        ...argoPlacementFields,
      })
      .prefault({}),
    schedules: z.strictObject({ heartbeat: heartbeatSchedule.default('rate(1 minute)') }).prefault({}),
    vpc: z
      .strictObject({
        subnetIds: z.array(
          z.string().regex(/^subnet-[0-9a-f]+$/, 'must be a subnet id such as "subnet-0abc1234"'),
        ),
        securityGroupIds: z.array(
          z.string().regex(/^sg-[0-9a-f]+$/, 'must be a security group id such as "sg-0abc1234"'),
        ),
      })
      .refine((vpc) => vpc.subnetIds.length > 0 && vpc.securityGroupIds.length > 0, {
        message:
          'needs at least one subnet id and one security group id (or remove vpc for a public endpoint)',
      })
      .optional(),
    alarms: z
      .strictObject({ emails: z.array(z.email('must be an e-mail address')).default([]) })
      .prefault({}),
    /** Archived logs (an S3 bucket as Argo's artifact repository): log-archive.ts. */
    logs: logsSchema,
    observability: z
      .strictObject({
        tracing: z.boolean().default(false),
        logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
      })
      .prefault({}),
  })
  .superRefine((config, context) => {
    placementIssues(config, context);
    logArchiveIssues(config, context);
    const pods = config.ingestionPods;
    const hasRoleAnnotation = IRSA_ROLE_ANNOTATION in pods.serviceAccount.annotations;
    if (config.secretsManager.provider === 'managed-aws' && pods.identity === 'none') {
      context.addIssue({
        code: 'custom',
        path: ['ingestionPods', 'identity'],
        message:
          'must be "irsa" or "pod-identity" when secretsManager.provider is "managed-aws", so ingestion pods can read their secrets',
      });
    }
    if (pods.identity !== 'irsa' && hasRoleAnnotation) {
      context.addIssue({
        code: 'custom',
        path: ['ingestionPods', 'serviceAccount', 'annotations'],
        message: `${IRSA_ROLE_ANNOTATION} is an IRSA annotation: set ingestionPods.identity to "irsa" or remove it`,
      });
    }
    // The ingestion pods may read every secret under the prefix (their IAM role), and any `secret:` reference a
    // Collate user puts in a connection form is resolved there: the runner's own secrets must lie outside it.
    const previousToken = config.bridge.previousAuthToken;
    const runnerSecrets = [
      { path: ['authToken', 'secretArn'], location: config.authToken, what: 'the bot JWT' },
      ...(previousToken
        ? [
            {
              path: ['bridge', 'previousAuthToken', 'secretArn'],
              location: previousToken,
              what: 'the previous bot JWT',
            },
          ]
        : []),
      { path: ['ecr', 'keys', 'secretArn'], location: config.ecr.keys, what: "Collate's ECR keys" },
    ];
    for (const { path, location, what } of runnerSecrets) {
      const name = 'secretArn' in location ? location.secretArn?.split(':secret:')[1] : undefined;
      if (name?.startsWith(config.secretsManager.prefix)) {
        context.addIssue({
          code: 'custom',
          path,
          message: `names a secret under secretsManager.prefix "${config.secretsManager.prefix}", which the ingestion pods (and every secret: reference in a pipeline) can read: keep ${what} in a secret outside that prefix`,
        });
      }
    }
    if (previousToken && sameSecret(previousToken, config.authToken)) {
      context.addIssue({
        code: 'custom',
        path: ['bridge', 'previousAuthToken'],
        message:
          'names the same secret as authToken: store the new token in a new secret, point authToken at it and keep the old secret here (docs/operations.md, "Rotating the bot token")',
      });
    }
    // The refresh keeps one secret fresh; pods pulling with another would fail once its token expires.
    if (config.ecr.enabled && !pods.imagePullSecrets.includes(config.ecr.pullSecretName)) {
      context.addIssue({
        code: 'custom',
        path: ['ingestionPods', 'imagePullSecrets'],
        message: `does not include ecr.pullSecretName "${config.ecr.pullSecretName}", the secret the ECR refresh keeps valid: add it, or set ecr.pullSecretName to one of these`,
      });
    }
    // Outbound mode creates no endpoint for Collate to connect to: a guard of that endpoint would protect nothing,
    // and a stage that sets one was probably written for inbound mode.
    if (config.bridge.mode === 'outbound') {
      if (config.bridge.allowedSourceCidrs.length > 0) {
        context.addIssue({
          code: 'custom',
          path: ['bridge', 'allowedSourceCidrs'],
          message:
            'limits who may connect to the inbound endpoint, which bridge.mode outbound does not create (the keeper dials Collate): remove it, or set bridge.mode: inbound',
        });
      }
      if (config.bridge.jwks) {
        context.addIssue({
          code: 'custom',
          path: ['bridge', 'jwks'],
          message:
            "verifies the token Collate presents to the inbound endpoint, which bridge.mode outbound does not create (Collate verifies the keeper's token): remove it, or set bridge.mode: inbound",
        });
      }
    }
    // The bot JWT goes in the dial-out handshake: only over TLS unless the stage opts out of secure protocols.
    const outboundUrl = config.bridge.outbound.url;
    if (outboundUrl?.startsWith('ws://') && config.useSecureProtocols) {
      context.addIssue({
        code: 'custom',
        path: ['bridge', 'outbound', 'url'],
        message:
          'is plain ws://, which would send the bot JWT unencrypted: use wss://, or set useSecureProtocols: false for a local test server',
      });
    }
    if (pods.identity === 'irsa' && !pods.serviceAccount.create && !hasRoleAnnotation) {
      context.addIssue({
        code: 'custom',
        path: ['ingestionPods', 'serviceAccount', 'create'],
        message: `is false, so the stack cannot annotate it with the pods' IAM role: set it to true, or give your own role as annotation ${IRSA_ROLE_ANNOTATION}`,
      });
    }
  });

function sameSecret(
  a: { sstSecret?: string | undefined; secretArn?: string | undefined },
  b: { sstSecret?: string | undefined; secretArn?: string | undefined },
): boolean {
  return a.secretArn ? a.secretArn === b.secretArn : a.sstSecret !== undefined && a.sstSecret === b.sstSecret;
}

export type StageConfigInput = z.input<typeof stageConfigSchema>;
export type StageConfig = z.output<typeof stageConfigSchema>;
export type SecretLocation = StageConfig['authToken'];

/** Where the outbound keeper dials: bridge.outbound.url, else the Collate server's hybrid runner endpoint. */
export function outboundUrlOf(
  config: Pick<StageConfig, 'serverHost' | 'useSecureProtocols' | 'bridge'>,
): string {
  return config.bridge.outbound.url ?? defaultOutboundUrl(config.serverHost, config.useSecureProtocols);
}

/** The Collate server's hybrid runner endpoint on `serverHost`, as the published runner dials it. */
export function defaultOutboundUrl(serverHost: string, useSecureProtocols: boolean): string {
  return `${useSecureProtocols ? 'wss' : 'ws'}://${serverHost}${DEFAULT_OUTBOUND_PATH}`;
}
