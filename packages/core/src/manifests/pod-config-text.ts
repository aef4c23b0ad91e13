// The text of the pod's `config` variable: JSON that PyYAML's safe_load reads to the same value.
/** Characters PyYAML will not read raw (C1 controls, U+FFFE/U+FFFF) or folds (NEL, U+2028/U+2029). */
const PYYAML_UNSAFE = /[\u007f-\u009f\u2028\u2029\ufffe\uffff]/g;

function quote(text: string): string {
  return JSON.stringify(text).replace(
    PYYAML_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** YAML 1.1 floats need a dot and a signed exponent (`1.0e+21`); JSON accepts that form too. */
function number(value: number): string {
  if (!Number.isFinite(value)) return 'null'; // as JSON.stringify does
  const text = String(value);
  const match = /^(-?\d+)(\.\d+)?e([+-]?)(\d+)$/.exec(text);
  if (!match) return text;
  return `${match[1]}${match[2] ?? '.0'}e${match[3] || '+'}${match[4]}`;
}

function podJson(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') return number(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'object') return undefined; // undefined, functions, symbols: left out as in JSON
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return podJson(json.call(value));
  if (Array.isArray(value)) return `[${value.map((item) => podJson(item) ?? 'null').join(',')}]`;
  const members: string[] = [];
  for (const [key, member] of Object.entries(value)) {
    const text = podJson(member);
    if (text !== undefined) members.push(`${quote(key)}:${text}`);
  }
  return `{${members.join(',')}}`;
}

/**
 * Config text for the pod's `config` variable. The ingestion code reads it with PyYAML's `safe_load`
 * (YAML 1.1), which turns plain `yes`/`on`/dates into booleans and dates, refuses some plain scalars,
 * folds some characters and reads `1e-7` as a string. So we write JSON (JSON is YAML) with every string
 * quoted, those characters escaped and exponents in the YAML 1.1 float form: text that JSON.parse and
 * yaml.safe_load read to the same value.
 */
export function podConfigText(config: Record<string, unknown>): string {
  return podJson(config) ?? '{}';
}
