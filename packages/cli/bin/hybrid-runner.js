#!/usr/bin/env node
// The CLI's entry. Node 24 runs the TypeScript sources directly (type stripping); `npx hybrid-runner` puts
// the project's own Node 24 first on PATH.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(
    `hybrid-runner needs Node 24 (found ${process.version}); run it with npx inside the project.`,
  );
  process.exit(2);
}
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
