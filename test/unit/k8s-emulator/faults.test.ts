import { describe, expect, it } from 'vitest';
import { FaultInjector } from '@hybrid-runner/k8s-emulator';

describe('fault injection rules', () => {
  it('faults only matching method and path, N times', () => {
    const faults = new FaultInjector();
    const rule = faults.inject({
      kind: 'status',
      status: 429,
      retryAfterSeconds: 2,
      method: 'POST',
      path: '/workflows',
      times: 2,
    });
    expect(faults.match('GET', '/apis/argoproj.io/v1alpha1/namespaces/a/workflows')).toBeUndefined();
    expect(faults.match('POST', '/api/v1/namespaces/a/secrets')).toBeUndefined();
    expect(faults.match('POST', '/apis/argoproj.io/v1alpha1/namespaces/a/workflows')).toMatchObject({
      status: 429,
    });
    expect(faults.match('POST', '/apis/argoproj.io/v1alpha1/namespaces/a/workflows')).toMatchObject({
      status: 429,
    });
    expect(faults.match('POST', '/apis/argoproj.io/v1alpha1/namespaces/a/workflows')).toBeUndefined();
    expect(rule.hits).toBe(2);
  });

  it('applies a probability with the injected random source, and can be removed', () => {
    const draws = [0.1, 0.9, 0.2];
    const faults = new FaultInjector(() => draws.shift() ?? 1);
    const rule = faults.inject({ kind: 'reset', path: /pods/, probability: 0.5 });
    expect(faults.match('GET', '/api/v1/pods')?.kind).toBe('reset');
    expect(faults.match('GET', '/api/v1/pods')).toBeUndefined();
    expect(faults.match('GET', '/api/v1/pods')?.kind).toBe('reset');
    rule.remove();
    expect(faults.match('GET', '/api/v1/pods')).toBeUndefined();
  });

  it('validates probability and latency', () => {
    const faults = new FaultInjector();
    expect(() => faults.inject({ kind: 'hang', probability: 2 })).toThrow(/between 0 and 1/);
    expect(() => faults.setLatency(-1)).toThrow(/non-negative/);
    faults.setLatency(25);
    expect(faults.latency).toBe(25);
    faults.clear();
    expect(faults.latency).toBe(0);
  });
});
