/**
 * How long a finalizer may wait for clusters that do not answer. A
 * PropagatedObject (or LogicalCluster) being deleted keeps its finalizer
 * while a member holding its copies (or namespaces) is unreachable, so that
 * nothing is left behind by a short outage; but a member that is gone for
 * good must not hold the object, its namespace and its Workspace for ever.
 * After the timeout since deletion started, or at once when an
 * administrator annotates the object `canopy.dev/force-finalize: "true"`,
 * the finalizer is released and what is left on those clusters is named in a
 * Warning Event (and the log), for their administrators to remove.
 *
 * Pure: the PropagatedObject syncer and the LogicalCluster reconciler decide
 * with it; they write the Event and release the finalizer.
 */
import type { KubeObject } from './object.js';

/** Set to "true" on an object being deleted to release its finalizer now, whatever is left on unreachable clusters. */
export const ANNOTATION_FORCE_FINALIZE = 'canopy.dev/force-finalize';
/** Ten minutes: well past the failover and probe intervals (a restarting member is back by then), short enough that a lost member does not hold deletions for a day. */
export const DEFAULT_FINALIZER_TIMEOUT_MS = 600_000;
/** Reasons of the Warning Event. */
export const FinalizerReleaseReasons = { Forced: 'FinalizerForced', TimedOut: 'FinalizerTimedOut' } as const;

export interface FinalizerWaitInput {
  /** metadata.deletionTimestamp (RFC 3339). */
  readonly deletionTimestamp: string | undefined;
  readonly annotations: Readonly<Record<string, string>> | undefined;
  readonly now: number;
  readonly timeoutMs: number;
  /** Clusters the cleanup still waits for (sorted or not; reported sorted). */
  readonly blocked: readonly string[];
  /** What stays on those clusters, for the message: `copies of PropagatedObject shop/web`. */
  readonly leftBehind: string;
  readonly finalizer: string;
}

export type FinalizerWaitDecision =
  | { readonly release: false /** When the timeout ends, if it has not. */; readonly retryAfterMs?: number }
  | {
      readonly release: true;
      readonly reason: (typeof FinalizerReleaseReasons)[keyof typeof FinalizerReleaseReasons];
      readonly clusters: readonly string[];
      readonly message: string;
    };

export function forceRequested(annotations: Readonly<Record<string, string>> | undefined): boolean {
  return annotations?.[ANNOTATION_FORCE_FINALIZE]?.trim().toLowerCase() === 'true';
}

export function finalizerWait(input: FinalizerWaitInput): FinalizerWaitDecision {
  if (input.blocked.length === 0) return { release: false };
  const clusters = [...new Set(input.blocked)].sort();
  const where = `${clusters.length === 1 ? 'cluster' : 'clusters'} ${clusters.join(', ')}`;
  const left = `${input.leftBehind} may remain on ${where}; check ${clusters.length === 1 ? 'it' : 'them'} once reachable and remove what is left`;
  if (forceRequested(input.annotations)) {
    return {
      release: true,
      reason: FinalizerReleaseReasons.Forced,
      clusters,
      message: `finalizer ${input.finalizer} released on annotation ${ANNOTATION_FORCE_FINALIZE}=true; ${left}`,
    };
  }
  const since = input.deletionTimestamp ? Date.parse(input.deletionTimestamp) : NaN;
  // Without a readable deletion time the wait cannot be bounded safely by this rule: keep waiting (force still works).
  if (!Number.isFinite(since)) return { release: false };
  const elapsed = input.now - since;
  if (elapsed < input.timeoutMs) return { release: false, retryAfterMs: input.timeoutMs - elapsed };
  const seconds = Math.round(input.timeoutMs / 1000);
  return {
    release: true,
    reason: FinalizerReleaseReasons.TimedOut,
    clusters,
    message: `finalizer ${input.finalizer} released after waiting ${seconds} s for ${where}; ${left}`,
  };
}

/** The timeout in ms from CANOPY_FINALIZER_TIMEOUT_SECONDS's value; throws a one-sentence error on anything but a non-negative integer. */
export function parseFinalizerTimeoutSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(seconds))
    throw new Error(`finalizer timeout must be a whole number of seconds (0 or more), got "${value}"`);
  return seconds * 1000;
}

/** The Warning Event and log line of a released finalizer: the only record of what was left behind. */
export function announceRelease(
  ctx: {
    readonly events: { warning(object: KubeObject, reason: string, message: string): void };
    readonly logger: { warn(fields: object, message: string): void };
  },
  object: KubeObject,
  decision: FinalizerWaitDecision & { release: true },
): void {
  ctx.events.warning(object, decision.reason, decision.message);
  ctx.logger.warn({ clusters: decision.clusters, reason: decision.reason }, decision.message);
}

/** deletionTimestamp as the cache holds it: a string, or a Date when a client library parsed it. */
export function timestampText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  return undefined;
}
