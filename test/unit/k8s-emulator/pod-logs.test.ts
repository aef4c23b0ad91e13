import { describe, expect, it } from 'vitest';
import { PodLogStore } from '@hybrid-runner/k8s-emulator';

async function collect(iterable: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

describe('pod log store', () => {
  it('streams a large log in bounded chunks', async () => {
    const logs = new PodLogStore();
    const big = 'x'.repeat(1_000_000);
    logs.append('ns', 'p', 'main', big);
    const chunks = await collect(logs.read('ns', 'p', 'main', { chunkBytes: 64 * 1024 }));
    expect(chunks.length).toBe(Math.ceil(1_000_000 / 65_536));
    expect(Math.max(...chunks.map((c) => c.length))).toBe(65_536);
    expect(Buffer.concat(chunks).toString()).toBe(big);
  });

  it('gives a container’s whole log byte for byte (what archiveLogs uploads), empty when there is none', () => {
    const logs = new PodLogStore();
    const invalidUtf8 = Buffer.from([0x66, 0xff, 0xfe, 0x0a]);
    logs.append('ns', 'p', 'main', 'é 😀\n');
    logs.append('ns', 'p', 'main', invalidUtf8);
    expect(logs.bytes('ns', 'p', 'main').equals(Buffer.concat([Buffer.from('é 😀\n'), invalidUtf8]))).toBe(
      true,
    );
    expect(logs.bytes('ns', 'p', 'wait').length).toBe(0);
    logs.removePod('ns', 'p');
    expect(logs.bytes('ns', 'p', 'main').length).toBe(0);
  });

  it('honours limitBytes and tailLines', async () => {
    const logs = new PodLogStore();
    logs.append('ns', 'p', 'main', 'one\ntwo\n');
    logs.append('ns', 'p', 'main', 'three\n');
    expect(Buffer.concat(await collect(logs.read('ns', 'p', 'main', { limitBytes: 6 }))).toString()).toBe(
      'one\ntw',
    );
    expect(Buffer.concat(await collect(logs.read('ns', 'p', 'main', { tailLines: 2 }))).toString()).toBe(
      'two\nthree\n',
    );
    const stamped = Buffer.concat(
      await collect(logs.read('ns', 'p', 'main', { timestamps: true })),
    ).toString();
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z one\n/);
  });

  it('follows until the container finishes', async () => {
    const logs = new PodLogStore();
    logs.append('ns', 'p', 'main', 'a\n');
    const reading = collect(logs.read('ns', 'p', 'main', { follow: true }));
    setTimeout(() => {
      logs.append('ns', 'p', 'main', 'b\n');
      logs.finish('ns', 'p', 'main');
    }, 10);
    expect(Buffer.concat(await reading).toString()).toBe('a\nb\n');
  });

  it("forgets a deleted pod's logs", () => {
    const logs = new PodLogStore();
    logs.append('ns', 'p', 'main', 'a\n');
    logs.removePod('ns', 'p');
    expect(logs.text('ns', 'p', 'main')).toBe('');
  });
});
