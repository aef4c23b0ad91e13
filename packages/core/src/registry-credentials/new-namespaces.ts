// Namespaces created since the last refresh: the heartbeat compares the namespaces that match the targets
// now with those the last refresh targeted (recorded on the ingestion namespace's pull secret) and starts a
// refresh for the difference, so a new namespace gets the pull secret within a minute, not at the next
// scheduled refresh. Cheap: one metadata read and one namespace list per beat, no Secret data, no login.
import type { ClusterPort, RegistryRefreshStarter } from '../ports.ts';
import { describeError } from './errors.ts';
import { listNamespaces, needsNamespaceList, selectTargetNamespaces } from './namespace-targets.ts';
import { readPullSecretRecord } from './pull-secret-record.ts';
import type { RegistryRefreshSettings } from './refresh-settings.ts';

export type NewNamespacesSettings = Pick<
  RegistryRefreshSettings,
  'ingestionNamespace' | 'namespaces' | 'excludeNamespaces' | 'secretName'
>;

export interface NewNamespacesOutcome {
  /** False when there was nothing to compare with: no pattern, or no recorded target list yet. */
  checked: boolean;
  /** Matching namespaces the last refresh did not target. */
  newNamespaces: string[];
  /** Whether a refresh was started for them. */
  refreshStarted: boolean;
  /** Why the check or the start failed (never holds a secret). */
  error?: string;
}

/** The namespaces the last refresh recorded, or undefined when its secret or record is missing. */
export async function readTargetedNamespaces(
  cluster: ClusterPort,
  settings: Pick<NewNamespacesSettings, 'ingestionNamespace' | 'secretName'>,
): Promise<Set<string> | undefined> {
  const record = await readPullSecretRecord(cluster, {
    namespace: settings.ingestionNamespace,
    name: settings.secretName,
  });
  return record.targetedNamespaces;
}

export interface NewNamespacesDeps {
  cluster: ClusterPort;
  refresh: RegistryRefreshStarter;
  /**
   * The pull secret's record, when the caller read it already (the heartbeat reads it once a beat for the
   * expiry too): it must be the record of `settings`' secret. Absent: the check reads it.
   */
  targetedNamespaces?: Promise<Set<string> | undefined>;
}

/**
 * Starts a refresh when a namespace matching the targets appeared since the last one. Only patterns can
 * match a namespace that did not exist (literal names are targeted as given), so without a pattern nothing
 * is read. Never throws: a failed read or start is in the outcome, for the caller to report.
 */
export async function refreshForNewNamespaces(
  deps: NewNamespacesDeps,
  settings: NewNamespacesSettings,
): Promise<NewNamespacesOutcome> {
  const outcome: NewNamespacesOutcome = { checked: false, newNamespaces: [], refreshStarted: false };
  if (!needsNamespaceList(settings)) return outcome;
  try {
    const [targeted, namespaces] = await Promise.all([
      deps.targetedNamespaces ?? readTargetedNamespaces(deps.cluster, settings),
      listNamespaces(deps.cluster),
    ]);
    // Before the first refresh (or one from before the record existed) the deploy-time refresh serves all.
    if (!targeted) return outcome;
    outcome.checked = true;
    outcome.newNamespaces = selectTargetNamespaces(settings, namespaces).namespaces.filter(
      (namespace) => !targeted.has(namespace),
    );
  } catch (error) {
    outcome.error = `new namespaces not checked: ${describeError(error)}`;
    return outcome;
  }
  if (outcome.newNamespaces.length === 0) return outcome;
  try {
    await deps.refresh.start({ newNamespaces: outcome.newNamespaces });
    outcome.refreshStarted = true;
  } catch (error) {
    outcome.error = `registry refresh not started: ${describeError(error)}`;
  }
  return outcome;
}
