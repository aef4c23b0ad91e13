// One logical list over the cluster port's pages. Shared by the operations and the registry refresh.
import { ConflictError } from './errors.ts';
import type { ClusterPort, KubeObject, ResourceType } from './ports.ts';

/** Page size for lists: large enough for few round trips, small enough for the API server's comfort. */
export const LIST_PAGE_SIZE = 500;

/** Times a list starts over after its continue token expired, before the error is reported. */
export const LIST_RESTARTS = 3;

export interface ListAllOptions {
  labelSelector?: string;
  pageSize?: number;
}

/**
 * Every object of `type` (matching `labelSelector`), following `continue` tokens. A token that outlived the
 * API server's history (410 Gone, which the port reports as a ConflictError on a continued page) means the
 * snapshot is gone: the list starts over from the first page, at most LIST_RESTARTS times.
 */
export async function listAll<T extends KubeObject>(
  cluster: ClusterPort,
  type: ResourceType,
  namespace: string | undefined,
  options: ListAllOptions = {},
): Promise<T[]> {
  for (let restarts = 0; ; restarts++) {
    const items: T[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await cluster.list<T>(type, namespace, {
          ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
          limit: options.pageSize ?? LIST_PAGE_SIZE,
          ...(token ? { continue: token } : {}),
        });
        items.push(...page.items);
        token = page.continue || undefined;
      } while (token);
      return items;
    } catch (error) {
      const expiredToken = token !== undefined && error instanceof ConflictError;
      if (!expiredToken || restarts >= LIST_RESTARTS) throw error;
    }
  }
}
