// Runs the CLI in-process and returns its exit code with what it wrote to stderr (stderr is captured, not
// shown, so expected error lines do not clutter the test output).
import { vi } from 'vitest';
import { main } from '../../packages/cli/src/main.ts';

export async function runCliCapturingStderr(argv: string[]): Promise<{ code: number; stderr: string }> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  try {
    return { code: await main(argv), stderr: written.join('') };
  } finally {
    spy.mockRestore();
  }
}
