// Redaction of a secret that a chunk boundary cut in two (whole values are redacted by the dispatcher).
import { REDACTED } from './dispatcher.ts';

/** Shortest piece of a secret replaced at a chunk edge: as long as the replacement, so a chunk never grows. */
const MIN_EDGE_FRAGMENT = REDACTED.length;

/**
 * A secret the chunking cut in two is whole in neither chunk, so redacting whole values from each response
 * misses both halves. This replaces a secret's beginning that ends the text and a secret's end that starts
 * it (pieces shorter than MIN_EDGE_FRAGMENT stay: too little of the secret to matter).
 */
export function redactSecretEdges(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    const longest = Math.min(secret.length - 1, result.length);
    for (let length = longest; length >= MIN_EDGE_FRAGMENT; length--) {
      if (result.endsWith(secret.slice(0, length))) {
        result = result.slice(0, result.length - length) + REDACTED;
        break;
      }
    }
    for (let length = Math.min(secret.length - 1, result.length); length >= MIN_EDGE_FRAGMENT; length--) {
      if (result.startsWith(secret.slice(secret.length - length))) {
        result = REDACTED + result.slice(length);
        break;
      }
    }
  }
  return result;
}
