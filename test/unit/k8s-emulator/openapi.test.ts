import { describe, expect, it } from 'vitest';
import {
  builtinResources,
  bundledArgoCrds,
  encodeOpenApiV2Document,
  loadCustomResource,
  openApiDefinitionName,
  openApiV2Document,
  toOpenApiV2Schema,
} from '@hybrid-runner/k8s-emulator';

type Json = Record<string, unknown>;

describe('openApiV2Document (what /openapi/v2 publishes for custom resources)', () => {
  const definitions = [...builtinResources(), ...bundledArgoCrds().map((crd) => loadCustomResource(crd))];
  const document = openApiV2Document(definitions);
  const published = document['definitions'] as Record<string, Json>;

  it('names each kind and list by reversed group, version and kind, with its group-version-kind', () => {
    expect(openApiDefinitionName('argoproj.io', 'v1alpha1', 'Workflow')).toBe(
      'io.argoproj.v1alpha1.Workflow',
    );
    expect(Object.keys(published).sort()).toEqual([
      'io.argoproj.v1alpha1.CronWorkflow',
      'io.argoproj.v1alpha1.CronWorkflowList',
      'io.argoproj.v1alpha1.Workflow',
      'io.argoproj.v1alpha1.WorkflowList',
    ]);
    expect(published['io.argoproj.v1alpha1.Workflow']?.['x-kubernetes-group-version-kind']).toEqual([
      { group: 'argoproj.io', kind: 'Workflow', version: 'v1alpha1' },
    ]);
    expect(published['io.argoproj.v1alpha1.WorkflowList']).toMatchObject({
      properties: { items: { items: { $ref: '#/definitions/io.argoproj.v1alpha1.Workflow' } } },
    });
  });

  it("publishes the CRD's own schema (a field kubectl validates: spec.entrypoint is a string)", () => {
    const workflow = published['io.argoproj.v1alpha1.Workflow'] as Json;
    const spec = (workflow['properties'] as Record<string, Json>)['spec'] as Json;
    expect((spec['properties'] as Record<string, Json>)['entrypoint']).toEqual({ type: 'string' });
  });

  it('does not publish built-in kinds, which kubectl knows from its own types', () => {
    expect(Object.keys(published).some((name) => name.includes('Secret') || name.includes('Pod'))).toBe(
      false,
    );
  });
});

describe('toOpenApiV2Schema (ToStructuralOpenAPIV2)', () => {
  it('drops what v2 cannot say, and the detail of nullable and unknown-preserving nodes', () => {
    expect(
      toOpenApiV2Schema({
        type: 'object',
        required: ['a', 'b'],
        properties: {
          a: { type: 'string', nullable: true },
          b: {
            type: 'object',
            'x-kubernetes-preserve-unknown-fields': true,
            properties: { c: { type: 'string' } },
          },
          d: { type: 'array', 'x-kubernetes-preserve-unknown-fields': true, items: { type: 'string' } },
          e: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        },
      }),
    ).toEqual({
      type: 'object',
      required: ['b'],
      properties: {
        a: {},
        b: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        d: { 'x-kubernetes-preserve-unknown-fields': true },
        e: { 'x-kubernetes-int-or-string': true },
      },
    });
  });
});

describe('encodeOpenApiV2Document (gnostic openapi.v2.Document)', () => {
  it('writes the fields in protobuf wire format, extensions as NamedAny with JSON in Any.yaml', () => {
    const encoded = encodeOpenApiV2Document({
      swagger: '2.0',
      info: { title: 'K', version: 'v' },
      paths: {},
      definitions: { a: { type: 'string', 'x-k': [1] } },
    });
    const hex = (text: string) => Buffer.from(text).toString('hex');
    expect(encoded.toString('hex')).toBe(
      [
        '0a03' + hex('2.0'), // swagger = 1
        '1206' + '0a01' + hex('K') + '1201' + hex('v'), // info = 2 {title = 1, version = 2}
        '4200', // paths = 8, empty
        // definitions = 9 { additional_properties = 1 { name = 1, value = 2 (Schema) } }
        '4a21' + '0a1f' + '0a01' + hex('a') + '121a',
        // Schema: type = 22 (TypeItem { value = 1 }), vendor_extension = 31 (NamedAny { name, Any { yaml = 2 } })
        'b201080a06' + hex('string') + 'fa010c' + '0a03' + hex('x-k') + '1205' + '1203' + hex('[1]'),
      ].join(''),
    );
  });

  it('refuses path items it would silently drop', () => {
    expect(() => encodeOpenApiV2Document({ swagger: '2.0', paths: { '/api': {} } })).toThrow(/path items/);
  });
});
