/**
 * Sizes and seed of the chaos suites. The short form runs inside `npm test`
 * on a loaded two-core machine; the long form (`npm run test:chaos`, which
 * sets CANOPY_CHAOS=long) is the size. Every random choice a suite
 * makes comes from the seed, so a failing run can be replayed with
 * CANOPY_CHAOS_SEED=<seed>. Single knobs can be overridden for a run that
 * must fit a smaller machine (CANOPY_CHAOS_LOGICAL_CLUSTERS, ...): the suites
 * print what they ran, so a recorded figure always names its real size.
 */
import { mulberry32 } from '../../support/random.js';

export const LONG = process.env.CANOPY_CHAOS === 'long';

function knob(name: string, short: number, long: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return LONG ? long : short;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${raw}: expected a non-negative integer`);
  return n;
}

/** The run's seed: CANOPY_CHAOS_SEED, else fixed for the short form (reproducible CI) and time-based for the long form. */
export const SEED: number = (() => {
  const raw = process.env.CANOPY_CHAOS_SEED;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new Error(`CANOPY_CHAOS_SEED=${raw}: expected an integer`);
    return n >>> 0;
  }
  return LONG ? Date.now() % 1_000_000 : 2126;
})();

export const SCALE = {
  /** Leader storm: LogicalClusters created during the storm. */
  logicalClusters: knob('CANOPY_CHAOS_LOGICAL_CLUSTERS', 40, 1000),
  /** Leader storm: Deployments placed on the members during the storm. */
  deployments: knob('CANOPY_CHAOS_DEPLOYMENTS', 20, 200),
  /** Leader storm: how many leader kills (some of them of both replicas). */
  kills: knob('CANOPY_CHAOS_KILLS', 4, 40),
  /** Leader storm: how long a leader leads before it is killed (shortest, longest), in ms. */
  killGapMinMs: knob('CANOPY_CHAOS_KILL_GAP_MIN_MS', 2000, 3000),
  killGapMaxMs: knob('CANOPY_CHAOS_KILL_GAP_MAX_MS', 5000, 9000),
  /** API and member faults: objects each scenario works on. */
  faultObjects: knob('CANOPY_CHAOS_FAULT_OBJECTS', 12, 60),
  /** How long a suite waits for convergence after its last fault (generous: a loaded machine is slow, never wrong). */
  convergeMs: knob('CANOPY_CHAOS_CONVERGE_MS', 300_000, 1_800_000),
} as const;

/** A seeded random source with the few operations the suites need. */
export class Chance {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export function describeScale(): string {
  return `${LONG ? 'long' : 'short'} form, seed ${SEED}`;
}
