// The NodePool the stack applies, against the rules of Karpenter's own CRD. The schema below is a
// transcription of the structural part of karpenter.sh_nodepools.yaml (Karpenter v1.x, karpenter.sh/v1) —
// required fields, enums and patterns — with unknown fields refused as the API server prunes them. Not the CRD
// itself (its CEL rules are not run): it catches a missing field, a wrong enum or a malformed duration.
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseStageConfig } from '@hybrid-runner/config';
import type { StageConfigInput } from '@hybrid-runner/config';
import { ingestionNodePool } from '../../stacks/ingestion-node-pool.ts';

const DURATION = '^(([0-9]+(s|m|h))+)|(Never)$';
const QUALIFIED_NAME =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(\\/))?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$';
const QUANTITY =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
const taint = {
  type: 'object',
  additionalProperties: false,
  required: ['effect', 'key'],
  properties: {
    effect: { enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
    key: { type: 'string', minLength: 1, pattern: QUALIFIED_NAME },
    value: { type: 'string', pattern: QUALIFIED_NAME },
  },
};
const nodePoolSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'karpenter.sh/v1' },
    kind: { const: 'NodePool' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['template'],
      properties: {
        disruption: {
          type: 'object',
          additionalProperties: false,
          required: ['consolidateAfter'],
          properties: {
            consolidateAfter: { type: 'string', pattern: DURATION },
            consolidationPolicy: { enum: ['WhenEmpty', 'WhenEmptyOrUnderutilized'] },
            budgets: { type: 'array' },
          },
        },
        limits: { type: 'object', additionalProperties: { type: ['string', 'integer'], pattern: QUANTITY } },
        weight: { type: 'integer', minimum: 1, maximum: 100 },
        template: {
          type: 'object',
          additionalProperties: false,
          required: ['spec'],
          properties: {
            metadata: { type: 'object' },
            spec: {
              type: 'object',
              additionalProperties: false,
              required: ['nodeClassRef', 'requirements'],
              properties: {
                expireAfter: { type: 'string', pattern: DURATION },
                terminationGracePeriod: { type: 'string', pattern: '^([0-9]+(s|m|h))+$' },
                nodeClassRef: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['group', 'kind', 'name'],
                  properties: {
                    group: { type: 'string', minLength: 1, pattern: '^[^/]*$' },
                    kind: { type: 'string', minLength: 1 },
                    name: { type: 'string', minLength: 1 },
                  },
                },
                requirements: {
                  type: 'array',
                  maxItems: 100,
                  items: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['key', 'operator'],
                    properties: {
                      key: { type: 'string', maxLength: 316, pattern: QUALIFIED_NAME },
                      operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] },
                      values: {
                        type: 'array',
                        items: {
                          type: 'string',
                          maxLength: 63,
                          pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$',
                        },
                      },
                      minValues: { type: 'integer', minimum: 1, maximum: 50 },
                    },
                  },
                },
                taints: { type: 'array', items: taint },
                startupTaints: { type: 'array', items: taint },
              },
            },
          },
        },
      },
    },
  },
};
const validate = new Ajv({ allErrors: true, strict: false }).compile(nodePoolSchema);
const base: StageConfigInput = { serverHost: 'acme.getcollate.io', cluster: { name: 'prod-eks' } };
const pool = (karpenter: Record<string, unknown>) =>
  ingestionNodePool(
    parseStageConfig({ ...base, ingestion: { nodes: { karpenter: { enabled: true, ...karpenter } } } }),
  );

describe('the ingestion NodePool against Karpenter’s v1 CRD rules (a transcription, not Karpenter)', () => {
  it('validates with the defaults and with every option set', () => {
    for (const manifest of [
      pool({}),
      pool({
        capacityTypes: ['on-demand'],
        instanceTypes: ['c7i.xlarge'],
        consolidateAfter: 'Never',
        maxCpu: '8000m',
      }),
    ]) {
      expect(validate(manifest), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('the transcription is not vacuous: a NodePool without consolidateAfter or with a bare nodeClassRef is refused', () => {
    const manifest = structuredClone(pool({})) as unknown as { spec: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    delete manifest.spec.disruption.consolidateAfter;
    expect(validate(manifest)).toBe(false);
    const bare = structuredClone(pool({})) as unknown as { spec: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    bare.spec.template.spec.nodeClassRef = { name: 'default' };
    expect(validate(bare)).toBe(false);
  });

  it('is not created when Karpenter is off', () => {
    expect(ingestionNodePool(parseStageConfig(base))).toBeUndefined();
  });
});
