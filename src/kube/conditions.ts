import type { Condition, ConditionStatus } from '../crds/common.js';

/**
 * The one transition rule of metav1.Condition: lastTransitionTime moves only
 * when the status flips, so "NotReady since" stays meaningful across
 * reconciles. Every status writer in Canopy stamps conditions through it.
 */
export function transitionTime<T>(previous: { readonly status: string; readonly lastTransitionTime: T } | undefined, status: ConditionStatus, now: T): T {
  return previous !== undefined && previous.status === status ? previous.lastTransitionTime : now;
}

/** What a reconciler decides about one condition; timestamps are filled in by `setConditions`. */
export interface ConditionUpdate {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

/**
 * Merges condition updates into the previous list the way metav1.Condition
 * expects: lastTransitionTime moves only when the status flips, so "NotReady
 * since" stays meaningful across reconciles; untouched types are kept.
 */
export function setConditions(
  previous: readonly Condition[] | undefined,
  updates: readonly ConditionUpdate[],
  generation: number | undefined,
  now: Date = new Date(),
): Condition[] {
  const result = [...(previous ?? [])];
  for (const update of updates) {
    const index = result.findIndex((c) => c.type === update.type);
    const before = index >= 0 ? result[index] : undefined;
    const next: Condition = {
      type: update.type,
      status: update.status,
      reason: update.reason,
      message: update.message,
      lastTransitionTime: transitionTime(before, update.status, now.toISOString()),
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
    if (index >= 0) result[index] = next;
    else result.push(next);
  }
  return result;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True when both lists say the same thing (ignoring order), so a status write can be skipped. */
export function sameConditions(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const key = (c: Condition) => `${c.type}|${c.status}|${c.reason}|${c.message}|${c.lastTransitionTime}|${c.observedGeneration ?? ''}`;
  const left = (a ?? []).map(key).sort();
  const right = (b ?? []).map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}
