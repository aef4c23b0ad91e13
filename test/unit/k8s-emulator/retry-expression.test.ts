// The simulated controller's reading of retryStrategy.expression: Argo's own conditional-retry example
// (examples/retry-conditional.yaml, with its parameter substituted) and the runner's interruption expression.
import { describe, expect, it } from 'vitest';
import { interruptionRetryExpression } from '@hybrid-runner/core';
import { evaluateRetryExpression } from '../../../packages/k8s-emulator/src/retry-expression.ts';

const attempt = (fields: Partial<Record<'exitCode' | 'status' | 'duration' | 'message', string>>) => ({
  exitCode: '-1',
  status: 'Failed',
  duration: '10',
  message: '',
  ...fields,
});

describe('retryStrategy.expression in the simulated controller', () => {
  // Argo's example, after `{{inputs.parameters.safe-to-retry}}` became `false`.
  const argoExample =
    'asInt(lastRetry.exitCode) > 1 && lastRetry.status != "Error" && asInt(lastRetry.duration) < 120 && ' +
    "(false == true || lastRetry.message matches 'imminent node shutdown|pod deleted')";

  it('evaluates Argo’s conditional-retry example', () => {
    expect(
      evaluateRetryExpression(
        argoExample,
        attempt({ exitCode: '2', message: 'Pod was terminated in response to imminent node shutdown.' }),
      ),
    ).toBe(true);
    expect(evaluateRetryExpression(argoExample, attempt({ exitCode: '1', message: 'pod deleted' }))).toBe(
      false,
    );
    expect(
      evaluateRetryExpression(
        argoExample,
        attempt({ exitCode: '2', status: 'Error', message: 'pod deleted' }),
      ),
    ).toBe(false);
    expect(
      evaluateRetryExpression(
        argoExample,
        attempt({ exitCode: '2', duration: '300', message: 'pod deleted' }),
      ),
    ).toBe(false);
  });

  it('retries lost pods and SIGTERM under the runner’s expression, and not a failed ingestion', () => {
    const expression = interruptionRetryExpression();
    expect(evaluateRetryExpression(expression, attempt({ status: 'Error', message: 'pod deleted' }))).toBe(
      true,
    );
    expect(
      evaluateRetryExpression(expression, attempt({ message: 'The node was low on resource: memory.' })),
    ).toBe(true);
    expect(
      evaluateRetryExpression(expression, attempt({ exitCode: '143', message: 'Error (exit code 143)' })),
    ).toBe(true);
    expect(
      evaluateRetryExpression(expression, attempt({ exitCode: '1', message: 'Error (exit code 1)' })),
    ).toBe(false);
  });

  it('refuses what it cannot read, naming it', () => {
    expect(() => evaluateRetryExpression('workflow.name == "x"', attempt({}))).toThrow(
      'unknown name workflow',
    );
    expect(() => evaluateRetryExpression('lastRetry.phase == "x"', attempt({}))).toThrow(
      'lastRetry has no field phase',
    );
    expect(() => evaluateRetryExpression('lastRetry.status', attempt({}))).toThrow('is not a boolean');
    expect(() => evaluateRetryExpression('"open', attempt({}))).toThrow('unterminated string literal');
  });
});
