// The HTTPS front of the emulator: Kubernetes REST paths, authentication, RBAC with an audit
// log, fault injection, list/watch/patch/delete semantics, and pod logs. Errors are always Status bodies.
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuthOptions, UserInfo } from './auth.ts';
import { Authenticator } from './auth.ts';
import { EmulatedCluster } from './cluster.ts';
import type { InjectedFault } from './faults.ts';
import { FaultInjector } from './faults.ts';
import { negotiateOutput, refuseConvertedWatch, renderList, renderObject } from './negotiation.ts';
import { applyPatchBody } from './patch.ts';
import type { AccessRequest, AuditEntry, RbacRule } from './rbac.ts';
import { AuditLog, RbacRules } from './rbac.ts';
import type { CrdSource, KubeObject, ResourceDefinition } from './resources.ts';
import { apiVersionOf, builtinResources, bundledArgoCrds, loadCustomResource } from './resources.ts';
import type { LabelRequirement } from './selectors.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import type { DeleteOptions, PropagationPolicy, StoreEvent } from './store.ts';
import {
  KubeApiError,
  badRequest,
  forbidden,
  internalError,
  methodNotAllowed,
  notFound,
  serviceUnavailable,
  tooManyRequests,
  unauthorized,
} from './status.ts';
import type { ControllerOptions } from './controller.ts';
import { SimulatedArgoController } from './controller.ts';
import { tlsMaterial } from './tls.ts';
import { ACCESS_REVIEW_PATH, reviewAccess } from './access-review.ts';
import { discoveryDocument } from './discovery.ts';
import { RULES_REVIEW_PATH, reviewRules } from './rules-review.ts';
import { openApiV2Document } from './openapi.ts';
import { OPENAPI_V2_PROTOBUF, encodeOpenApiV2Document } from './openapi-protobuf.ts';

const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface KubernetesEmulatorOptions {
  /** CRD files to install (YAML, or gzip-compressed `.gz`); default: the vendored Argo v3.7.18 CRDs. */
  crdFiles?: Array<string | CrdSource>;
  auth: AuthOptions;
  /** RBAC rules; default: every authenticated user may do everything. */
  rbac?: RbacRule[];
  /** Timings of the simulated Argo controller, or `false` to run without one. */
  controller?: ControllerOptions | false;
  /** Port on 127.0.0.1; default: a free one. */
  port?: number;
  /** Namespaces to create at start, besides `default` and `kube-system`. */
  namespaces?: string[];
  /** Receives diagnostics such as why a token was rejected (never the token itself). */
  log?: (message: string) => void;
}

export interface KubernetesEmulator {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** PEM of the CA that signed the server certificate. */
  caCert: string;
  controller: SimulatedArgoController | undefined;
  rules: RbacRules;
  faults: FaultInjector;
  audit: AuditLog;
  /** In-process access to the objects and pod logs (for seeding and assertions). */
  cluster: EmulatedCluster;
  close(): Promise<void>;
}

interface Route {
  definition: ResourceDefinition;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

type Query = URLSearchParams;

function sendJson(
  response: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

function sendError(response: ServerResponse, error: KubeApiError): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(response, error.code, error.toStatus(), error.headers);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new KubeApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJsonObject(text: string): KubeObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badRequest(`the body of the request could not be decoded as JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw badRequest('the body of the request must be a JSON object');
  return parsed as KubeObject;
}

function positiveInteger(query: Query, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw badRequest(`${name}: Invalid value: "${raw}": must be a non-negative integer`);
  return value;
}

function isTrue(query: Query, name: string): boolean {
  const value = query.get(name);
  return value === 'true' || value === '1';
}

function verbFor(method: string, route: Route, query: Query): string {
  switch (method) {
    case 'GET':
      if (route.name === undefined) return isTrue(query, 'watch') ? 'watch' : 'list';
      return 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return route.name === undefined ? 'deletecollection' : 'delete';
    default:
      throw methodNotAllowed(method);
  }
}

class EmulatorServer {
  readonly cluster: EmulatedCluster;
  readonly rules: RbacRules;
  readonly faults = new FaultInjector();
  readonly audit = new AuditLog();
  private readonly authenticator: Authenticator;
  private readonly log: (message: string) => void;
  private readonly openResponses = new Set<ServerResponse>();
  private address = '127.0.0.1:0';
  private openApiJson: Buffer | undefined;
  private openApiProtobuf: Buffer | undefined;

  constructor(cluster: EmulatedCluster, options: KubernetesEmulatorOptions) {
    this.cluster = cluster;
    this.rules = new RbacRules(options.rbac);
    this.authenticator = new Authenticator(options.auth);
    this.log = options.log ?? (() => {});
  }

  setAddress(address: string): void {
    this.address = address;
  }

  closeOpenResponses(): void {
    for (const response of this.openResponses) response.destroy();
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.openResponses.add(response);
    response.on('close', () => this.openResponses.delete(response));
    try {
      const url = new URL(request.url ?? '/', 'https://emulator');
      const method = (request.method ?? 'GET').toUpperCase();
      const fault = this.faults.match(method, url.pathname);
      if (this.faults.latency > 0) await sleep(this.faults.latency);
      if (fault) {
        if (fault.kind === 'hang') return; // never answered: the client's timeout is what is under test
        if (fault.kind === 'reset') {
          request.socket.destroy();
          return;
        }
        if (fault.status === 429) throw tooManyRequests(fault.retryAfterSeconds ?? 1);
        if (fault.status === 503) throw serviceUnavailable();
        throw internalError('injected fault');
      }
      if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
        response.writeHead(200, { 'Content-Type': 'text/plain' });
        response.end('ok');
        return;
      }
      const auth = await this.authenticator.authenticate(request.headers.authorization);
      if (!auth.ok) {
        this.log(`rejected request ${method} ${url.pathname}: ${auth.reason}`);
        throw unauthorized();
      }
      await this.route(request, response, method, url, auth.user);
    } catch (error) {
      if (error instanceof KubeApiError) sendError(response, error);
      else {
        this.log(`internal error: ${(error as Error).stack ?? String(error)}`);
        sendError(response, internalError((error as Error).message));
      }
    }
  }

  private parseRoute(path: string): Route | undefined {
    const segments = path
      .split('/')
      .filter((s) => s !== '')
      .map((segment) => {
        try {
          return decodeURIComponent(segment);
        } catch {
          throw badRequest(`the request path is not valid percent-encoding: ${segment}`);
        }
      });
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments[1] === 'v1') {
      group = '';
      version = 'v1';
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments.length >= 3) {
      group = segments[1] ?? '';
      version = segments[2] ?? '';
      rest = segments.slice(3);
    } else return undefined;
    const find = (plural: string | undefined): ResourceDefinition | undefined => {
      const d = plural === undefined ? undefined : this.cluster.store.definitionFor(group, plural);
      return d && d.version === version ? d : undefined;
    };
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      const definition = find(rest[2]);
      if (!definition || !definition.namespaced || rest.length > 5) return undefined;
      const subresource = rest[4];
      if (subresource !== undefined && !definition.subresources.includes(subresource)) return undefined;
      return { definition, namespace: rest[1], name: rest[3], subresource };
    }
    const definition = find(rest[0]);
    if (!definition || rest.length > 2) return undefined;
    if (definition.namespaced && rest.length === 2) return undefined;
    return { definition, namespace: undefined, name: rest[1], subresource: undefined };
  }

  /** Decides and audits a request made inside the cluster (the simulated executor's). */
  authorizeInternal(request: AccessRequest): boolean {
    const allowed = this.rules.allows(request);
    this.audit.record({ ...request, allowed, at: new Date().toISOString() });
    return allowed;
  }

  private authorize(user: UserInfo, verb: string, route: Route): void {
    const resource = route.subresource
      ? `${route.definition.plural}/${route.subresource}`
      : route.definition.plural;
    // A namespace object is addressed at cluster scope but RBAC treats it as its own namespace.
    const namespace =
      route.definition.kind === 'Namespace' && route.definition.group === '' ? route.name : route.namespace;
    const request = {
      user: user.username,
      groups: user.groups,
      verb,
      apiGroup: route.definition.group,
      resource,
      namespace,
      name: route.name,
    };
    const allowed = this.rules.allows(request);
    const entry: AuditEntry = { ...request, allowed, at: new Date().toISOString() };
    this.audit.record(entry);
    if (!allowed) {
      throw forbidden(
        user.username,
        verb,
        {
          group: route.definition.group,
          plural: route.definition.plural,
          ...(route.subresource ? { subresource: route.subresource } : {}),
        },
        route.namespace,
        route.name,
      );
    }
  }

  private async route(
    request: IncomingMessage,
    response: ServerResponse,
    method: string,
    url: URL,
    user: UserInfo,
  ): Promise<void> {
    if (method === 'GET' && url.pathname === '/openapi/v2') {
      this.openApi(request, response);
      return;
    }
    if (method === 'GET') {
      const body = discoveryDocument(url.pathname, this.cluster.store.allDefinitions, this.address);
      if (body !== undefined) {
        sendJson(response, 200, body);
        return;
      }
    }
    if (RULES_REVIEW_PATH.test(url.pathname)) {
      if (method !== 'POST') throw methodNotAllowed(method);
      const body = parseJsonObject(await readBody(request)) as Record<string, unknown>;
      sendJson(response, 201, reviewRules({ body, requester: user, rules: this.rules }));
      return;
    }
    const review = ACCESS_REVIEW_PATH.exec(url.pathname);
    if (review) {
      if (method !== 'POST') throw methodNotAllowed(method);
      const kind = review[1] as 'subjectaccessreviews' | 'selfsubjectaccessreviews';
      const body = parseJsonObject(await readBody(request)) as Record<string, unknown>;
      sendJson(response, 201, reviewAccess({ kind, body, requester: user, rules: this.rules }));
      return;
    }
    const route = this.parseRoute(url.pathname);
    if (!route)
      throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    const query = url.searchParams;
    const verb =
      route.subresource === 'log'
        ? method === 'GET'
          ? 'get'
          : methodNotAllowedVerb(method)
        : verbFor(method, route, query);
    this.authorize(user, verb, route);
    if (query.has('dryRun')) throw badRequest('dryRun is not supported by this emulator');
    const { definition, namespace, name } = route;
    if (route.subresource === 'log')
      return this.podLog(request, response, namespace ?? '', name ?? '', query);
    // Accept may ask for metadata only (PartialObjectMetadata); RBAC above applied as to any get or list.
    const output = negotiateOutput(request.headers.accept);
    switch (verb) {
      case 'list':
        sendJson(
          response,
          200,
          renderList(this.list(definition, namespace, query), output, definition.printerColumns),
        );
        return;
      case 'watch':
        refuseConvertedWatch(output);
        this.watch(request, response, definition, namespace, query);
        return;
      case 'get': {
        const object = this.cluster.get(definition, namespace, name ?? '');
        if (!object) throw notFound(definition, name ?? '');
        sendJson(response, 200, renderObject(object, output, definition.printerColumns));
        return;
      }
      case 'create': {
        const object = this.checkBody(definition, namespace, parseJsonObject(await readBody(request)));
        sendJson(
          response,
          201,
          renderObject(this.cluster.create(definition, namespace, object), output, definition.printerColumns),
        );
        return;
      }
      case 'update': {
        const object = this.checkBody(definition, namespace, parseJsonObject(await readBody(request)));
        const scoped = this.scopeToSubresource(route, object);
        sendJson(
          response,
          200,
          renderObject(
            this.cluster.update(definition, namespace, name ?? '', scoped),
            output,
            definition.printerColumns,
          ),
        );
        return;
      }
      case 'patch': {
        const body = await readBody(request);
        const current = this.cluster.get(definition, namespace, name ?? '');
        if (!current) throw notFound(definition, name ?? '');
        const patched = applyPatchBody(current, request.headers['content-type'] ?? '', body, {
          customResource: definition.custom,
        });
        const patchedMeta = (patched.metadata ?? {}) as Record<string, unknown>;
        // A resourceVersion in the patch is a precondition; otherwise the patch applies to the current object.
        if (patchedMeta['resourceVersion'] === undefined)
          patchedMeta['resourceVersion'] = (current.metadata as Record<string, unknown>)['resourceVersion'];
        sendJson(
          response,
          200,
          renderObject(
            this.cluster.update(definition, namespace, name ?? '', this.scopeToSubresource(route, patched)),
            output,
            definition.printerColumns,
          ),
        );
        return;
      }
      case 'delete': {
        const options = await this.deleteOptions(request, query);
        const deleted = this.cluster.delete(definition, namespace, name ?? '', options);
        if (definition.custom || definition.kind === 'Pod') sendJson(response, 200, deleted);
        else {
          const metadata = deleted.metadata as Record<string, unknown>;
          sendJson(response, 200, {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: {
              name: metadata['name'],
              ...(definition.group ? { group: definition.group } : {}),
              kind: definition.plural,
              uid: metadata['uid'],
            },
          });
        }
        return;
      }
      case 'deletecollection': {
        const options = await this.deleteOptions(request, query);
        const listed = this.cluster.store.list(definition, this.listQuery(definition, namespace, query));
        const items = listed.items.map((item) => {
          const metadata = item.metadata as Record<string, unknown>;
          return this.cluster.delete(
            definition,
            String(metadata['namespace'] ?? '') || undefined,
            String(metadata['name']),
            options,
          );
        });
        sendJson(response, 200, {
          kind: definition.listKind,
          apiVersion: apiVersionOf(definition),
          metadata: { resourceVersion: String(this.cluster.store.currentRevision) },
          items,
        });
        return;
      }
      default:
        throw methodNotAllowed(method);
    }
  }

  /** Built on first request (the Argo CRDs make it megabytes), then served from memory as JSON or protobuf. */
  private openApi(request: IncomingMessage, response: ServerResponse): void {
    this.openApiJson ??= Buffer.from(JSON.stringify(openApiV2Document(this.cluster.store.allDefinitions)));
    const protobuf = (request.headers.accept ?? '')
      .split(',')
      .some((clause) => clause.split(';')[0]?.trim() === OPENAPI_V2_PROTOBUF);
    if (protobuf) {
      this.openApiProtobuf ??= encodeOpenApiV2Document(
        JSON.parse(this.openApiJson.toString('utf8')) as Record<string, unknown>,
      );
    }
    const body = protobuf ? this.openApiProtobuf : this.openApiJson;
    // kube-openapi labels the protobuf octet-stream: the requested type has an `@`, which Go's (and so
    // client-go's) media type parser rejects in a Content-Type.
    response.writeHead(200, {
      'Content-Type': protobuf ? 'application/octet-stream' : 'application/json',
      'Content-Length': body?.length ?? 0,
    });
    response.end(body);
  }

  /**
   * For kinds with a status subresource, writes to the main resource keep the stored status and writes to
   * `/status` change only the status, as on a real server.
   */
  private scopeToSubresource(route: Route, next: KubeObject): KubeObject {
    if (!route.definition.subresources.includes('status')) return next;
    const current = this.cluster.get(route.definition, route.namespace, route.name ?? '');
    if (!current) throw notFound(route.definition, route.name ?? '');
    const resourceVersion = (next.metadata as Record<string, unknown> | undefined)?.['resourceVersion'];
    if (route.subresource === 'status') {
      return { ...current, status: next['status'], metadata: { ...current.metadata, resourceVersion } };
    }
    return { ...next, status: current['status'] };
  }

  private checkBody(
    definition: ResourceDefinition,
    namespace: string | undefined,
    object: KubeObject,
  ): KubeObject {
    const apiVersion = apiVersionOf(definition);
    if (definition.custom && (object.kind === undefined || object.apiVersion === undefined)) {
      throw badRequest(
        `Object 'Kind' is missing in the request body: custom resources need apiVersion "${apiVersion}" and kind "${definition.kind}"`,
      );
    }
    if (object.apiVersion !== undefined && object.apiVersion !== apiVersion) {
      throw badRequest(
        `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersion})`,
      );
    }
    if (object.kind !== undefined && object.kind !== definition.kind) {
      throw badRequest(
        `the kind in the data (${String(object.kind)}) does not match the expected kind (${definition.kind})`,
      );
    }
    const bodyNamespace = (object.metadata as Record<string, unknown> | undefined)?.['namespace'];
    if (
      definition.namespaced &&
      bodyNamespace !== undefined &&
      bodyNamespace !== '' &&
      bodyNamespace !== namespace
    ) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    return object;
  }

  private async deleteOptions(request: IncomingMessage, query: Query): Promise<DeleteOptions> {
    const body = await readBody(request);
    const options = body.trim() ? parseJsonObject(body) : {};
    const policy =
      (query.get('propagationPolicy') ?? (options['propagationPolicy'] as string | undefined)) || undefined;
    if (policy !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
      throw badRequest(
        `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
      );
    }
    const preconditions = (options['preconditions'] ?? {}) as { uid?: string; resourceVersion?: string };
    return {
      ...(policy ? { propagationPolicy: policy as PropagationPolicy } : {}),
      ...(preconditions.uid ? { preconditionUid: preconditions.uid } : {}),
      ...(preconditions.resourceVersion
        ? { preconditionResourceVersion: preconditions.resourceVersion }
        : {}),
    };
  }

  private listQuery(
    definition: ResourceDefinition,
    namespace: string | undefined,
    query: Query,
  ): {
    namespace?: string;
    labels: LabelRequirement[];
    fields: ReturnType<typeof parseFieldSelector>;
    limit?: number;
    continueToken?: string;
  } {
    const limit = positiveInteger(query, 'limit');
    const continueToken = query.get('continue') || undefined;
    return {
      ...(namespace !== undefined ? { namespace } : {}),
      labels: parseLabelSelector(query.get('labelSelector') ?? ''),
      fields: parseFieldSelector(query.get('fieldSelector') ?? '', [
        'metadata.name',
        ...(definition.namespaced ? ['metadata.namespace'] : []),
        ...definition.extraFieldSelectors,
      ]),
      ...(limit !== undefined ? { limit } : {}),
      ...(continueToken ? { continueToken } : {}),
    };
  }

  private list(
    definition: ResourceDefinition,
    namespace: string | undefined,
    query: Query,
  ): { kind: string; apiVersion: string; metadata: Record<string, unknown>; items: KubeObject[] } {
    const result = this.cluster.store.list(definition, this.listQuery(definition, namespace, query));
    return {
      kind: definition.listKind,
      apiVersion: apiVersionOf(definition),
      metadata: {
        resourceVersion: result.resourceVersion,
        ...(result.continueToken ? { continue: result.continueToken } : {}),
        ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
      },
      items: result.items,
    };
  }

  private watch(
    request: IncomingMessage,
    response: ServerResponse,
    definition: ResourceDefinition,
    namespace: string | undefined,
    query: Query,
  ): void {
    const listQuery = this.listQuery(definition, namespace, query);
    const matches = (event: StoreEvent): boolean => {
      if (event.definition !== definition) return false;
      const metadata = (event.object.metadata ?? {}) as Record<string, unknown>;
      if (namespace !== undefined && definition.namespaced && metadata['namespace'] !== namespace)
        return false;
      return true;
    };
    const selected = (object: KubeObject): boolean =>
      matchesLabels(
        listQuery.labels,
        ((object.metadata ?? {}) as { labels?: Record<string, string> }).labels,
      ) && matchesFields(listQuery.fields, object);
    const sent = new Set<string>();
    const keyOf = (object: KubeObject): string => {
      const metadata = (object.metadata ?? {}) as Record<string, unknown>;
      return `${String(metadata['namespace'] ?? '')}/${String(metadata['name'])}`;
    };
    const write = (type: string, object: unknown): void => {
      response.write(`${JSON.stringify({ type, object })}\n`);
    };
    // A watch that stops matching an object reports it as DELETED, as the watch cache does.
    const deliver = (event: StoreEvent): void => {
      if (!matches(event)) return;
      const key = keyOf(event.object);
      const wasSent = sent.has(key);
      if (event.type === 'DELETED') {
        if (wasSent || selected(event.object)) write('DELETED', event.object);
        sent.delete(key);
        return;
      }
      if (selected(event.object)) {
        write(wasSent ? 'MODIFIED' : 'ADDED', event.object);
        sent.add(key);
      } else if (wasSent) {
        write('DELETED', event.object);
        sent.delete(key);
      }
    };
    response.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache',
    });
    // Clients wait for the headers before reading events; send them now even if nothing follows yet.
    response.flushHeaders();
    const since = query.get('resourceVersion');
    if (since === null || since === '' || since === '0') {
      for (const object of this.cluster.store.list(definition, {
        ...(namespace !== undefined ? { namespace } : {}),
        labels: listQuery.labels,
        fields: listQuery.fields,
      }).items) {
        write('ADDED', object);
        sent.add(keyOf(object));
      }
    } else {
      const revision = Number(since);
      if (!Number.isInteger(revision) || revision < 0) {
        write(
          'ERROR',
          badRequest(`resourceVersion: Invalid value: "${since}": must be an integer`).toStatus(),
        );
        response.end();
        return;
      }
      try {
        // Objects that existed at `revision` count as already seen by the client: those unchanged since, and
        // those whose first later event is not their creation.
        for (const object of this.cluster.store.list(definition, {
          ...(namespace !== undefined ? { namespace } : {}),
          labels: listQuery.labels,
          fields: listQuery.fields,
        }).items) {
          const rv = Number((object.metadata as Record<string, unknown>)['resourceVersion']);
          if (rv <= revision) sent.add(keyOf(object));
        }
        const replay = this.cluster.store.eventsSince(revision).filter(matches);
        const decided = new Set<string>();
        for (const event of replay) {
          const key = keyOf(event.object);
          if (decided.has(key)) continue;
          decided.add(key);
          if (event.type !== 'ADDED' && selected(event.object)) sent.add(key);
        }
        for (const event of replay) deliver(event);
      } catch (error) {
        if (error instanceof KubeApiError) {
          write('ERROR', error.toStatus());
          response.end();
          return;
        }
        throw error;
      }
    }
    const unsubscribe = this.cluster.store.subscribe(deliver);
    const timeoutSeconds = positiveInteger(query, 'timeoutSeconds');
    const timer =
      timeoutSeconds !== undefined ? setTimeout(() => response.end(), timeoutSeconds * 1000) : undefined;
    const stop = (): void => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
    response.on('close', stop);
    request.on('close', stop);
  }

  private async podLog(
    request: IncomingMessage,
    response: ServerResponse,
    namespace: string,
    name: string,
    query: Query,
  ): Promise<void> {
    const pod = this.cluster.get(this.cluster.resource('', 'pods'), namespace, name);
    if (!pod) throw notFound({ group: '', plural: 'pods' }, name);
    const spec = (pod['spec'] ?? {}) as {
      containers?: Array<{ name: string }>;
      initContainers?: Array<{ name: string }>;
      nodeName?: string;
    };
    const containers = (spec.containers ?? []).map((c) => c.name);
    const initContainers = (spec.initContainers ?? []).map((c) => c.name);
    let container = query.get('container') ?? '';
    if (container === '') {
      if (containers.length !== 1) {
        throw badRequest(
          `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]` +
            (initContainers.length ? ` or one of the init containers: [${initContainers.join(' ')}]` : ''),
        );
      }
      container = containers[0] ?? '';
    }
    if (!containers.includes(container) && !initContainers.includes(container)) {
      throw badRequest(`container ${container} is not valid for pod ${name}`);
    }
    if (!spec.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
    const status = (pod['status'] ?? {}) as {
      containerStatuses?: Array<{ name: string; state?: { waiting?: { reason?: string } } }>;
      initContainerStatuses?: Array<{ name: string; state?: { waiting?: { reason?: string } } }>;
    };
    const containerStatus = [
      ...(status.containerStatuses ?? []),
      ...(status.initContainerStatuses ?? []),
    ].find((s) => s.name === container);
    const waiting = containerStatus ? containerStatus.state?.waiting : { reason: 'ContainerCreating' };
    if (waiting) {
      const reason = waiting.reason ?? 'ContainerCreating';
      const explanation =
        reason === 'ErrImagePull'
          ? 'trying and failing to pull image'
          : reason === 'ImagePullBackOff'
            ? "image can't be pulled"
            : reason;
      throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${explanation}`);
    }
    const limitBytes = positiveInteger(query, 'limitBytes');
    const tailLines = positiveInteger(query, 'tailLines');
    if (limitBytes === 0) throw badRequest('limitBytes: Invalid value: 0: must be greater than 0');
    const sinceParam = query.get('sinceTime');
    const sinceTime = sinceParam === null ? undefined : new Date(sinceParam);
    if (sinceTime !== undefined && Number.isNaN(sinceTime.getTime())) {
      throw badRequest(
        `sinceTime: Invalid value: "${String(sinceParam).slice(0, 40)}": must be an RFC3339 time`,
      );
    }
    const abort = new AbortController();
    request.on('close', () => abort.abort());
    response.on('close', () => abort.abort());
    response.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    // A follower waits for the headers before reading; send them even if the log is still empty.
    response.flushHeaders();
    for await (const chunk of this.cluster.logs.read(namespace, name, container, {
      follow: isTrue(query, 'follow'),
      timestamps: isTrue(query, 'timestamps'),
      ...(sinceTime !== undefined ? { sinceTime } : {}),
      ...(limitBytes !== undefined ? { limitBytes } : {}),
      ...(tailLines !== undefined ? { tailLines } : {}),
      signal: abort.signal,
    })) {
      if (abort.signal.aborted) break;
      if (!response.write(chunk)) {
        await new Promise<void>((resolve) => {
          response.once('drain', resolve);
          response.once('close', resolve);
        });
      }
    }
    response.end();
  }
}

function methodNotAllowedVerb(method: string): never {
  throw methodNotAllowed(method);
}

/**
 * Starts the emulator on 127.0.0.1 over HTTPS. This is a stand-in: it proves wire compatibility with the
 * Kubernetes client, Status errors, RBAC decisions and Argo CRD schema validation; it is not a real API
 * server (no etcd consistency guarantees, no admission webhooks, no kubelet; pods only run inside the
 * SimulatedArgoController).
 */
export async function startKubernetesEmulator(
  options: KubernetesEmulatorOptions,
): Promise<KubernetesEmulator> {
  const crdSources = (options.crdFiles ?? bundledArgoCrds()).map((source) =>
    typeof source === 'string' ? { path: source } : source,
  );
  const definitions = [...builtinResources(), ...crdSources.map((source) => loadCustomResource(source))];
  const cluster = new EmulatedCluster(definitions);
  for (const namespace of new Set(['default', 'kube-system', ...(options.namespaces ?? [])])) {
    cluster.create(cluster.resource('', 'namespaces'), undefined, { metadata: { name: namespace } });
  }
  const server = new EmulatorServer(cluster, options);
  const tls = await tlsMaterial();
  const httpsServer = createServer({ key: tls.key, cert: tls.cert }, (request, response) => {
    void server.handle(request, response);
  });
  const sockets = new Set<Socket>();
  httpsServer.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    httpsServer.once('error', reject);
    httpsServer.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = httpsServer.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  server.setAddress(`127.0.0.1:${port}`);
  const controller =
    options.controller === false
      ? undefined
      : new SimulatedArgoController(cluster, options.controller ?? {}, (request) =>
          server.authorizeInternal(request),
        );
  controller?.start();
  return {
    url: `https://127.0.0.1:${port}`,
    caCert: tls.caCert,
    controller,
    rules: server.rules,
    faults: server.faults,
    audit: server.audit,
    cluster,
    async close() {
      controller?.stop();
      server.closeOpenResponses();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => httpsServer.close(() => resolve()));
    },
  };
}

export type { InjectedFault };
