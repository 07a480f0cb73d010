/**
 * Replica division: pure arithmetic, no cluster objects. The result always
 * sums to the requested total (when there is at least one candidate with a
 * weight), whatever the weights, bounds and capacities.
 */

export interface DivisionCandidate {
  readonly name: string;
  /** Relative share; 0 means the candidate takes no part. */
  readonly weight: number;
  /** Replicas that fit; Infinity when unknown or unlimited. */
  readonly capacity: number;
}

export interface DivisionRequest {
  readonly total: number;
  /** In preference order: when not all candidates can get replicas, earlier ones win. */
  readonly candidates: readonly DivisionCandidate[];
  readonly minPerCluster?: number;
  readonly maxClusters?: number;
  /** The first `seeds` candidates taking part must get at least one replica (spread coverage). */
  readonly seeds?: number;
}

export interface DivisionResult {
  /** Candidates with replicas, in candidate order. */
  readonly assignments: readonly { readonly name: string; readonly replicas: number }[];
  /** Candidates that take part in nothing, with why. */
  readonly dropped: readonly { readonly name: string; readonly reason: string }[];
  /** Replicas placed beyond capacity because all clusters together were too small. */
  readonly overflow: number;
  /** Why the request could not be met at all (then assignments is empty). */
  readonly error?: string;
  /** Limits that could not be honoured (e.g. minPerCluster above the total). */
  readonly notes: readonly string[];
}

const WEIGHT_ZERO = 'weight 0 in the replica weights';

export function divideReplicas(req: DivisionRequest): DivisionResult {
  const total = Math.max(0, Math.floor(req.total));
  const minPer = Math.max(0, Math.floor(req.minPerCluster ?? 0));
  const maxClusters = req.maxClusters !== undefined && req.maxClusters > 0 ? Math.floor(req.maxClusters) : Infinity;
  const dropped: { name: string; reason: string }[] = [];
  const notes: string[] = [];
  const live: DivisionCandidate[] = [];
  for (const c of req.candidates) {
    if (c.weight > 0 && Number.isFinite(c.weight)) live.push(c);
    else dropped.push({ name: c.name, reason: WEIGHT_ZERO });
  }
  if (live.length === 0) {
    return { assignments: [], dropped, overflow: 0, notes, error: 'every candidate cluster has replica weight 0' };
  }
  if (total === 0) {
    // Keep the object (scaled to zero) on the best cluster rather than nowhere.
    for (const c of live.slice(1)) dropped.push({ name: c.name, reason: 'the object has 0 replicas' });
    return { assignments: [{ name: live[0]!.name, replicas: 0 }], dropped, overflow: 0, notes };
  }

  let n = Math.min(live.length, maxClusters);
  let lowerBound = minPer;
  if (minPer > 0 && n * minPer > total) {
    n = Math.max(1, Math.floor(total / minPer));
    if (total < minPer) {
      lowerBound = total;
      notes.push(`minPerCluster ${minPer} exceeds the ${total} replica(s); all go to one cluster`);
    }
  }
  const seeds = Math.min(req.seeds ?? 0, live.length);
  if (seeds > n) {
    return {
      assignments: [],
      dropped,
      overflow: 0,
      notes,
      error: `${total} replica(s) with minPerCluster ${minPer} and maxClusters ${fmt(maxClusters)} allow ${n} cluster(s), fewer than the ${seeds} spread groups required`,
    };
  }
  const chosen = live.slice(0, n);
  if (live.length > n) {
    const why = n === maxClusters ? `maxClusters ${maxClusters}` : `minPerCluster ${minPer} with ${total} replica(s)`;
    const reason = `ranked below the ${n} cluster(s) that ${why} allows`;
    for (let i = n; i < live.length; i++) dropped.push({ name: live[i]!.name, reason });
  }
  const bounds = chosen.map((_, i) => Math.max(lowerBound, i < seeds ? 1 : 0));
  const { allocation, overflow } = apportion(
    total,
    chosen.map((c) => c.weight),
    bounds,
    chosen.map((c) => c.capacity),
    chosen.map((c) => c.name),
  );
  const assignments: { name: string; replicas: number }[] = [];
  const none = `received 0 of ${total} replica(s) by weight`;
  chosen.forEach((c, i) => {
    const r = allocation[i]!;
    if (r > 0) assignments.push({ name: c.name, replicas: r });
    else dropped.push({ name: c.name, reason: none });
  });
  return { assignments, dropped, overflow, notes };
}

function fmt(n: number): string {
  return Number.isFinite(n) ? String(n) : 'unset';
}

/**
 * Bounded largest-remainder (Hamilton) apportionment of `total` by
 * `weights`, every share within [lower, capacity] (lower wins over
 * capacity). Candidates whose exact quota falls outside their bounds are
 * pinned to the bound and the rest re-apportioned, until the quotas of the
 * rest fit; then floors plus the largest remainders, ties by name. All
 * comparisons use integers (quota numerators over a common denominator), so
 * the result does not depend on float rounding.
 *
 * Precondition: sum(lower) <= total. If capacities cannot hold the total,
 * everyone is filled to capacity and the rest (`overflow`) is apportioned by
 * weight on top.
 */
export function apportion(
  total: number,
  weights: readonly number[],
  lower: readonly number[],
  capacity: readonly number[],
  names: readonly string[],
): { allocation: number[]; overflow: number } {
  const w = integerWeights(weights);
  const n = w.length;
  const alloc: number[] = new Array<number>(n).fill(0);
  const fixed: boolean[] = new Array<boolean>(n).fill(false);
  const cap = capacity.map((c, i) => Math.max(c, lower[i]!));
  let remaining = total;
  for (;;) {
    const free: number[] = [];
    let W = 0;
    for (let i = 0; i < n; i++) {
      if (fixed[i]) continue;
      free.push(i);
      W += w[i]!;
    }
    if (free.length === 0) break;
    // Lower violators first: pinning them only lowers the others' quotas.
    let changed = false;
    for (const i of free) {
      if (remaining * w[i]! < lower[i]! * W) {
        fixed[i] = true;
        alloc[i] = lower[i]!;
        changed = true;
      }
    }
    if (changed) {
      remaining = total - sumFixed(alloc, fixed);
      continue;
    }
    for (const i of free) {
      if (remaining * w[i]! > cap[i]! * W) {
        fixed[i] = true;
        alloc[i] = cap[i]!;
        changed = true;
      }
    }
    if (changed) {
      remaining = total - sumFixed(alloc, fixed);
      continue;
    }
    hamilton(remaining, free, w, W, names, alloc);
    remaining = 0;
    break;
  }
  // Only reachable when every candidate hit its capacity.
  const overflow = Math.max(0, remaining);
  if (overflow > 0) {
    const all = [...Array(n).keys()];
    const extra = new Array<number>(n).fill(0);
    hamilton(
      overflow,
      all,
      w,
      w.reduce((a, b) => a + b, 0),
      names,
      extra,
    );
    for (let i = 0; i < n; i++) alloc[i]! += extra[i]!;
  }
  return { allocation: alloc, overflow };
}

/** Floors, then one more each to the largest remainders (ties: name order). */
function hamilton(total: number, idx: readonly number[], w: readonly number[], W: number, names: readonly string[], out: number[]): void {
  if (W === 0 || idx.length === 0) return;
  const rem: { i: number; r: number }[] = [];
  let given = 0;
  for (const i of idx) {
    const num = total * w[i]!;
    let f = Math.floor(num / W);
    if (f * W > num) f -= 1; // guard against a quotient rounded up to the next integer
    out[i] = f;
    given += f;
    rem.push({ i, r: num - f * W });
  }
  let left = total - given;
  if (left <= 0) return;
  rem.sort((a, b) => b.r - a.r || (names[a.i]! < names[b.i]! ? -1 : names[a.i]! > names[b.i]! ? 1 : 0));
  for (const { i } of rem) {
    if (left === 0) break;
    out[i]! += 1;
    left -= 1;
  }
}

function sumFixed(alloc: readonly number[], fixed: readonly boolean[]): number {
  let s = 0;
  for (let i = 0; i < alloc.length; i++) if (fixed[i]) s += alloc[i]!;
  return s;
}

/**
 * Integer weights with the same ratios (up to rounding), so that the quota
 * arithmetic is exact: integers stay as they are, fractions are scaled, huge
 * values (free capacity in replicas) are scaled down to keep products far
 * below 2^53. A positive weight never rounds to 0.
 */
function integerWeights(weights: readonly number[]): number[] {
  const max = Math.max(...weights);
  const allIntegers = weights.every((x) => Number.isInteger(x));
  if (allIntegers && max <= MAX_WEIGHT) return [...weights];
  const scale = allIntegers ? MAX_WEIGHT / max : max * 1e6 > MAX_WEIGHT ? MAX_WEIGHT / max : 1e6;
  return weights.map((x) => (x > 0 ? Math.max(1, Math.round(x * scale)) : 0));
}

const MAX_WEIGHT = 1e6;
