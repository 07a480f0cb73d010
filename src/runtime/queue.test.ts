import { expect } from 'chai';
import { FakeClock } from './clock.js';
import { WorkQueue, type WorkQueueMetrics } from './queue.js';
import { ExponentialFailureRateLimiter } from './ratelimit.js';

function countingMetrics() {
  const m = { adds: 0, retries: 0, depth: 0, latencies: [] as number[], work: [] as number[] };
  const metrics: WorkQueueMetrics = {
    add: () => void m.adds++,
    retry: () => void m.retries++,
    depth: (n) => void (m.depth = n),
    queueLatency: (s) => void m.latencies.push(s),
    workDuration: (s) => void m.work.push(s),
  };
  return { m, metrics };
}

describe('WorkQueue', () => {
  it('de-duplicates a key while it is queued', () => {
    const { m, metrics } = countingMetrics();
    const q = new WorkQueue({ clock: new FakeClock(), metrics });
    for (let i = 0; i < 1000; i++) q.add('ns/a');
    q.add('ns/b');
    expect(q.length).to.equal(2);
    expect(m.adds).to.equal(2);
    expect(q.tryGet()).to.equal('ns/a');
    expect(q.tryGet()).to.equal('ns/b');
    expect(q.tryGet()).to.equal(undefined);
  });

  it('never hands out a key in process; an add meanwhile re-queues it once on done', () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    expect(q.tryGet()).to.equal('a');
    for (let i = 0; i < 1000; i++) q.add('a');
    expect(q.length).to.equal(0);
    expect(q.tryGet()).to.equal(undefined);
    q.done('a');
    expect(q.length).to.equal(1);
    expect(q.tryGet()).to.equal('a');
    q.done('a');
    expect(q.tryGet()).to.equal(undefined);
  });

  it('delays keys with addAfter; the earliest pending delay wins', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 300);
    q.addAfter('a', 5000);
    q.addAfter('b', 500);
    clock.advance(299);
    expect(q.length).to.equal(0);
    clock.advance(1);
    expect(q.tryGet()).to.equal('a');
    q.done('a');
    clock.advance(200);
    expect(q.tryGet()).to.equal('b');
    q.done('b');
    clock.advance(10_000);
    expect(q.length, 'superseded delays never fire').to.equal(0);
    expect(q.delayedCount).to.equal(0);
  });

  it('wakes a waiting get when a key arrives, and resolves it undefined on shut down', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const first = q.get();
    q.addAfter('x', 50);
    clock.advance(50);
    expect(await first).to.equal('x');
    const second = q.get();
    q.shutDown();
    expect(await second).to.equal(undefined);
    q.add('y');
    expect(await q.get()).to.equal(undefined);
  });

  it('rate-limited adds back off per key: 5, 10, 20, 40 ms and counts retries', () => {
    const clock = new FakeClock();
    const { m, metrics } = countingMetrics();
    const q = new WorkQueue({ clock, metrics, rateLimiter: new ExponentialFailureRateLimiter(5, 1000) });
    const readyAt: number[] = [];
    const start = clock.now();
    q.add('k');
    for (let attempt = 0; attempt < 5; attempt++) {
      while (q.length === 0) clock.advance(1);
      readyAt.push(clock.now() - start);
      expect(q.tryGet()).to.equal('k');
      q.addRateLimited('k');
      q.done('k');
    }
    expect(readyAt).to.deep.equal([0, 5, 15, 35, 75]);
    expect(q.numRequeues('k')).to.equal(5);
    expect(m.retries).to.equal(5);
    q.forget('k');
    expect(q.numRequeues('k')).to.equal(0);
  });

  it('reports queue latency and work duration from the clock', () => {
    const clock = new FakeClock();
    const { m, metrics } = countingMetrics();
    const q = new WorkQueue({ clock, metrics });
    q.add('a');
    clock.advance(250);
    q.tryGet();
    clock.advance(1500);
    q.done('a');
    expect(m.latencies).to.deep.equal([0.25]);
    expect(m.work).to.deep.equal([1.5]);
  });

  it('keeps FIFO order across many keys', () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    for (let i = 0; i < 5000; i++) q.add(`k${i}`);
    const out: string[] = [];
    for (let k = q.tryGet(); k !== undefined; k = q.tryGet()) {
      out.push(k);
      q.done(k);
    }
    expect(out).to.have.length(5000);
    expect(out[0]).to.equal('k0');
    expect(out[4999]).to.equal('k4999');
  });
});
