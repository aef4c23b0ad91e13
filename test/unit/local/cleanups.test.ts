import { describe, expect, it } from 'vitest';
import { cleanupStack } from '../../../packages/local/src/cleanups.ts';

describe('cleanupStack (the local stage shutdown)', () => {
  it('runs the steps last first, once, and goes on past a failing one, logging it', async () => {
    const ran: string[] = [];
    const logged: string[] = [];
    const cleanups = cleanupStack((line) => logged.push(line));
    cleanups.add(() => void ran.push('first started'));
    cleanups.add(() => {
      throw new Error('port stuck');
    });
    cleanups.add(async () => {
      await Promise.resolve();
      ran.push('last started');
    });
    await cleanups.runAll();
    expect(ran).toEqual(['last started', 'first started']);
    expect(logged).toEqual(['shutdown step failed: port stuck']);
    await cleanups.runAll();
    expect(ran).toHaveLength(2);
  });
});
