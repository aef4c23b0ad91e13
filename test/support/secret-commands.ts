// Finds `sst secret set` commands that carry the secret's value as an argument (visible in the shell history
// and the process list). SST reads the value from a prompt or stdin when it is left out.

/** Flags of `sst secret set` that take a value of their own (not a secret). */
const FLAGS_WITH_VALUE = new Set(['--stage', '--config']);

/** Every `sst secret set …` command in the text whose arguments include a value after the secret's name. */
export function secretValuesOnCommandLines(text: string): string[] {
  const offending: string[] = [];
  for (const match of text.matchAll(/sst secret set\s+([^\n`|;&]*)/g)) {
    const words = (match[1] ?? '').split(/\s+/).filter(Boolean);
    const positionals: string[] = [];
    for (let index = 0; index < words.length; index += 1) {
      const word = words[index]!;
      if (word === '<' || word === '#' || word === '(' || word.startsWith('(')) break; // stdin, comment, prose
      if (word.startsWith('--')) {
        if (FLAGS_WITH_VALUE.has(word)) index += 1;
        continue;
      }
      positionals.push(word);
    }
    // The name alone (or `…` standing for "the rest of the command" in prose) is fine; anything else is a value.
    if (positionals.slice(1).some((word) => word !== '…')) offending.push(match[0].trim());
  }
  return offending;
}
