// Colour goes to people at a terminal only: CI logs and pipes get plain text (picocolors on its own colours
// whenever CI is set), FORCE_COLOR turns it on and NO_COLOR off.
import { describe, expect, it } from 'vitest';
import { colourWanted } from '../../../packages/cli/src/output.ts';

describe('CLI colour', () => {
  it('is off when piped, even under CI', () => {
    expect(colourWanted({ CI: 'true' }, { isTTY: false })).toBe(false);
    expect(colourWanted({}, {})).toBe(false);
  });

  it('is on at a terminal unless NO_COLOR, and FORCE_COLOR turns it on', () => {
    expect(colourWanted({}, { isTTY: true })).toBe(true);
    expect(colourWanted({ NO_COLOR: '1' }, { isTTY: true })).toBe(false);
    expect(colourWanted({ FORCE_COLOR: '1' }, { isTTY: false })).toBe(true);
  });
});
