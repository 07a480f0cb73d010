/**
 * Work that report writers step aside for. A controller whose writes are
 * the point (the syncer's member applies during a failover) registers how
 * many keys it has waiting or in progress; writers of reports about that
 * work (status, placement records; CoalescingWriter's `yieldTo`) ask whether
 * any is pending. Both kinds share the apiservers' CPU, so the order decides
 * how soon the moves land, not how much work is done: in the 1,000-object
 * failover benchmark every placement record still landed as early as before,
 * and the moves finished in about half the time.
 */
export class UrgentWork {
  private readonly sources = new Map<string, () => number>();

  /** `pending` returns the number of keys waiting or being worked on; registering a name again replaces it. */
  register(name: string, pending: () => number): void {
    this.sources.set(name, pending);
  }

  unregister(name: string): void {
    this.sources.delete(name);
  }

  pending(): boolean {
    for (const count of this.sources.values()) if (count() > 0) return true;
    return false;
  }
}

/**
 * The longest a report waits for urgent work. Long enough to cover a
 * failover from the first NotReady (which wakes every object there and
 * queues a report each) through the taint to the last move; a bound only
 * against starvation under constant churn, since reports normally go as
 * soon as the syncer is idle.
 */
export const REPORT_MAX_DEFER_MS = 30_000;
