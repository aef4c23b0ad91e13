// Opt-in tracing (observability.tracing in the stage file sets POWERTOOLS_TRACE_ENABLED=true and X-Ray
// active tracing), and the instrumentation of the cluster port: one latency value per Kubernetes API call,
// an error count for calls that failed, and an X-Ray subsegment per call when tracing is on.
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { RunnerMetrics } from './metrics.ts';
import { OBSERVABILITY_ENV } from './metrics.ts';

export interface RunnerTracerOptions {
  /** Default: POWERTOOLS_TRACE_ENABLED === 'true'. Off unless asked for (Powertools would trace by default). */
  enabled?: boolean;
  serviceName?: string;
  env?: Record<string, string | undefined>;
}

export function tracingEnabled(env: Record<string, string | undefined> = process.env): boolean {
  return env[OBSERVABILITY_ENV.tracing]?.toLowerCase() === 'true';
}

export function createTracer(options: RunnerTracerOptions = {}): Tracer {
  const env = options.env ?? process.env;
  return new Tracer({
    enabled: options.enabled ?? tracingEnabled(env),
    serviceName: options.serviceName ?? env[OBSERVABILITY_ENV.serviceName] ?? 'hybrid-runner',
    // Kubernetes calls get their own named subsegments below; raw HTTP capture would only duplicate them.
    captureHTTPsRequests: false,
  });
}

/** An AWS SDK v3 client whose calls become X-Ray subsegments when tracing is on (unchanged otherwise). */
export function traceAwsClient<Client>(tracer: Tracer | undefined, client: Client): Client {
  return tracer?.isTracingEnabled() ? tracer.captureAWSv3Client(client) : client;
}

export interface InstrumentOptions {
  metrics?: RunnerMetrics;
  tracer?: Tracer;
  /** Subsegment name prefix. */
  component?: string;
  /** Failures that are answers, not faults (not found, already exists): not counted as errors. */
  isExpectedError?: (error: unknown) => boolean;
}

const EXPECTED_ERROR_NAMES = new Set(['NotFoundError', 'ConflictError']);

export function isExpectedClusterError(error: unknown): boolean {
  return error instanceof Error && EXPECTED_ERROR_NAMES.has(error.name);
}

/**
 * Wraps every asynchronous method of a port (core's ClusterPort) so each call records KubernetesApiLatency,
 * KubernetesApiErrors on failure, and a subsegment `## kubernetes.<method>` when tracing is on. The port's
 * behaviour is unchanged: results and errors pass through as they are.
 */
export function instrumentClusterCalls<Port extends object>(port: Port, options: InstrumentOptions): Port {
  const component = options.component ?? 'kubernetes';
  const isExpected = options.isExpectedError ?? isExpectedClusterError;
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor')
        return value;
      let wrapper = wrapped.get(property);
      if (!wrapper) {
        const method = value as (...args: unknown[]) => unknown;
        wrapper = function instrumented(this: unknown, ...args: unknown[]): unknown {
          const tracer = options.tracer?.isTracingEnabled() ? options.tracer : undefined;
          const subsegment = tracer?.getSegment()?.addNewSubsegment(`## ${component}.${property}`);
          const done = options.metrics?.timer();
          const finish = (error?: unknown) => {
            if (done) options.metrics?.add('KubernetesApiLatency', done());
            if (error !== undefined && !isExpected(error)) options.metrics?.add('KubernetesApiErrors', 1);
            if (subsegment) {
              if (error instanceof Error) subsegment.addError(error);
              subsegment.close();
            }
          };
          let result: unknown;
          try {
            result = method.apply(this === receiver ? target : this, args);
          } catch (error) {
            finish(error);
            throw error;
          }
          if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
            return (result as Promise<unknown>).then(
              (resolved) => {
                finish();
                return resolved;
              },
              (error: unknown) => {
                finish(error);
                throw error;
              },
            );
          }
          // Synchronous helpers of the port are not API calls: nothing to record.
          subsegment?.close();
          return result;
        };
        wrapped.set(property, wrapper);
      }
      return wrapper;
    },
  });
}
