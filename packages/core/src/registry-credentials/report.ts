// What a refresh did, per namespace: the report, its one-line-per-namespace text, and the error that makes
// the scheduler mark the run failed.
import { RunnerError } from '../errors.ts';
import type { SkippedNamespace } from './namespace-targets.ts';

export type ServiceAccountResult = 'patched' | 'unchanged' | 'absent' | 'failed';

export interface NamespaceRefreshOutcome {
  namespace: string;
  status: 'created' | 'updated' | 'failed';
  /** Writes tried, counting retries after 409. */
  attempts: number;
  /** For people; never holds a secret value. */
  error?: string;
  serviceAccounts: Array<{ name: string; result: ServiceAccountResult; error?: string }>;
}

export interface RegistryRefreshReport {
  ok: boolean;
  secretName: string;
  registries: string[];
  refreshedAt: string;
  /** Earliest expiry of the tokens written; absent when the login failed. */
  expiresAt?: string;
  /** Why no namespace was written (login refused, for example). */
  loginError?: string;
  /** Why the namespace list could not be read (patterns were then not resolved). */
  listError?: string;
  outcomes: NamespaceRefreshOutcome[];
  skipped: SkippedNamespace[];
  updated: number;
  failed: number;
  durationMs: number;
}

/** One line per namespace, for logs, the CLI and the error that makes alarms fire. */
export function formatRegistryRefreshReport(report: RegistryRefreshReport): string {
  const lines = [
    `ECR pull secret ${report.secretName} for ${report.registries.join(', ')}: ` +
      `${report.updated} namespace(s) updated, ${report.failed} failed` +
      (report.expiresAt ? `, token expires ${report.expiresAt}` : '') +
      ` (${Math.round(report.durationMs)} ms)`,
  ];
  if (report.loginError) lines.push(`  login failed, no secret touched: ${report.loginError}`);
  if (report.listError) lines.push(`  namespace list failed, patterns not resolved: ${report.listError}`);
  for (const outcome of report.outcomes) {
    const accounts = outcome.serviceAccounts
      .map((sa) => `${sa.name} ${sa.result}${sa.error ? ` (${sa.error})` : ''}`)
      .join(', ');
    lines.push(
      `  ${outcome.namespace}: ${outcome.status}${outcome.error ? `: ${outcome.error}` : ''}` +
        (accounts ? `; service accounts: ${accounts}` : ''),
    );
  }
  for (const skip of report.skipped) lines.push(`  ${skip.namespace}: skipped (${skip.reason})`);
  return lines.join('\n');
}

/** Thrown after a refresh finished with failures, so the scheduler marks the run failed and alarms fire. */
export class RegistryRefreshError extends RunnerError {
  readonly report: RegistryRefreshReport;
  constructor(report: RegistryRefreshReport) {
    super('internal', formatRegistryRefreshReport(report));
    this.report = report;
  }
}
