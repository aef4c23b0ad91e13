// `npm start`'s settings as a child process sees them: bad values exit 2 with what to do before anything
// starts, and a taken default port falls back to a free one.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnLocalStage } from '../../support/local-stage-process.ts';

const directory = mkdtempSync(join(tmpdir(), 'local-stage-settings-'));
const stageFile = join(directory, 'local-stage.json');
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** The stage with only these settings, not waited for: most of these runs exit before anything starts. */
const start = (extra: Record<string, string>) => spawnLocalStage({ stageFile, env: extra });

function listen(port: number): Promise<Server | undefined> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(undefined));
    server.listen(port, '127.0.0.1', () => done(server));
  });
}

describe('npm start settings (the local stage with its stand-ins)', () => {
  it('exits 2 with a fix when PORT is set and taken, before starting anything', async () => {
    const blocker = (await listen(0)) as Server;
    const { port } = blocker.address() as { port: number };
    try {
      const stage = start({ PORT: String(port) });
      expect(await stage.exited).toBe(2);
      expect(stage.output()).toContain(`PORT ${port} is taken: stop what uses it, or choose another port`);
      expect(existsSync(stageFile)).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT=eighty is not a port number (1-65535)'],
    [{ HEARTBEAT_SECONDS: '0' }, 'HEARTBEAT_SECONDS=0 is not a positive number'],
    [
      { HEARTBEAT_SECONDS: '600' },
      'HEARTBEAT_SECONDS=600 is above 300: the bridge protocol promises an event',
    ],
    [{ LOG_LEVEL: 'LOUD' }, 'LOG_LEVEL=LOUD is not a log level: give one of DEBUG, INFO, WARN, ERROR'],
    [{ BRIDGE_MODE: 'sideways' }, 'BRIDGE_MODE=sideways is not a bridge mode: give inbound or outbound'],
    [{ SEED_SECRETS_FILE: join(directory, 'missing.json') }, 'does not exist (named by SEED_SECRETS_FILE)'],
    [{ HYBRID_RUNNER__namespaces__ingestion: 'Not_A_Namespace' }, 'namespaces.ingestion'],
  ])('exits 2 on %o with a clear message', async (extra, message) => {
    const stage = start(extra);
    expect(await stage.exited).toBe(2);
    expect(stage.output()).toContain(message);
  });

  it('exits 2 on an unreadable seed file without echoing its content', async () => {
    const seed = join(directory, 'broken-secrets.json');
    writeFileSync(seed, '{"/collate/hybrid-ingestion-runner/db": "super-secret-value"');
    const stage = start({ SEED_SECRETS_FILE: seed });
    expect(await stage.exited).toBe(2);
    expect(stage.output()).toContain('is not valid JSON');
    expect(stage.output()).not.toContain('super-secret-value');
  });

  it('falls back to a free port when the default 8585 is taken and PORT is not set', async () => {
    // Taken by us, or by a long-lived process (a running `npm start`): either way the stage must not use
    // it. Another copy of this test (the log scan re-runs the e2e suites) holds it only briefly: wait.
    let blocker: Server | undefined;
    for (const deadline = Date.now() + 20_000; !blocker && Date.now() < deadline;) {
      blocker = await listen(8585);
      if (!blocker) await sleep(200);
    }
    try {
      const stage = start({ AUTH_TOKEN: 'fallback-token' });
      await stage.waitFor('the stage file', () => (existsSync(stageFile) ? true : undefined));
      const info = stage.info();
      // The stage writes its file before it prints how to connect: wait for the print too.
      await stage.waitFor('the URL printed', () => (stage.output().includes(info.url) ? true : undefined));
      expect(stage.output()).toContain('Port 8585 is taken; using a free port instead');
      expect(info.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      expect(info.url).not.toBe('ws://127.0.0.1:8585');
      expect(stage.output()).toContain(info.url);
      expect(await stage.stop('SIGINT')).toBe(0);
      expect(existsSync(stageFile)).toBe(false);
    } finally {
      blocker?.close();
    }
  }, 60_000);
});
