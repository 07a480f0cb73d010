import { performance } from 'node:perf_hooks';
import PQueue from 'p-queue';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { WorkQueue } from './queue.js';

/**
 * Longest stretch of work on the event loop before the processors let timers
 * and I/O run. Reconciles that only read caches resolve without ever waiting
 * for I/O, so a long queue of them is one unbroken chain of microtasks: the
 * health probe, watch events and the webhook would wait until the queue is
 * empty (seconds, for a re-decision of every object). Shared by every
 * processor, since they share the loop.
 */
export const EVENT_LOOP_SLICE_MS = 25;
let sliceStarted = performance.now();

/** Yields to the event loop (timers, I/O) when the current slice of work is used up. */
export async function yieldWhenSliceUsed(): Promise<void> {
  const now = performance.now();
  if (now - sliceStarted < EVENT_LOOP_SLICE_MS) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  sliceStarted = performance.now();
}

/** What handling one key asks for next. */
export interface KeyOutcome {
  /** Process the key again after this many ms (a periodic re-check, not an error). */
  readonly requeueAfter?: number;
}

/** How one key's handling ended, for metrics and logs. */
export type KeyResult = 'success' | 'requeue_after' | 'error';

export interface KeyProcessorOptions {
  /** Keys handled at once; default 1. */
  readonly concurrency?: number;
  readonly clock?: Clock;
  /** Called after every handled key (metrics, logging). */
  readonly onResult?: (key: string, result: KeyResult, durationMs: number, error?: unknown) => void;
}

/**
 * Pulls keys from a WorkQueue and runs them with bounded concurrency
 * (p-queue), applying the outcome: success forgets the key's backoff,
 * `requeueAfter` schedules it, a throw retries it with backoff. The queue
 * guarantees a key is never handled by two workers at once.
 */
export class KeyProcessor {
  private readonly pq: PQueue;
  private readonly concurrency: number;
  private readonly clock: Clock;
  private readonly abort = new AbortController();
  private readonly stopping = new AbortController();
  private pumping: Promise<void> | undefined;

  constructor(
    private readonly queue: WorkQueue,
    private readonly handle: (key: string, signal: AbortSignal) => Promise<KeyOutcome | void>,
    private readonly options: KeyProcessorOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.clock = options.clock ?? systemClock;
    this.pq = new PQueue({ concurrency: this.concurrency });
  }

  /** Keys being handled right now. */
  get active(): number {
    return this.pq.pending;
  }

  start(): void {
    this.pumping ??= this.pump();
  }

  /**
   * Stops taking keys and waits up to `deadlineMs` for keys in process; then
   * aborts the signal handed to them. Resolves true when everything finished in time.
   */
  async stop(deadlineMs: number): Promise<boolean> {
    this.queue.shutDown();
    this.stopping.abort();
    await this.pumping;
    let timedOut = false;
    await new Promise<void>((resolve) => {
      const cancel = this.clock.schedule(() => {
        timedOut = true;
        resolve();
      }, deadlineMs);
      void this.pq.onIdle().then(() => {
        cancel();
        resolve();
      });
    });
    this.abort.abort();
    return !timedOut;
  }

  private async pump(): Promise<void> {
    for (;;) {
      // Take a key only when a worker is free, so keys wait in the work queue
      // (where adds are de-duplicated and counted as depth), not in p-queue.
      while (this.pq.pending >= this.concurrency && !this.stopping.signal.aborted) {
        await new Promise<void>((resolve) => {
          const done = () => {
            this.pq.removeEventListener('next', done);
            this.stopping.signal.removeEventListener('abort', done);
            resolve();
          };
          this.pq.addEventListener('next', done);
          this.stopping.signal.addEventListener('abort', done);
        });
      }
      if (this.stopping.signal.aborted) return;
      await yieldWhenSliceUsed();
      const key = await this.queue.get();
      if (key === undefined) return;
      void this.pq.add(() => this.run(key));
    }
  }

  private async run(key: string): Promise<void> {
    const started = this.clock.now();
    let result: KeyResult = 'success';
    let error: unknown;
    try {
      const outcome = await this.handle(key, this.abort.signal);
      this.queue.forget(key);
      if (outcome && outcome.requeueAfter !== undefined && outcome.requeueAfter > 0) {
        result = 'requeue_after';
        this.queue.addAfter(key, outcome.requeueAfter);
      }
    } catch (err) {
      result = 'error';
      error = err;
      this.queue.addRateLimited(key);
    } finally {
      this.queue.done(key);
    }
    try {
      this.options.onResult?.(key, result, this.clock.now() - started, error);
    } catch {
      // Reporting must never break processing.
    }
  }
}
