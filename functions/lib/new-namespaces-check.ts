// Composition of the heartbeat's new-namespace check (core's refreshForNewNamespaces): the registry targets
// and the refresh function's name from the environment the stack sets on the heartbeat, the refresh
// started by an asynchronous Lambda invocation. The local stage injects a starter that runs its refresh.
import { LambdaRegistryRefreshStarter } from '@hybrid-runner/aws';
import { FUNCTION_ENV, type RegistryRefreshEnvironment } from '@hybrid-runner/config';
import {
  BadRequestError,
  DEFAULT_PULL_SECRET_NAME,
  needsNamespaceList,
  type NewNamespacesSettings,
  type RegistryRefreshStarter,
} from '@hybrid-runner/core';

export interface NewNamespacesCheck {
  settings: NewNamespacesSettings;
  refresh: RegistryRefreshStarter;
}

let injected: NewNamespacesCheck | null | undefined;
let fromEnv: { env: NodeJS.ProcessEnv; check: NewNamespacesCheck | undefined } | undefined;

/** The local stage and tests: this check (or `null`: none) instead of the environment's; `undefined` resets. */
export function configureNewNamespacesCheck(check: NewNamespacesCheck | null | undefined): void {
  injected = check;
  fromEnv = undefined;
}

/**
 * The check the stack asked for, or undefined: the stack sets the refresh function's name only when the
 * targets have patterns (only then can a namespace that did not exist become a target). Bad JSON fails
 * loudly with the variable to fix, as the registry function itself does.
 */
export function newNamespacesCheck(env: NodeJS.ProcessEnv = process.env): NewNamespacesCheck | undefined {
  if (injected !== undefined) return injected ?? undefined;
  if (fromEnv?.env === env) return fromEnv.check;
  const functionName = env[FUNCTION_ENV.registryRefreshFunction]?.trim();
  let check: NewNamespacesCheck | undefined;
  if (functionName) {
    let registry: RegistryRefreshEnvironment;
    let runner: { namespace?: string };
    try {
      registry = JSON.parse(env[FUNCTION_ENV.registry] ?? '') as RegistryRefreshEnvironment;
      runner = JSON.parse(env[FUNCTION_ENV.settings] ?? '') as { namespace?: string };
    } catch {
      throw new BadRequestError(
        `${FUNCTION_ENV.registryRefreshFunction} is set, but ${FUNCTION_ENV.registry} or ${FUNCTION_ENV.settings} does not hold JSON: redeploy the stack.`,
      );
    }
    const settings: NewNamespacesSettings = {
      ingestionNamespace: runner.namespace ?? '',
      namespaces: registry.include ?? [],
      excludeNamespaces: registry.exclude ?? [],
      secretName: registry.pullSecretName ?? DEFAULT_PULL_SECRET_NAME,
    };
    if (needsNamespaceList(settings)) {
      check = { settings, refresh: new LambdaRegistryRefreshStarter({ functionName }) };
    }
  }
  fromEnv = { env, check };
  return check;
}
