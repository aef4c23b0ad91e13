import { describe, expect, it } from 'vitest';
import {
  ALARM_THRESHOLDS,
  METRIC_CATALOG,
  alarmDefinitions,
  dashboardBody,
  dashboardMetricReferences,
  type MetricWidget,
  type Widget,
} from '@hybrid-runner/observability';

const base = {
  region: 'eu-west-1',
  stage: 'dev',
  agentId: 'Remote"Runner',
  functionNames: { message: 'hr-dev-message', heartbeat: 'hr-dev-heartbeat' },
  tableNames: { connections: 'Connections' },
};

function titles(widgets: Widget[]): string[] {
  return widgets.filter((w): w is MetricWidget => w.type === 'metric').map((w) => w.properties.title);
}

describe('dashboardBody', () => {
  it('shows what the published Grafana dashboard shows, plus Lambda, DynamoDB and registry panels', () => {
    const shown = titles(dashboardBody(METRIC_CATALOG, base).widgets).join('\n');
    for (const panel of [
      /Connection status/,
      /Jobs total/,
      /Jobs by status/,
      /Job rate/,
      /Server response time/,
      /Executor response time/,
      /Lambda errors/,
      /Lambda throttles/,
      /Lambda duration/,
      /Lambda concurrency/,
      /DynamoDB throttled requests/,
      /ECR credentials: hours until expiry/,
    ]) {
      expect(shown).toMatch(panel);
    }
  });

  it('lays widgets on the 24-column grid without overlaps', () => {
    const widgets = dashboardBody(METRIC_CATALOG, {
      ...base,
      alarmArns: ['arn:aws:cloudwatch:eu-west-1:1:alarm:a'],
    }).widgets;
    const cells = new Set<string>();
    for (const widget of widgets) {
      expect(widget.x + widget.width).toBeLessThanOrEqual(24);
      for (let x = widget.x; x < widget.x + widget.width; x++) {
        for (let y = widget.y; y < widget.y + widget.height; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell), `overlap at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
    }
    expect(widgets.at(-1)).toMatchObject({
      type: 'alarm',
      properties: { alarms: ['arn:aws:cloudwatch:eu-west-1:1:alarm:a'] },
    });
  });

  it('draws the alarm thresholds where the alarms are', () => {
    const widgets = dashboardBody(METRIC_CATALOG, base).widgets as MetricWidget[];
    const expiry = widgets.find((w) => w.properties?.title?.startsWith('ECR credentials'));
    expect(expiry?.properties.annotations?.horizontal[0]?.value).toBe(ALARM_THRESHOLDS.ecrHoursRemaining);
    const lag = widgets.find((w) => w.properties?.title?.startsWith('Reconciliation lag'));
    expect(lag?.properties.annotations?.horizontal[0]?.value).toBe(ALARM_THRESHOLDS.reconciliationLagSeconds);
  });

  it('escapes quotes of the agent id inside SEARCH expressions and reads them back', () => {
    const references = dashboardMetricReferences(dashboardBody(METRIC_CATALOG, base)).filter(
      (r) => r.source === 'search',
    );
    expect(references.length).toBe(2);
    for (const reference of references) expect(reference.dimensions.agentId).toBe('Remote\\"Runner');
  });

  it('leaves the registry panels out when the stage has no registry refresh', () => {
    const body = dashboardBody(METRIC_CATALOG, { ...base, registryEnabled: false });
    expect(titles(body.widgets).some((title) => title.startsWith('ECR'))).toBe(false);
    expect(dashboardMetricReferences(body).some((r) => r.metricName.startsWith('Ecr'))).toBe(false);
  });
});

describe('alarmDefinitions', () => {
  const options = {
    namePrefix: 'hybrid-runner-dev',
    stage: 'dev',
    agentId: 'a',
    functionNames: { message: 'hr-dev-message' },
  };

  it('treats missing connection data as disconnected, like the published 2-minute HybridAgentDisconnected', () => {
    const disconnected = alarmDefinitions({ ...options, registryEnabled: false }).find(
      (a) => a.id === 'BridgeDisconnected',
    );
    expect(disconnected).toMatchObject({
      metricName: 'OpenConnections',
      statistic: 'Maximum',
      periodSeconds: 60,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
    });
  });

  it('has ECR alarms only with a registry refresh', () => {
    const without = alarmDefinitions({ ...options, registryEnabled: false }).map((a) => a.id);
    const withRegistry = alarmDefinitions({ ...options, registryEnabled: true }).map((a) => a.id);
    expect(without).not.toContain('EcrCredentialsExpiring');
    expect(withRegistry).toEqual(expect.arrayContaining(['EcrCredentialsExpiring', 'EcrRefreshFailed']));
  });

  it('gives every alarm a unique id and name and a runbook anchor the docs have', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const docs = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'operations.md'), 'utf8');
    const alarms = alarmDefinitions({
      ...options,
      functionNames: { connect: 'c', disconnect: 'd', message: 'm', heartbeat: 'h', registryRefresh: 'r' },
      registryEnabled: true,
    });
    expect(new Set(alarms.map((a) => a.id)).size).toBe(alarms.length);
    expect(new Set(alarms.map((a) => a.name)).size).toBe(alarms.length);
    for (const alarm of alarms) {
      expect(docs, `docs/operations.md needs a "${alarm.runbook}" section`).toMatch(
        new RegExp(`^#+ .*\\{#${alarm.runbook}\\}|<a id="${alarm.runbook}"></a>`, 'm'),
      );
    }
  });
});

describe('docs/operations.md', () => {
  it('documents every catalog metric with its unit and extra dimensions', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const docs = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'operations.md'), 'utf8');
    for (const [name, definition] of Object.entries(METRIC_CATALOG)) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row, `docs/operations.md has no table row for ${name}`).toBeDefined();
      const cells = row!.split('|').map((cell) => cell.trim());
      expect(cells[2]).toBe(definition.unit);
      expect(cells[3]).toBe(definition.dimensions.map((dimension) => `\`${dimension}\``).join(', '));
      expect(cells[4]).toBe(definition.emittedBy.join(', '));
    }
  });
});
