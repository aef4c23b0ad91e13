// serverless-offline (npm, written by others) as a second API Gateway WebSocket emulation: its plugin class
// driven programmatically with the smallest `serverless` object it reads (the service's provider, functions
// and events), because the Serverless Framework v4 CLI downloads its binary and wants a login. It builds the
// WebSocket events, runs the UNCHANGED handler files (functions/bridge/*.ts, by path as the stack names them)
// in worker threads with the environment the stage set, and serves @connections on the same port (no stage
// prefix, no GetConnection). What it cannot prove: API Gateway itself (it is an emulation too).
import { resolve } from 'node:path';
import ServerlessOffline from 'serverless-offline';
import type { WebSocketApi, WebSocketApiStarter } from '@hybrid-runner/local';
import { freeExplicitPort } from './ports.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const HOST = '127.0.0.1';

/** The stack's handlers (stacks/runner.ts HANDLERS) and timeouts, under the routes the stack gives them. */
const BRIDGE_FUNCTIONS = {
  connect: { handler: 'functions/bridge/connect.handler', route: '$connect', timeout: 10 },
  disconnect: { handler: 'functions/bridge/disconnect.handler', route: '$disconnect', timeout: 10 },
  message: { handler: 'functions/bridge/message.handler', route: '$default', timeout: 29 },
} as const;

type FunctionKey = keyof typeof BRIDGE_FUNCTIONS;

/** The parts of the Serverless Framework's `serverless` object that serverless-offline reads. */
function serverlessObject(
  environment: Record<string, string>,
  region: string,
  handlers: Partial<Record<FunctionKey, string>>,
) {
  const definition = (key: FunctionKey) => {
    const fn = BRIDGE_FUNCTIONS[key];
    return {
      name: `bridge-${key}`,
      handler: handlers[key] ?? fn.handler,
      timeout: fn.timeout,
      events: [{ websocket: { route: fn.route } }],
    };
  };
  const functions = {
    connect: definition('connect'),
    disconnect: definition('disconnect'),
    message: definition('message'),
  };
  return {
    version: '4.0.0',
    serviceDir: ROOT,
    config: { servicePath: ROOT, serverlessPath: ROOT },
    service: {
      service: 'hybrid-runner',
      // SST's ApiGatewayWebSocket default; bridge messages carry no `action`, so all go to $default.
      provider: {
        name: 'aws',
        runtime: 'nodejs24.x',
        region,
        stage: 'local',
        memorySize: 512,
        websocketsApiRouteSelectionExpression: '$request.body.action',
        environment,
      },
      custom: {},
      package: {},
      functions,
      getAllFunctions: () => Object.keys(functions),
      getFunction: (key: FunctionKey) => functions[key],
      getAllEventsInFunction: (key: FunctionKey) => functions[key].events,
    },
  };
}

/** The Framework's plugin log: its errors (handler failures among them) go where the stage reports them. */
function pluginLog(onError: (route: string, error: unknown) => void) {
  const quiet = () => {};
  const report = (...args: unknown[]) => onError('serverless-offline', args.map(String).join(' '));
  return { debug: quiet, info: quiet, notice: quiet, verbose: quiet, warning: report, error: report };
}

export interface ServerlessOfflineOptions {
  region?: string;
  /** Added to the functions' environment (which is otherwise this process's, as the stage set it). */
  environment?: Record<string, string>;
  /** Other handler files for the routes (`path/to/file.export`, from the repository root); default: the stack's. */
  handlers?: Partial<Record<FunctionKey, string>>;
}

/** A WebSocketApiStarter for startLocalStage: serverless-offline in front of the stage's handler files. */
export function serverlessOfflineWebSocketApi(options: ServerlessOfflineOptions = {}): WebSocketApiStarter {
  return async ({ port: requested, onHandlerError }): Promise<WebSocketApi> => {
    const websocketPort = requested || (await freeExplicitPort());
    const lambdaPort = await freeExplicitPort();
    // serverless-offline serves @connections at the root of its port (no stage segment).
    const managementEndpoint = `http://${HOST}:${websocketPort}`;
    const offline = new ServerlessOffline(
      serverlessObject(
        { ...options.environment, HYBRID_RUNNER_MANAGEMENT_ENDPOINT: managementEndpoint },
        options.region ?? 'eu-west-1',
        options.handlers ?? {},
      ),
      {
        host: HOST,
        websocketPort,
        lambdaPort,
        // The functions get this process's environment (the stage's FUNCTION_ENV, the SDK endpoints and
        // keys), as Lambda gets the stack's; read when a function first runs.
        localEnvironment: true,
        noSponsor: true,
      },
      { log: pluginLog(onHandlerError), progress: {} },
    );
    await offline.start();
    return {
      url: `ws://${HOST}:${websocketPort}`,
      managementEndpoint,
      close: () => offline.end(true),
    };
  };
}
