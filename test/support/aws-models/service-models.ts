// AWS's own service models, as botocore ships them (Debian's python3-botocore: written by AWS, not by us),
// so wire formats are checked against what AWS publishes rather than against our stand-ins. The models
// are read from BOTOCORE_DATA_DIR, else from the Debian package's path; `.ci/run` installs the package.
// A missing model is an error, never a skip: a green run must mean the check ran.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';

export const DEBIAN_BOTOCORE_DATA = '/usr/lib/python3/dist-packages/botocore/data';

export interface ShapeRef {
  shape: string;
  location?: 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';
  locationName?: string;
  timestampFormat?: string;
  documentation?: string;
}

export interface Shape {
  type: string;
  members?: Record<string, ShapeRef>;
  required?: string[];
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  enum?: string[];
  min?: number;
  max?: number;
  payload?: string;
  exception?: boolean;
  fault?: boolean;
  error?: { httpStatusCode?: number; code?: string };
  timestampFormat?: string;
  documentation?: string;
}

export interface Operation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: ShapeRef;
  output?: ShapeRef;
  errors?: ShapeRef[];
}

export interface ServiceModel {
  /** Directory name under botocore/data, e.g. `secretsmanager`. */
  service: string;
  metadata: {
    apiVersion: string;
    protocol: 'json' | 'rest-json' | 'query' | 'rest-xml' | 'ec2';
    jsonVersion?: string;
    targetPrefix?: string;
    signingName?: string;
    endpointPrefix: string;
  };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
  /** Where it was read from, for messages. */
  path: string;
}

export function botocoreDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BOTOCORE_DATA_DIR || DEBIAN_BOTOCORE_DATA;
}

const cache = new Map<string, ServiceModel>();

/** The newest model of `service` (botocore keeps one directory per API version). */
export function loadServiceModel(service: string, env: NodeJS.ProcessEnv = process.env): ServiceModel {
  const root = botocoreDataDir(env);
  const cached = cache.get(`${root}/${service}`);
  if (cached) return cached;
  const directory = join(root, service);
  const install =
    'install them with `apt-get install -y python3-botocore` (Debian; .ci/run does it) or point ' +
    'BOTOCORE_DATA_DIR at a botocore/data directory';
  if (!existsSync(directory)) {
    throw new Error(`AWS service models not found: ${directory} is missing; ${install}.`);
  }
  const versions = readdirSync(directory)
    .filter((version) =>
      ['service-2.json', 'service-2.json.gz'].some((f) => existsSync(join(directory, version, f))),
    )
    .sort();
  const version = versions.at(-1);
  if (!version) throw new Error(`No service-2.json under ${directory}; ${install}.`);
  const plain = join(directory, version, 'service-2.json');
  const path = existsSync(plain) ? plain : `${plain}.gz`;
  const text = path.endsWith('.gz')
    ? gunzipSync(readFileSync(path)).toString('utf8')
    : readFileSync(path, 'utf8');
  const parsed = JSON.parse(text) as Omit<ServiceModel, 'service' | 'path'>;
  const model: ServiceModel = { ...parsed, service, path };
  cache.set(`${root}/${service}`, model);
  return model;
}

export function operation(model: ServiceModel, name: string): Operation {
  const found = model.operations[name];
  if (!found) throw new Error(`${model.service} (${model.path}) has no operation ${name}.`);
  return found;
}
