// CloudWatch objects against what AWS publishes: each alarm as the PutMetricAlarm input the provider sends
// (the botocore model's shape, plus the rules its member documentation states), and the dashboard body
// against AWS's "Dashboard Body Structure and Syntax" reference (CloudWatch API Reference), whose rules are
// encoded here one by one with the words of the page they come from. What it cannot prove: that
// CloudWatch renders the dashboard as intended, or rules the page does not state.
import type { ServiceModel } from './aws-models/service-models.ts';
import { validateShape } from './aws-models/shape-validator.ts';

/**
 * The Pulumi (Terraform provider) arguments of aws.cloudwatch.MetricAlarm and the PutMetricAlarm members they
 * become (the provider's aws_cloudwatch_metric_alarm reference). An argument without an entry fails the
 * check, so a new one is mapped deliberately.
 */
const ALARM_ARGUMENTS: Record<string, string> = {
  name: 'AlarmName',
  alarmDescription: 'AlarmDescription',
  actionsEnabled: 'ActionsEnabled',
  okActions: 'OKActions',
  alarmActions: 'AlarmActions',
  insufficientDataActions: 'InsufficientDataActions',
  metricName: 'MetricName',
  namespace: 'Namespace',
  statistic: 'Statistic',
  extendedStatistic: 'ExtendedStatistic',
  dimensions: 'Dimensions',
  period: 'Period',
  unit: 'Unit',
  evaluationPeriods: 'EvaluationPeriods',
  datapointsToAlarm: 'DatapointsToAlarm',
  threshold: 'Threshold',
  comparisonOperator: 'ComparisonOperator',
  treatMissingData: 'TreatMissingData',
  evaluateLowSampleCountPercentiles: 'EvaluateLowSampleCountPercentile',
  tags: 'Tags',
};

export function putMetricAlarmInput(args: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [argument, value] of Object.entries(args)) {
    if (value === undefined) continue;
    const member = ALARM_ARGUMENTS[argument];
    if (!member)
      throw new Error(`MetricAlarm argument ${argument} has no PutMetricAlarm member in ALARM_ARGUMENTS.`);
    if (member === 'Dimensions' || member === 'Tags') {
      const [nameKey, valueKey] = member === 'Dimensions' ? ['Name', 'Value'] : ['Key', 'Value'];
      input[member] = Object.entries(value as Record<string, string>).map(([name, v]) => ({
        [nameKey]: name,
        [valueKey]: v,
      }));
    } else {
      input[member] = value;
    }
  }
  return input;
}

/** `Valid Values: a | b | c` as a member's documentation in the model states it. */
export function documentedValues(model: ServiceModel, shape: string, member: string): string[] {
  const documentation = (model.shapes[shape]?.members?.[member]?.documentation ?? '').replace(/<[^>]+>/g, '');
  const match =
    /Valid Values:\s*([\w |]+?)\s{2,}/.exec(documentation) ?? /Valid Values:\s*([\w |]+)/.exec(documentation);
  if (!match) throw new Error(`The model documents no valid values for ${shape}.${member}.`);
  return match[1]!
    .split('|')
    .map((value) => value.trim())
    .filter(Boolean);
}

export function alarmProblems(model: ServiceModel, input: Record<string, unknown>): string[] {
  const name = String(input.AlarmName);
  const problems = validateShape(model, 'PutMetricAlarmInput', input, `alarm ${name}`);
  const fail = (message: string) => problems.push(`alarm ${name}: ${message}`);
  const treat = documentedValues(model, 'PutMetricAlarmInput', 'TreatMissingData');
  if (input.TreatMissingData !== undefined && !treat.includes(String(input.TreatMissingData)))
    fail(
      `TreatMissingData "${String(input.TreatMissingData)}" is not one of ${treat.join(', ')} (its documentation)`,
    );
  const period = Number(input.Period);
  // Period: "Valid values are 10, 30, and any multiple of 60."
  if (
    input.MetricName !== undefined &&
    !(period === 10 || period === 30 || (period > 0 && period % 60 === 0))
  )
    fail(`Period ${period} is not 10, 30 or a multiple of 60 (its documentation)`);
  // EvaluationPeriods: "this number multiplied by Period cannot be more than 86,400 seconds."
  if (Number(input.EvaluationPeriods) * period > 86_400)
    fail(`EvaluationPeriods × Period is over 86,400 seconds (its documentation)`);
  // DatapointsToAlarm is the M of "M out of N", EvaluationPeriods the N.
  if (
    input.DatapointsToAlarm !== undefined &&
    Number(input.DatapointsToAlarm) > Number(input.EvaluationPeriods)
  )
    fail('DatapointsToAlarm is more than EvaluationPeriods (M out of N)');
  // Statistic: "you must specify either Statistic or ExtendedStatistic, but not both."
  if (
    input.MetricName !== undefined &&
    (input.Statistic === undefined) === (input.ExtendedStatistic === undefined)
  )
    fail('exactly one of Statistic and ExtendedStatistic must be given');
  // Threshold: "required for alarms based on static thresholds".
  if (input.ThresholdMetricId === undefined && input.Threshold === undefined)
    fail('a static threshold alarm needs Threshold');
  for (const key of ['AlarmActions', 'OKActions', 'InsufficientDataActions']) {
    for (const arn of (input[key] as string[] | undefined) ?? []) {
      if (!/^arn:aws[\w-]*:(sns|automate|autoscaling|ssm|ssm-incidents|swf|lambda):/.test(arn))
        fail(`${key} ${arn} is not an action ARN the documentation lists`);
    }
  }
  return problems;
}

// ---- Dashboard Body Structure and Syntax -------------------------------------------------------------
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html

const WIDGET_TYPES = ['metric', 'text', 'log', 'alarm', 'explorer', 'custom'];
const METRIC_VIEWS = ['timeSeries', 'singleValue', 'gauge', 'bar', 'pie', 'table'];
/** Statistics the page accepts: the five, percentiles and the trimmed/winsorized/percentile-rank forms. */
const STAT =
  /^(SampleCount|Average|Sum|Minimum|Maximum|IQM|p(\d{1,2}(\.\d+)?|100)|(tm|wm|tc|ts|pr)(\d{1,2}(\.\d+)?|100)|(TM|WM|TC|TS|PR)\(.+\))$/;
const RENDERING_KEYS = [
  'accountId',
  'color',
  'expression',
  'id',
  'label',
  'period',
  'region',
  'stat',
  'visible',
  'yAxis',
];
const METRIC_PROPERTIES = [
  'accountId',
  'annotations',
  'end',
  'liveData',
  'legend',
  'metrics',
  'period',
  'region',
  'setPeriodToTimeRange',
  'singleValueFullPrecision',
  'sparkline',
  'stacked',
  'start',
  'stat',
  'table',
  'timezone',
  'title',
  'trend',
  'view',
  'yAxis',
];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validPeriod(value: unknown): boolean {
  // "period … Valid values are 1, 5, 10, 30, and any multiple of 60."
  return typeof value === 'number' && ([1, 5, 10, 30].includes(value) || (value > 0 && value % 60 === 0));
}

function metricEntryProblems(entry: unknown, where: string, previous: unknown[] | undefined): string[] {
  const problems: string[] = [];
  if (!Array.isArray(entry) || entry.length === 0) return [`${where}: each metric is a non-empty array`];
  const last = entry.at(-1);
  const rendering = isObject(last) ? last : undefined;
  const parts = rendering ? entry.slice(0, -1) : entry;
  if (rendering) {
    for (const key of Object.keys(rendering))
      if (!RENDERING_KEYS.includes(key)) problems.push(`${where}: "${key}" is no rendering property`);
    if (rendering.stat !== undefined && !STAT.test(String(rendering.stat)))
      problems.push(`${where}: stat "${String(rendering.stat)}" is no statistic`);
    if (rendering.period !== undefined && !validPeriod(rendering.period))
      problems.push(`${where}: period ${String(rendering.period)} is not 1, 5, 10, 30 or a multiple of 60`);
    if (rendering.yAxis !== undefined && !['left', 'right'].includes(String(rendering.yAxis)))
      problems.push(`${where}: yAxis is "left" or "right"`);
    if (rendering.id !== undefined && !/^[a-z][a-zA-Z0-9_]*$/.test(String(rendering.id)))
      problems.push(`${where}: an id starts with a lower-case letter and holds letters, digits and _`);
  }
  if (parts.length === 0) {
    // A math or search expression: everything in the rendering object.
    if (!rendering || typeof rendering.expression !== 'string')
      problems.push(`${where}: an expression entry needs "expression"`);
    return problems;
  }
  if (parts.some((part) => typeof part !== 'string'))
    return [...problems, `${where}: namespace, name and dimensions are strings`];
  // "[Namespace, MetricName, [{DimensionName,DimensionValue}...] {Rendering Properties Object}]"; "." repeats
  // the value at that position of the previous metric.
  const resolved = (parts as string[]).map((part, index) => (part === '.' ? previous?.[index] : part));
  if (resolved.some((part) => part === undefined))
    problems.push(`${where}: "." with no previous metric to repeat`);
  if (resolved.length < 2) problems.push(`${where}: a metric needs namespace and metric name`);
  if ((resolved.length - 2) % 2 !== 0) problems.push(`${where}: dimensions come in name/value pairs`);
  if ((resolved.length - 2) / 2 > 30) problems.push(`${where}: at most 30 dimensions`);
  return problems;
}

function metricWidgetProblems(properties: Record<string, unknown>, where: string): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(properties))
    if (!METRIC_PROPERTIES.includes(key)) problems.push(`${where}: "${key}" is no metric widget property`);
  // "region … Required: Yes"
  if (typeof properties.region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(properties.region))
    problems.push(`${where}: region is required (a Region code)`);
  const metrics = properties.metrics;
  const annotations = properties.annotations;
  // "metrics … Required: No, if … alarm annotation"; without an alarm annotation, metrics are needed.
  if (metrics === undefined && !(isObject(annotations) && Array.isArray(annotations.alarms)))
    problems.push(`${where}: metrics (or an alarm annotation) is required`);
  if (metrics !== undefined) {
    if (!Array.isArray(metrics)) problems.push(`${where}: metrics is an array of arrays`);
    else {
      if (metrics.length > 500) problems.push(`${where}: at most 500 metrics`);
      let previous: unknown[] | undefined;
      const ids = new Set<string>();
      metrics.forEach((entry, index) => {
        problems.push(...metricEntryProblems(entry, `${where}.metrics[${index}]`, previous));
        const rendering =
          Array.isArray(entry) && isObject(entry.at(-1))
            ? (entry.at(-1) as Record<string, unknown>)
            : undefined;
        if (typeof rendering?.id === 'string') {
          if (ids.has(rendering.id)) problems.push(`${where}: the id ${rendering.id} is used twice`);
          ids.add(rendering.id);
        }
        if (Array.isArray(entry)) previous = entry.filter((part) => typeof part === 'string');
      });
    }
  }
  if (properties.view !== undefined && !METRIC_VIEWS.includes(String(properties.view)))
    problems.push(`${where}: view "${String(properties.view)}" is not one of ${METRIC_VIEWS.join(', ')}`);
  if (properties.stat !== undefined && !STAT.test(String(properties.stat)))
    problems.push(`${where}: stat "${String(properties.stat)}" is no statistic`);
  if (properties.period !== undefined && !validPeriod(properties.period))
    problems.push(`${where}: period ${String(properties.period)} is not 1, 5, 10, 30 or a multiple of 60`);
  if (properties.stacked !== undefined && typeof properties.stacked !== 'boolean')
    problems.push(`${where}: stacked is a boolean`);
  if (isObject(annotations)) {
    for (const key of Object.keys(annotations))
      if (!['horizontal', 'vertical', 'alarms'].includes(key))
        problems.push(`${where}: "${key}" is no annotation kind`);
    for (const [index, annotation] of ((annotations.horizontal as unknown[] | undefined) ?? []).entries()) {
      const item = isObject(annotation) ? annotation : {};
      // "value … Required: Yes"
      if (typeof item.value !== 'number')
        problems.push(`${where}.annotations.horizontal[${index}]: value (a number) is required`);
      for (const key of Object.keys(item))
        if (!['value', 'label', 'color', 'fill', 'visible', 'yAxis'].includes(key))
          problems.push(`${where}.annotations.horizontal[${index}]: "${key}" is no annotation property`);
      if (item.color !== undefined && !/^#[0-9a-fA-F]{6}$/.test(String(item.color)))
        problems.push(`${where}.annotations.horizontal[${index}]: color is a six-digit hex code with #`);
    }
  } else if (annotations !== undefined) problems.push(`${where}: annotations is an object`);
  if (properties.yAxis !== undefined) {
    if (!isObject(properties.yAxis)) problems.push(`${where}: yAxis is an object`);
    else
      for (const [side, axis] of Object.entries(properties.yAxis)) {
        if (!['left', 'right'].includes(side)) problems.push(`${where}: yAxis has left and right only`);
        for (const key of Object.keys(isObject(axis) ? axis : {}))
          if (!['min', 'max', 'label', 'showUnits'].includes(key))
            problems.push(`${where}: yAxis.${side}.${key} is no axis property`);
      }
  }
  return problems;
}

export function dashboardProblems(body: unknown): string[] {
  if (!isObject(body)) return ['the body is a JSON object'];
  const problems: string[] = [];
  for (const key of Object.keys(body))
    if (!['widgets', 'start', 'end', 'periodOverride', 'variables'].includes(key))
      problems.push(`"${key}" is no dashboard body parameter`);
  // "The dashboard must include a widgets array, but that array can be empty." "between 0 and 500 widget objects"
  if (!Array.isArray(body.widgets)) return [...problems, 'widgets (an array) is required'];
  if (body.widgets.length > 500) problems.push('at most 500 widgets');
  if (body.periodOverride !== undefined && !['auto', 'inherit'].includes(String(body.periodOverride)))
    problems.push('periodOverride is "auto" or "inherit"');
  if (body.start !== undefined && !/^-P(T?\d+[YMWDHMS])+$|^\d{4}-\d{2}-\d{2}T/.test(String(body.start)))
    problems.push(`start "${String(body.start)}" is neither an ISO 8601 duration before now nor a time`);
  body.widgets.forEach((widget, index) => {
    const where = `widgets[${index}]`;
    if (!isObject(widget)) return problems.push(`${where}: a widget is an object`);
    // "type … Required: Yes"; "properties … Required: Yes"
    if (!WIDGET_TYPES.includes(String(widget.type)))
      problems.push(`${where}: type "${String(widget.type)}" is not one of ${WIDGET_TYPES.join(', ')}`);
    for (const key of Object.keys(widget))
      if (!['type', 'x', 'y', 'width', 'height', 'properties'].includes(key))
        problems.push(`${where}: "${key}" is no widget field`);
    // "x … Valid Values: 0–23", "y … Valid Values: 0 or greater", "width … 1–24", "height … 1–1000"
    const integer = (key: string, min: number, max: number) => {
      const value = widget[key];
      if (value === undefined) return;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
        problems.push(`${where}: ${key} is an integer from ${min} to ${max}`);
    };
    integer('x', 0, 23);
    integer('y', 0, Number.MAX_SAFE_INTEGER);
    integer('width', 1, 24);
    integer('height', 1, 1000);
    // The grid is 24 columns wide.
    if (typeof widget.x === 'number' && Number(widget.x) + Number(widget.width ?? 6) > 24)
      problems.push(`${where}: x + width is past the 24-column grid`);
    if (!isObject(widget.properties)) return problems.push(`${where}: properties (an object) is required`);
    const properties = widget.properties;
    switch (widget.type) {
      case 'metric':
        problems.push(...metricWidgetProblems(properties, where));
        break;
      case 'text':
        // "markdown … Required: Yes"; "background: transparent | solid"
        if (typeof properties.markdown !== 'string') problems.push(`${where}: markdown is required`);
        if (
          properties.background !== undefined &&
          !['transparent', 'solid'].includes(String(properties.background))
        )
          problems.push(`${where}: background is transparent or solid`);
        break;
      case 'alarm': {
        // "alarms … An array of alarm ARNs … Required: Yes", up to 100; "sortBy: default | stateUpdatedTimestamp | timestamp"
        const alarms = properties.alarms;
        if (!Array.isArray(alarms) || alarms.length === 0)
          problems.push(`${where}: alarms (ARNs) is required`);
        else {
          if (alarms.length > 100) problems.push(`${where}: at most 100 alarms`);
          for (const arn of alarms)
            if (!/^arn:aws[\w-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$/.test(String(arn)))
              problems.push(`${where}: ${String(arn)} is not an alarm ARN`);
        }
        if (
          properties.sortBy !== undefined &&
          !['default', 'stateUpdatedTimestamp', 'timestamp'].includes(String(properties.sortBy))
        )
          problems.push(`${where}: sortBy is default, stateUpdatedTimestamp or timestamp`);
        for (const state of (properties.states as unknown[] | undefined) ?? [])
          if (!['ALARM', 'INSUFFICIENT_DATA', 'OK'].includes(String(state)))
            problems.push(`${where}: state ${String(state)} is unknown`);
        for (const key of Object.keys(properties))
          if (!['alarms', 'sortBy', 'states', 'title'].includes(key))
            problems.push(`${where}: "${key}" is no alarm widget property`);
        break;
      }
      default:
        // Log, explorer and custom widgets are not drawn by this project; their properties are not encoded.
        problems.push(`${where}: ${String(widget.type)} widgets are not covered by these checks`);
    }
  });
  return problems;
}
