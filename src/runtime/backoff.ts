import { isGone } from './errors.js';

export interface BackoffOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
  readonly factor?: number;
  /** Fraction of random spread added to each delay, so replicas do not retry in lockstep. */
  readonly jitter?: number;
  readonly random?: () => number;
}

/** Exponential backoff with jitter (client-go's reflector: 800 ms doubling to 30 s). */
export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 800;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 0.1;
    this.random = options.random ?? Math.random;
  }

  get attempts(): number {
    return this.attempt;
  }

  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt++;
    return Math.min(this.maxMs, base * (1 + this.jitter * this.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** What an informer does after its watch ended. */
export type WatchNext =
  /** Watch again from the last resourceVersion, at once. */
  | 'rewatch'
  /** Wait (backoff), then watch again from the last resourceVersion. */
  | 'backoff-rewatch'
  /** The resourceVersion is gone from the apiserver's history: list everything again, at once. */
  | 'relist';

/**
 * The reflector's decision table. A normal end (the apiserver's watch timeout)
 * resumes at once; a stream that ended instantly without events is treated as
 * a failure so a misbehaving server cannot cause a hot loop; 410 Gone means
 * events were lost, so only a full relist restores a correct cache; any other
 * failure (connection refused during an apiserver restart, 5xx, 429) resumes
 * from the same resourceVersion after a backoff, so nothing is lost.
 */
export function nextAfterWatch(outcome: { error?: unknown; events: number; durationMs: number }): WatchNext {
  if (outcome.error !== undefined) return isGone(outcome.error) ? 'relist' : 'backoff-rewatch';
  if (outcome.events === 0 && outcome.durationMs < 1000) return 'backoff-rewatch';
  return 'rewatch';
}

/** client-go's watch timeout: uniformly random in [5, 10) minutes, so watches do not expire together. */
export function watchTimeoutSeconds(random: () => number = Math.random): number {
  return Math.floor(300 * (1 + random()));
}
