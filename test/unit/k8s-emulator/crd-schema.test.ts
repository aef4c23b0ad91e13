import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadCrdValidator } from '@hybrid-runner/k8s-emulator';
import { argoCrdText, argoValidator } from '../core/manifests.fixtures.ts';

/** A small CRD exercising each structural-schema rule on its own. */
function crd(spec: Record<string, unknown>, versions?: Array<Record<string, unknown>>): string {
  return stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { kind: 'Widget', plural: 'widgets' },
      scope: 'Namespaced',
      versions: versions ?? [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec } } },
        },
      ],
    },
  });
}

const widget = (spec: unknown) => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'w1', namespace: 'default' },
  spec,
});

const TEST_CRD = crd({
  type: 'object',
  required: ['size'],
  properties: {
    size: { type: 'integer', format: 'int32', minimum: 0 },
    big: { type: 'integer', format: 'int64' },
    ratio: { type: 'number', maximum: 1, exclusiveMaximum: true },
    port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
    quantity: { 'x-kubernetes-int-or-string': true },
    note: { type: 'string', nullable: true, description: 'ignored', default: 'x' },
    mode: { type: 'string', enum: ['a', 'b'] },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
    empty: { type: 'object' },
    free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    partlyFree: {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      properties: { known: { type: 'boolean' } },
    },
    open: { type: 'object', additionalProperties: true, properties: { known: { type: 'boolean' } } },
    embedded: {
      type: 'object',
      'x-kubernetes-embedded-resource': true,
      properties: { spec: { type: 'object', properties: { x: { type: 'string' } } } },
    },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string', pattern: '^[a-z]+$' } },
      },
    },
    ports: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['port', 'protocol'],
      items: {
        type: 'object',
        properties: { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' } },
      },
    },
  },
});

describe('loadCrdValidator on a small CRD', () => {
  const validator = loadCrdValidator(TEST_CRD);

  it('reports group, kind, plural and the storage version', () => {
    expect(validator).toMatchObject({
      group: 'example.com',
      kind: 'Widget',
      plural: 'widgets',
      version: 'v1',
    });
  });

  it('accepts a valid object', () => {
    expect(
      validator.validate(
        widget({
          size: 3,
          big: 2 ** 40,
          ratio: 0.5,
          port: 'http',
          quantity: 5,
          note: null,
          mode: 'a',
          labels: { a: 'b' },
          tags: ['x', 'y'],
          empty: {},
          free: { anything: { goes: [1, 'two'] } },
          partlyFree: { known: true, extra: 1 },
          open: { known: false, extra: 'ok' },
          embedded: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, spec: { x: 'y' } },
          items: [{ name: 'abc' }],
          ports: [{ port: 80 }, { port: 80, protocol: 'UDP' }, { port: 443, protocol: 'TCP' }],
        }),
      ),
    ).toEqual([]);
  });

  it.each([
    ['an unknown field', { size: 1, colour: 'red' }, ['spec.colour: unknown field']],
    [
      'an unknown field in a nested list item',
      { size: 1, items: [{ name: 'a', x: 1 }] },
      ['spec.items[0].x: unknown field'],
    ],
    [
      'a field inside an object declared without properties',
      { size: 1, empty: { a: 1 } },
      ['spec.empty.a: unknown field'],
    ],
    [
      'an unknown field beside preserved ones with a wrong known type',
      { size: 1, partlyFree: { known: 'yes' } },
      ['spec.partlyFree.known: must be boolean'],
    ],
    ['a wrong type', { size: '3' }, ['spec.size: must be integer']],
    ['a missing required field', {}, ['spec.size: required value']],
    ['an int32 out of range', { size: 2 ** 31 }, ['spec.size: must match format "int32"']],
    [
      'a fraction for an integer',
      { size: 1.5 },
      ['spec.size: must be integer', 'spec.size: must match format "int32"'],
    ],
    ['a value under the minimum', { size: -1 }, ['spec.size: must be >= 0']],
    ['an exclusive maximum reached', { size: 1, ratio: 1 }, ['spec.ratio: must be < 1']],
    ['a boolean for int-or-string', { size: 1, port: true }, ['spec.port: must be integer or string']],
    [
      'an object for a bare int-or-string',
      { size: 1, quantity: {} },
      ['spec.quantity: must be integer or string'],
    ],
    [
      'null where not nullable',
      { size: 1, mode: null },
      ['spec.mode: must be string', 'spec.mode: must be one of "a", "b"'],
    ],
    ['a value outside the enum', { size: 1, mode: 'c' }, ['spec.mode: must be one of "a", "b"']],
    ['a non-string map value', { size: 1, labels: { a: 1 } }, ['spec.labels.a: must be string']],
    [
      'a duplicate in a set list',
      { size: 1, tags: ['x', 'x'] },
      [expect.stringMatching(/^spec\.tags: must NOT have duplicate items/)],
    ],
    [
      'a pattern mismatch',
      { size: 1, items: [{ name: 'ABC' }] },
      ['spec.items[0].name: must match pattern "^[a-z]+$"'],
    ],
    [
      'a duplicate list-map key (a missing key counts as its default)',
      { size: 1, ports: [{ port: 80 }, { port: 81 }, { port: 80, protocol: 'TCP' }] },
      ['spec.ports[2]: duplicate value {"port":80,"protocol":"TCP"}'],
    ],
    [
      'an unknown field in an embedded resource',
      { size: 1, embedded: { spec: { y: 1 } } },
      ['spec.embedded.spec.y: unknown field'],
    ],
  ])('rejects %s with a JSON path', (_what, spec, messages) => {
    expect(validator.validate(widget(spec))).toEqual(messages);
  });

  it('checks apiVersion, kind and ObjectMeta like the API server', () => {
    expect(
      validator.validate({ ...widget({ size: 1 }), apiVersion: 'example.com/v2', kind: 'Gadget' }),
    ).toEqual(['apiVersion: must be "example.com/v1"', 'kind: must be "Widget"']);
    expect(validator.validate({ apiVersion: 'example.com/v1', kind: 'Widget', spec: { size: 1 } })).toEqual([
      'metadata: required value',
    ]);
    expect(validator.validate({ ...widget({ size: 1 }), metadata: { namespace: 'd' } })).toEqual([
      'metadata: needs one of name, generateName',
    ]);
    expect(
      validator.validate({
        ...widget({ size: 1 }),
        metadata: {
          name: 'Not_Valid',
          labels: { 'app.kubernetes.io/name': 'x'.repeat(64), 'bad key!': 'v' },
          annotations: { 'example.com/n': 1 },
          bogus: true,
        },
      }),
    ).toEqual([
      'metadata.bogus: unknown field',
      expect.stringMatching(/^metadata\.name: must match pattern/),
      'metadata.labels["bad key!"]: invalid key',
      'metadata.labels["app.kubernetes.io/name"]: must NOT have more than 63 characters',
      expect.stringMatching(/^metadata\.labels\["app\.kubernetes\.io\/name"\]: must match pattern/),
      'metadata.annotations["example.com/n"]: must be string',
    ]);
  });

  it('selects a version by name and explains a missing one', () => {
    const twoVersions = crd({}, [
      { name: 'v1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
      {
        name: 'v2',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } },
          },
        },
      },
    ]);
    expect(loadCrdValidator(twoVersions).version).toBe('v2');
    expect(loadCrdValidator(twoVersions, { version: 'v1' }).version).toBe('v1');
    expect(() => loadCrdValidator(twoVersions, { version: 'v9' })).toThrow(
      'CRD has no version v9 (versions: v1, v2): pass one of them as options.version.',
    );
  });

  it('refuses text that is not a CRD, and a version without a schema', () => {
    expect(() => loadCrdValidator('kind: ConfigMap\n')).toThrow(/Not a CustomResourceDefinition/);
    expect(() => loadCrdValidator(crd({}, [{ name: 'v1', served: true, storage: true }]))).toThrow(
      'CRD version v1 has no schema.openAPIV3Schema: it cannot be validated.',
    );
  });
});

describe('loadCrdValidator on the real Argo CRDs', () => {
  const minimalCron = (spec: Record<string, unknown>) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'CronWorkflow',
    metadata: { name: 'nightly' },
    spec: {
      workflowSpec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox' } }] },
      ...spec,
    },
  });

  it('reads group, kind and plural from the CRD', () => {
    expect(argoValidator('v4.1.2', 'cronworkflows')).toMatchObject({
      group: 'argoproj.io',
      kind: 'CronWorkflow',
      plural: 'cronworkflows',
      version: 'v1alpha1',
    });
  });

  it('the singular `schedule` is accepted by v3.7 and is an unknown field in v4.1 (removed there)', () => {
    expect(argoCrdText('v4.1.2', 'cronworkflows')).not.toMatch(/^ {14}schedule:$/m);
    const cron = minimalCron({ schedule: '0 0 * * *' });
    expect(argoValidator('v3.7.18', 'cronworkflows').validate(cron)).toEqual([]);
    // v4 also requires the list form.
    expect(argoValidator('v4.1.2', 'cronworkflows').validate(cron)).toEqual([
      'spec.schedules: required value',
      'spec.schedule: unknown field',
    ]);
    expect(
      argoValidator('v4.1.2', 'cronworkflows').validate(minimalCron({ schedules: ['0 0 * * *'] })),
    ).toEqual([]);
  });

  it('v4.1 checks the schedules pattern; both check enums and types deep in the workflow spec', () => {
    expect(
      argoValidator('v4.1.2', 'cronworkflows').validate(minimalCron({ schedules: ['every day'] })),
    ).toEqual([expect.stringMatching(/^spec\.schedules\[0\]: must match pattern/)]);
    for (const version of ['v3.7.18', 'v4.1.2'] as const) {
      const errors = argoValidator(version, 'cronworkflows').validate(
        minimalCron({
          schedules: ['0 0 * * *'],
          startingDeadlineSeconds: 'soon',
          workflowSpec: {
            entrypoint: 'main',
            templates: [
              { name: 'main', container: { image: 'busybox', resources: { limits: { cpu: true } } } },
            ],
            podGC: { strategy: 'OnPodCompletion', foo: 1 },
          },
        }),
      );
      expect(errors.sort()).toEqual([
        'spec.startingDeadlineSeconds: must be integer',
        'spec.workflowSpec.podGC.foo: unknown field',
        'spec.workflowSpec.templates[0].container.resources.limits.cpu: must be integer or string',
      ]);
    }
  });

  it('rejects two env variables of the same name (env is a list-map keyed by name)', () => {
    for (const version of ['v3.7.18', 'v4.1.2'] as const) {
      const cron = minimalCron({
        schedules: ['0 0 * * *'],
        workflowSpec: {
          entrypoint: 'main',
          templates: [
            {
              name: 'main',
              container: {
                image: 'busybox',
                env: [
                  { name: 'A', value: '1' },
                  { name: 'A', value: '2' },
                ],
              },
            },
          ],
        },
      });
      const errors = argoValidator(version, 'cronworkflows').validate(cron);
      expect({ version, errors }).toEqual({
        version,
        errors: ['spec.workflowSpec.templates[0].container.env[1]: duplicate value {"name":"A"}'],
      });
    }
  });

  it('lets preserved-unknown fields through (a template plugin) while checking their siblings', () => {
    const workflow = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { generateName: 'plugin-' },
      spec: {
        entrypoint: 'main',
        templates: [{ name: 'main', plugin: { hello: { anything: ['goes'] } } }],
      },
    };
    expect(argoValidator('v4.1.2', 'workflows').validate(workflow)).toEqual([]);
    expect(argoValidator('v3.7.18', 'workflows').validate(workflow)).toEqual([]);
  });
});
