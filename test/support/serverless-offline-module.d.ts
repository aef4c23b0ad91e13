// serverless-offline ships no types; this is the part of its plugin class the tests drive.
declare module 'serverless-offline' {
  export default class ServerlessOffline {
    constructor(
      serverless: object,
      cliOptions: Record<string, unknown>,
      utils: { log: object; progress: object },
    );
    start(): Promise<void>;
    end(skipExit: boolean): Promise<void>;
  }
}
