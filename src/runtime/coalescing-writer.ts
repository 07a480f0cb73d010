/**
 * Takes writes off a reconcile's critical path: a reconcile hands over what
 * it wants written and goes on; the writer keeps only the newest item per
 * key (a later one replaces one still queued), runs at most `concurrency`
 * writes at a time and never two for the same key at once, so they land in
 * order. A failed write is reported to `onFailure`, typically to reconcile
 * the object again. Nothing is lost if the process stops with items queued
 * as long as the writes are level-triggered reports: the next reconcile, on
 * this replica or the next leader, computes them again.
 *
 * A writer can also yield to more urgent work (`yieldTo`): while that says
 * busy, nothing new starts, until the oldest queued item has waited
 * `maxDeferMs`. Reports (status) then stay out of the way of the writes
 * they report on (a failover's moves) on apiservers whose CPU both share,
 * and still land within a bound under constant churn.
 */
import { REPORT_MAX_DEFER_MS } from './urgent-work.js';

export interface CoalescingWriterOptions<T> {
  readonly write: (key: string, item: T) => Promise<unknown>;
  readonly onFailure: (key: string, item: T, err: unknown) => void;
  /** Writes in flight at once; default 4. */
  readonly concurrency?: number;
  /** Whether more urgent work is pending; while it is, writes wait (at most `maxDeferMs`). */
  readonly yieldTo?: () => boolean;
  /** The longest an item waits for `yieldTo`; default REPORT_MAX_DEFER_MS (30 s). */
  readonly maxDeferMs?: number;
  /** For tests. */
  readonly now?: () => number;
}

/** How often a deferred writer looks again whether the urgent work is done. */
const DEFER_POLL_MS = 25;

export class CoalescingWriter<T> {
  private readonly queued = new Map<string, T>();
  /** When each queued key was first queued since its last write (a replaced item keeps its age). */
  private readonly queuedSince = new Map<string, number>();
  private deferTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<string>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly concurrency: number;

  private readonly now: () => number;

  constructor(private readonly options: CoalescingWriterOptions<T>) {
    this.concurrency = options.concurrency ?? 4;
    this.now = options.now ?? Date.now;
  }

  /** Queues `item` under `key`, replacing whatever was queued there. */
  submit(key: string, item: T): void {
    this.queued.set(key, item);
    if (!this.queuedSince.has(key)) this.queuedSince.set(key, this.now());
    this.pump();
  }

  /** Keys queued or being written. */
  get backlog(): number {
    return this.queued.size + this.inFlight.size;
  }

  /** Resolves when nothing is queued or being written. */
  idle(): Promise<void> {
    if (this.backlog === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (this.deferring()) return;
    for (const [key, item] of this.queued) {
      if (this.inFlight.size >= this.concurrency) return;
      // One write per key at a time: a newer item waits for the older one to land.
      if (this.inFlight.has(key)) continue;
      this.queued.delete(key);
      this.queuedSince.delete(key);
      this.inFlight.add(key);
      void this.run(key, item).finally(() => {
        this.inFlight.delete(key);
        this.pump();
        if (this.backlog === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
    }
  }

  /** True (and a look again scheduled) while urgent work is pending and no queued item has waited its maximum. */
  private deferring(): boolean {
    if (this.deferTimer) return true; // already waiting; the timer looks again
    const { yieldTo, maxDeferMs = REPORT_MAX_DEFER_MS } = this.options;
    if (!yieldTo || this.queued.size === 0) return false;
    // Map order is insertion order and a replaced item keeps its place: the first is the oldest.
    const oldest = this.queuedSince.values().next().value ?? Infinity;
    if (this.now() - oldest >= maxDeferMs || !yieldTo()) return false;
    this.deferTimer = setTimeout(() => {
      this.deferTimer = undefined;
      this.pump();
    }, DEFER_POLL_MS);
    this.deferTimer.unref();
    return true;
  }

  private async run(key: string, item: T): Promise<void> {
    try {
      await this.options.write(key, item);
    } catch (err) {
      try {
        this.options.onFailure(key, item, err);
      } catch {
        // Reporting a failure must not break the writer.
      }
    }
  }
}
