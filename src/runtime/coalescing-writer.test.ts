import { expect } from 'chai';
import { CoalescingWriter } from './coalescing-writer.js';

/** A write that finishes only when the test says so, recording what it was asked to write. */
function gatedWrites() {
  const started: string[] = [];
  const release: Array<() => void> = [];
  const write = (key: string, item: string) => {
    started.push(`${key}:${item}`);
    return new Promise<void>((resolve) => release.push(resolve));
  };
  return { started, release, write };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('CoalescingWriter', () => {
  it('keeps at most `concurrency` writes in flight, one per key, and only the newest item per key', async () => {
    const gate = gatedWrites();
    const writer = new CoalescingWriter<string>({ write: gate.write, onFailure: () => undefined, concurrency: 2 });
    writer.submit('a', 'a1');
    writer.submit('b', 'b1');
    writer.submit('c', 'c1');
    writer.submit('c', 'c2'); // replaces c1 while it waits
    writer.submit('a', 'a2'); // a1 is in flight: a2 waits for it
    expect(gate.started).to.deep.equal(['a:a1', 'b:b1']);
    gate.release.shift()!();
    await tick();
    expect(gate.started).to.deep.equal(['a:a1', 'b:b1', 'c:c2']);
    while (gate.release.length > 0) {
      gate.release.shift()!();
      await tick();
    }
    await writer.idle();
    expect(gate.started).to.deep.equal(['a:a1', 'b:b1', 'c:c2', 'a:a2']);
    expect(writer.backlog).to.equal(0);
  });

  it('reports a failed write and goes on with the others', async () => {
    const failed: string[] = [];
    const written: string[] = [];
    const writer = new CoalescingWriter<string>({
      write: async (key, item) => {
        if (key === 'broken') throw new Error('apiserver said no');
        written.push(`${key}:${item}`);
      },
      onFailure: (key, _item, err) => failed.push(`${key}: ${(err as Error).message}`),
    });
    for (const key of ['broken', 'fine']) writer.submit(key, 'x');
    await writer.idle();
    expect(written).to.deep.equal(['fine:x']);
    expect(failed).to.deep.equal(['broken: apiserver said no']);
  });

  it('yields to more urgent work, and writes anyway once an item has waited maxDeferMs', async () => {
    const gate = gatedWrites();
    let urgent = true;
    let clock = 0;
    const writer = new CoalescingWriter<string>({ write: gate.write, onFailure: () => undefined, yieldTo: () => urgent, maxDeferMs: 1000, now: () => clock });
    writer.submit('a', 'a1');
    await new Promise((r) => setTimeout(r, 60));
    expect(gate.started, 'nothing starts while urgent work is pending').to.deep.equal([]);
    urgent = false;
    await new Promise((r) => setTimeout(r, 60));
    expect(gate.started, 'written once the urgent work is done').to.deep.equal(['a:a1']);

    urgent = true;
    clock = 10_000;
    writer.submit('b', 'b1');
    clock = 10_500;
    writer.submit('b', 'b2'); // replacing an item keeps its age
    await new Promise((r) => setTimeout(r, 60));
    expect(gate.started).to.deep.equal(['a:a1']);
    clock = 11_000;
    await new Promise((r) => setTimeout(r, 60));
    expect(gate.started, 'the bound holds under constant urgent work').to.deep.equal(['a:a1', 'b:b2']);
    for (const release of gate.release) release();
    await writer.idle();
  });
});
