// Regenerates docs/asyncapi.json from the protocol validators:
//   npx node packages/protocol/scripts/generate-asyncapi.ts
// test/unit/protocol/asyncapi.test.ts fails until the checked-in file matches.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAsyncApiDocument } from '../src/asyncapi.ts';

const target = join(import.meta.dirname, '..', '..', '..', 'docs', 'asyncapi.json');
writeFileSync(target, renderAsyncApiDocument());
console.log(`Wrote ${target}`);
