import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { RateLimiter } from './ratelimit.js';
import { defaultControllerRateLimiter } from './ratelimit.js';

/** What a work queue reports; the Prometheus binding lives in metrics.ts so this module stays pure. */
export interface WorkQueueMetrics {
  /** A key became queued (not counted when it was already waiting: de-duplicated). */
  add(): void;
  depth(n: number): void;
  retry(): void;
  /** Seconds a key waited between being queued and being handed to a worker. */
  queueLatency(seconds: number): void;
  /** Seconds a worker held a key (get → done). */
  workDuration(seconds: number): void;
}

export interface WorkQueueOptions {
  readonly clock?: Clock;
  readonly rateLimiter?: RateLimiter;
  readonly metrics?: WorkQueueMetrics;
}

/** A FIFO that does not shift arrays (O(1) push/pop even with 100k keys). */
class Fifo {
  private items: string[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(key: string): void {
    this.items.push(key);
  }

  pop(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const key = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/** Min-heap of (due time, key) for delayed adds; stale entries are skipped lazily. */
class DueHeap {
  private readonly heap: Array<{ due: number; key: string }> = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): { due: number; key: string } | undefined {
    return this.heap[0];
  }

  push(entry: { due: number; key: string }): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.due <= h[i]!.due) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  pop(): { due: number; key: string } | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.due < h[m]!.due) m = l;
        if (r < h.length && h[r]!.due < h[m]!.due) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }
}

/**
 * client-go's rate-limiting work queue, in TypeScript:
 * - a key is queued at most once (`add` while queued is a no-op: de-duplication);
 * - a key handed to a worker is never handed to another one until `done`;
 *   an `add` meanwhile marks it dirty and it is queued again on `done`;
 * - `addAfter` delays a key (the earliest pending delay wins);
 * - `addRateLimited` delays it by the rate limiter (per-key exponential backoff
 *   and a global token bucket), `forget` resets its backoff.
 * Pure: time comes from the injected Clock, so tests run in virtual time.
 */
export class WorkQueue {
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly metrics: WorkQueueMetrics | undefined;
  private readonly queue = new Fifo();
  private readonly dirty = new Set<string>();
  private readonly processing = new Map<string, number>();
  private readonly queuedAt = new Map<string, number>();
  private readonly waiting = new Map<string, number>();
  private readonly dueHeap = new DueHeap();
  private readonly getters: Array<(key: string | undefined) => void> = [];
  private cancelTimer: (() => void) | undefined;
  private timerDue = Infinity;
  private shutdown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.limiter = options.rateLimiter ?? defaultControllerRateLimiter({}, this.clock);
    this.metrics = options.metrics;
  }

  /** Keys queued and ready (not counting delayed or in-process keys). */
  get length(): number {
    return this.queue.length;
  }

  /** Keys currently held by workers. */
  get processingCount(): number {
    return this.processing.size;
  }

  /** Keys waiting for a delay to pass. */
  get delayedCount(): number {
    return this.waiting.size;
  }

  get shuttingDown(): boolean {
    return this.shutdown;
  }

  add(key: string): void {
    if (this.shutdown || this.dirty.has(key)) return;
    this.metrics?.add();
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  /** Adds `key` once `delayMs` has passed; a shorter pending delay for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shutdown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const due = this.clock.now() + delayMs;
    const existing = this.waiting.get(key);
    if (existing !== undefined && existing <= due) return;
    this.waiting.set(key, due);
    this.dueHeap.push({ due, key });
    this.armTimer();
  }

  /** Adds `key` after the delay its rate limiter decides, and counts a retry. */
  addRateLimited(key: string): void {
    if (this.shutdown) return;
    this.metrics?.retry();
    this.addAfter(key, this.limiter.when(key));
  }

  /** Stops tracking `key`'s failures (call after a successful reconcile). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.retries(key);
  }

  /** The next key without waiting, or undefined if none is ready. */
  tryGet(): string | undefined {
    if (this.shutdown) return undefined;
    const key = this.queue.pop();
    if (key === undefined) return undefined;
    this.take(key);
    return key;
  }

  /** Waits for the next key; resolves undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    const key = this.tryGet();
    if (key !== undefined || this.shutdown) return Promise.resolve(key);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** The worker finished `key`: if it was added meanwhile, queue it again. */
  done(key: string): void {
    const started = this.processing.get(key);
    if (started === undefined) return;
    this.processing.delete(key);
    this.metrics?.workDuration((this.clock.now() - started) / 1000);
    if (this.dirty.has(key) && !this.shutdown) this.enqueue(key);
  }

  /**
   * Stops handing out keys: pending `get`s resolve undefined, queued and
   * delayed keys are dropped (state is level-triggered: whoever runs next
   * lists everything again). Keys in process may still call `done`.
   */
  shutDown(): void {
    if (this.shutdown) return;
    this.shutdown = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.queue.clear();
    this.dirty.clear();
    this.waiting.clear();
    this.dueHeap.clear();
    this.queuedAt.clear();
    this.metrics?.depth(0);
    for (const resolve of this.getters.splice(0)) resolve(undefined);
  }

  private enqueue(key: string): void {
    this.queuedAt.set(key, this.clock.now());
    const getter = this.getters.shift();
    if (getter) {
      this.take(key);
      getter(key);
      return;
    }
    this.queue.push(key);
    this.metrics?.depth(this.queue.length);
  }

  private take(key: string): void {
    const now = this.clock.now();
    const queued = this.queuedAt.get(key);
    if (queued !== undefined) this.metrics?.queueLatency((now - queued) / 1000);
    this.queuedAt.delete(key);
    this.processing.set(key, now);
    this.dirty.delete(key);
    this.metrics?.depth(this.queue.length);
  }

  private armTimer(): void {
    const next = this.dueHeap.peek();
    if (!next || next.due >= this.timerDue) return;
    this.cancelTimer?.();
    this.timerDue = next.due;
    this.cancelTimer = this.clock.schedule(() => this.fireDue(), next.due - this.clock.now());
  }

  private fireDue(): void {
    this.cancelTimer = undefined;
    this.timerDue = Infinity;
    const now = this.clock.now();
    for (let next = this.dueHeap.peek(); next && next.due <= now; next = this.dueHeap.peek()) {
      this.dueHeap.pop();
      // A later, shorter addAfter leaves the older heap entry behind: skip it.
      if (this.waiting.get(next.key) !== next.due) continue;
      this.waiting.delete(next.key);
      this.add(next.key);
    }
    this.armTimer();
  }
}
