// Core's RegistryRefreshStarter on Lambda: an asynchronous invocation (InvocationType Event) of the registry
// refresh function, so the heartbeat does not wait for the login and the writes, and the refresh keeps its
// own role, RBAC, logs and alarm. Lambda queues the event and retries a failed run twice by itself.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { RegistryRefreshStarter } from '@hybrid-runner/core';

/** What the refresh function receives: its trigger and, for its log, the namespaces that were new. */
export interface NewNamespacesRefreshEvent {
  trigger: 'new-namespaces';
  newNamespaces: string[];
}

export interface LambdaRegistryRefreshStarterOptions {
  functionName: string;
  /** A ready client (tests); otherwise one for the function's region. */
  client?: LambdaClient;
}

export class LambdaRegistryRefreshStarter implements RegistryRefreshStarter {
  readonly #client: LambdaClient;
  readonly #functionName: string;

  constructor(options: LambdaRegistryRefreshStarterOptions) {
    this.#client = options.client ?? new LambdaClient({});
    this.#functionName = options.functionName;
  }

  async start(request: { newNamespaces: string[] }): Promise<void> {
    const event: NewNamespacesRefreshEvent = {
      trigger: 'new-namespaces',
      newNamespaces: request.newNamespaces,
    };
    const answer = await this.#client.send(
      new InvokeCommand({
        FunctionName: this.#functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
    // An accepted asynchronous invocation answers 202; anything else did not queue the refresh.
    if (answer.StatusCode !== 202) {
      throw new Error(
        `Lambda did not queue the registry refresh ${this.#functionName} (status ${String(answer.StatusCode)}).`,
      );
    }
  }
}
