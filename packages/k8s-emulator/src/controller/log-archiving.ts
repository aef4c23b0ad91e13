// Argo's archiveLogs, simulated: when a pod's main container has ended, its whole log goes to the artifact
// repository under the repository's keyFormat (rendered with the pod's variables) plus `/main.log`, and the
// pod's node records the `main-logs` artifact with that key, as Argo's wait container does. The emulator knows
// no S3: whoever runs it (the local stage, a test) gives a sink that stores the bytes.
import type { ControllerContext } from './context.ts';
import type { Execution, NodeArtifact } from './execution.ts';
import { substitute } from './template-variables.ts';

/** Where archived logs go (the artifact repository with `archiveLogs: true`). */
export interface LogArchiveSink {
  /** The repository's keyFormat (Argo template variables); default Argo's `{{workflow.name}}/{{pod.name}}`. */
  keyFormat?: string;
  /** Stores `content` under `key`; a rejection is reported and the node records no artifact. */
  write(key: string, content: Uint8Array): Promise<void>;
}

/** Argo's DefaultArchivePattern, used when the repository sets no keyFormat. */
export const ARGO_DEFAULT_KEY_FORMAT = '{{workflow.name}}/{{pod.name}}';

/** The container whose log Argo archives, and the artifact it records for it (`<container>-logs`). */
const MAIN = 'main';

/** The key Argo gives a container's archived log: the rendered keyFormat, then `<container>.log`. */
export function argoLogArchiveKey(
  keyFormat: string,
  variables: Record<string, string>,
  container = MAIN,
): string {
  const prefix = String(substitute(keyFormat, variables)).replace(/\/+$/, '');
  return `${prefix}/${container}.log`;
}

/** Archives the pod's main log when a sink is configured; the artifact to record on its node, if written. */
export async function archiveMainLog(
  ctx: ControllerContext,
  execution: Execution,
  podName: string,
  variables: Record<string, string>,
): Promise<NodeArtifact | undefined> {
  const sink = ctx.options.logArchive;
  if (!sink) return undefined;
  const key = argoLogArchiveKey(sink.keyFormat ?? ARGO_DEFAULT_KEY_FORMAT, variables);
  try {
    await sink.write(key, ctx.cluster.logs.bytes(execution.namespace, podName, MAIN));
  } catch (error) {
    ctx.report(error, `archiving the log of pod ${execution.namespace}/${podName} to ${key}`);
    return undefined;
  }
  return { name: `${MAIN}-logs`, s3: { key } };
}
