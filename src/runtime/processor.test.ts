import { expect } from 'chai';
import { FakeClock } from './clock.js';
import { KeyProcessor, type KeyResult } from './processor.js';
import { WorkQueue } from './queue.js';
import { ExponentialFailureRateLimiter } from './ratelimit.js';

/** Lets pending promise callbacks run (the processor is async; the clock is not). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('KeyProcessor', () => {
  it('1000 adds of one key during a slow reconcile cause exactly one more reconcile', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock });
    const gates: Array<ReturnType<typeof deferred>> = [];
    let calls = 0;
    const processor = new KeyProcessor(
      queue,
      async () => {
        calls++;
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
      },
      { clock, concurrency: 4 },
    );
    processor.start();
    queue.add('ns/slow');
    await flush();
    expect(calls).to.equal(1);
    for (let i = 0; i < 1000; i++) queue.add('ns/slow');
    await flush();
    expect(calls, 'no second worker takes the key while it is in process').to.equal(1);
    gates[0]!.resolve();
    await flush();
    expect(calls).to.equal(2);
    gates[1]!.resolve();
    await flush();
    expect(calls).to.equal(2);
    expect(await processor.stop(1000)).to.equal(true);
  });

  it('never runs a key concurrently with itself, under many workers and random adds', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock });
    const running = new Set<string>();
    let overlaps = 0;
    let maxParallel = 0;
    let handled = 0;
    const processor = new KeyProcessor(
      queue,
      async (key) => {
        if (running.has(key)) overlaps++;
        running.add(key);
        maxParallel = Math.max(maxParallel, running.size);
        for (let i = 0; i < 1 + (key.length % 3); i++) await flush();
        running.delete(key);
        handled++;
      },
      { clock, concurrency: 8 },
    );
    processor.start();
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 10; i++) queue.add(`ns/key-${Math.floor(random() * 12)}`);
      await flush();
    }
    while (queue.length > 0 || processor.active > 0) await flush();
    expect(overlaps).to.equal(0);
    expect(maxParallel).to.be.at.most(8).and.at.least(2);
    expect(handled).to.be.greaterThan(12);
    await processor.stop(1000);
  });

  it('retries a failing key with exponential delays and reports each error', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock, rateLimiter: new ExponentialFailureRateLimiter(5, 1000) });
    const attemptsAt: number[] = [];
    const results: KeyResult[] = [];
    const start = clock.now();
    const processor = new KeyProcessor(
      queue,
      async () => {
        attemptsAt.push(clock.now() - start);
        throw new Error('boom');
      },
      { clock, onResult: (_key, result) => results.push(result) },
    );
    processor.start();
    queue.add('bad');
    for (let ms = 0; ms < 700; ms++) {
      await flush();
      clock.advance(1);
    }
    // Delays between attempts: 5, 10, 20, 40, 80, 160, 320 ms.
    expect(attemptsAt).to.deep.equal([0, 5, 15, 35, 75, 155, 315, 635]);
    expect(results.every((r) => r === 'error')).to.equal(true);
    expect(queue.numRequeues('bad')).to.equal(8);
    await processor.stop(1000);
  });

  it('requeueAfter schedules the key again; success resets its backoff', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock, rateLimiter: new ExponentialFailureRateLimiter(5, 1000) });
    let calls = 0;
    const processor = new KeyProcessor(
      queue,
      async () => {
        calls++;
        if (calls === 1) throw new Error('first attempt fails');
        return calls === 2 ? { requeueAfter: 60_000 } : undefined;
      },
      { clock },
    );
    processor.start();
    queue.add('k');
    await flush();
    clock.advance(5);
    await flush();
    expect(calls).to.equal(2);
    expect(queue.numRequeues('k'), 'success forgets the failures').to.equal(0);
    clock.advance(59_999);
    await flush();
    expect(calls).to.equal(2);
    clock.advance(1);
    await flush();
    expect(calls).to.equal(3);
    await processor.stop(1000);
  });

  it('stop waits for keys in process and then aborts stragglers', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock });
    let aborted = false;
    const processor = new KeyProcessor(
      queue,
      (_key, signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          });
        }),
      { clock },
    );
    processor.start();
    queue.add('stuck');
    await flush();
    const stopped = processor.stop(2000);
    await flush();
    clock.advance(2000);
    expect(await stopped).to.equal(false);
    expect(aborted).to.equal(true);
  });
});

describe('KeyProcessor and the event loop', () => {
  it('lets timers and I/O run while a long queue of cache-only reconciles drains', async () => {
    const queue = new WorkQueue();
    const total = 2000;
    let handled = 0;
    let handledWhenTimerRan: number | undefined;
    const processor = new KeyProcessor(
      queue,
      async () => {
        // A reconcile that only reads caches: about half a millisecond of work, no I/O.
        const until = performance.now() + 0.5;
        while (performance.now() < until);
        handled++;
      },
      { concurrency: 4 },
    );
    for (let i = 0; i < total; i++) queue.add(`ns/object-${i}`);
    processor.start();
    // A health probe or a watch event: a macrotask queued once the work has begun.
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        handledWhenTimerRan = handled;
        resolve();
      }, 0),
    );
    while (handled < total) await new Promise<void>((resolve) => setImmediate(resolve));
    await processor.stop(1000);
    expect(handledWhenTimerRan, 'the timer ran before the queue was drained').to.be.lessThan(total);
  });
});
