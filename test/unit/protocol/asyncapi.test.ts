import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import {
  EVENT_NAMES,
  OPERATIONS,
  buildAsyncApiDocument,
  errorResponse,
  eventMessage,
  okResponse,
  parseFrame,
  renderAsyncApiDocument,
} from '@hybrid-runner/protocol';

const DOCUMENT_PATH = join(import.meta.dirname, '..', '..', '..', 'docs', 'asyncapi.json');
const REGENERATE = 'npx node packages/protocol/scripts/generate-asyncapi.ts';

type ParseOutput = Awaited<ReturnType<Parser['parse']>>;

/** Parser diagnostics at error (0) or warning (1) severity. */
function problems(output: ParseOutput): string[] {
  return output.diagnostics
    .filter((d) => d.severity <= 1)
    .map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`);
}

let parsedOnce: Promise<ParseOutput> | undefined;
/** The generated document, parsed once for the tests that read it (a parse takes about half a second). */
function parsedDocument(): Promise<ParseOutput> {
  parsedOnce ??= new Parser().parse(renderAsyncApiDocument());
  return parsedOnce;
}

describe('docs/asyncapi.json', () => {
  it(`is in sync with the validators (regenerate with: ${REGENERATE})`, () => {
    const checkedIn = readFileSync(DOCUMENT_PATH, 'utf8');
    expect(checkedIn, `docs/asyncapi.json is stale: run ${REGENERATE}`).toBe(renderAsyncApiDocument());
  });

  it('is a valid AsyncAPI 3.0 document for @asyncapi/parser, with no errors or warnings', async () => {
    expect(problems(await parsedDocument())).toEqual([]);
  });

  it('the parser check is not vacuous: a broken reference is reported', async () => {
    const broken = buildAsyncApiDocument() as { components: { schemas: Record<string, unknown> } };
    delete broken.components.schemas['Pipeline'];
    expect(problems(await new Parser().parse(JSON.stringify(broken))).length).toBeGreaterThan(0);
  });

  it('describes every operation with a request and a reply, and every event', async () => {
    const { document } = await parsedDocument();
    const operations = document?.operations();
    for (const op of OPERATIONS) {
      const operation = operations?.get(op);
      expect(operation?.action()).toBe('receive');
      expect(
        operation
          ?.messages()
          .all()
          .map((m) => m.name()),
      ).toEqual([`${op}Request`]);
      expect(
        operation
          ?.reply()
          ?.messages()
          .all()
          .map((m) => m.name()),
      ).toEqual([`${op}Response`, 'errorResponse']);
    }
    for (const event of EVENT_NAMES) {
      expect(operations?.get(`send${event.charAt(0).toUpperCase()}${event.slice(1)}`)?.action()).toBe('send');
    }
  });

  it('its schemas accept the messages the validators and builders produce (checked with ajv)', () => {
    const ajv = new Ajv({ strict: false });
    const doc = buildAsyncApiDocument() as { components: unknown };
    ajv.addSchema({ $id: 'bridge', components: doc.components });
    const validate = (schema: string, value: unknown) => {
      const check = ajv.getSchema(`bridge#/components/schemas/${schema}`);
      if (!check) throw new Error(`no schema ${schema}`);
      return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    };

    const parsed = parseFrame(
      JSON.stringify({
        v: 1,
        id: 'r-1',
        type: 'runPipeline',
        payload: {
          pipeline: {
            name: 'ingest',
            fullyQualifiedName: 'mysql.ingest',
            pipelineType: 'metadata',
            airflowConfig: { scheduleInterval: '@daily' },
            sourceConfig: {},
          },
          workflowConfig: 'source: {}',
        },
      }),
    );
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(validate('RunPipelineRequest', parsed.request)).toEqual([]);
    expect(validate('RunPipelineRequest', { ...parsed.request, id: 'has space' })).not.toEqual([]);

    const logs = okResponse('l', 'getIngestionLogs', { ingestion_task: 'line\n', total: 2, after: 'c1' });
    expect(validate('GetIngestionLogsResponse', logs)).toEqual([]);
    expect(
      validate('GetIngestionLogsResponse', { ...logs, payload: { ingestion_task: 1, total: 1 } }),
    ).not.toEqual([]);
    expect(
      validate('ErrorResponse', errorResponse(null, undefined, { code: 'bad_request', message: 'x' })),
    ).toEqual([]);
    expect(validate('ErrorResponse', errorResponse('i', 'ping', { code: 'internal', message: 'x' }))).toEqual(
      [],
    );
    const status = eventMessage('runnerStatus', {
      agentId: 'a',
      status: 'active',
      version: '1',
      connections: 0,
    });
    expect(validate('RunnerStatusEvent', status)).toEqual([]);
  });
});
