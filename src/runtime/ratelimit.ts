import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

/**
 * Decides how long a key waits before it is retried, the way client-go's
 * workqueue rate limiters do: `when` is called once per retry and counts it.
 */
export interface RateLimiter {
  /** Delay in ms before `key` may be processed again; records one more retry. */
  when(key: string): number;
  /** The key succeeded: reset its failure count. */
  forget(key: string): void;
  /** How many times `key` has been retried since it was last forgotten. */
  retries(key: string): number;
}

/** Per-key exponential backoff: base·2^failures, capped (client-go: 5 ms … 1000 s). */
export class ExponentialFailureRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseDelayMs = 5,
    private readonly maxDelayMs = 1_000_000,
  ) {}

  when(key: string): number {
    const exp = this.failures.get(key) ?? 0;
    this.failures.set(key, exp + 1);
    // 2^exp overflows to Infinity long before it matters; the cap handles that.
    return Math.min(this.baseDelayMs * 2 ** exp, this.maxDelayMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * A global token bucket shared by all keys (golang.org/x/time/rate semantics:
 * a reservation always succeeds and tells how long to wait for its token).
 * Protects the apiserver when many keys fail at once.
 */
export class TokenBucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps = 10,
    private readonly burst = 100,
    private readonly clock: Clock = systemClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(): void {}

  retries(): number {
    return 0;
  }
}

/** The longest delay any of its limiters asks for (client-go's MaxOfRateLimiter). */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    return Math.max(0, ...this.limiters.map((l) => l.when(key)));
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  retries(key: string): number {
    return Math.max(0, ...this.limiters.map((l) => l.retries(key)));
  }
}

/** Tuning of a controller's retry behaviour; every field has client-go's default. */
export interface RateLimiterOptions {
  /** First retry delay of a failing key; default 5 ms. */
  readonly baseDelayMs?: number;
  /** Longest retry delay of a failing key; default 1000 s. */
  readonly maxDelayMs?: number;
  /** Retries per second across all keys; default 10. */
  readonly qps?: number;
  /** Retries allowed at once before `qps` applies; default 100. */
  readonly burst?: number;
}

/** client-go's DefaultControllerRateLimiter: max(per-key exponential, global bucket). */
export function defaultControllerRateLimiter(options: RateLimiterOptions = {}, clock: Clock = systemClock): RateLimiter {
  return new MaxOfRateLimiter(
    new ExponentialFailureRateLimiter(options.baseDelayMs ?? 5, options.maxDelayMs ?? 1_000_000),
    new TokenBucketRateLimiter(options.qps ?? 10, options.burst ?? 100, clock),
  );
}
