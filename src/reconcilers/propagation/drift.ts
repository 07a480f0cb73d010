/**
 * Drift: does the object on the member still say what Canopy applied?
 *
 * Server-side apply makes the desired manifest a statement about the fields
 * Canopy sets, so the check is "every field of the desired manifest is
 * present in the live object with the same value"; fields the apiserver
 * defaulted or other controllers added do not count. Lists must match in
 * length too, since an element added by hand (an extra container) is drift.
 *
 * A false "drifted" (a value the apiserver normalised, such as a quantity
 * `0.5` stored as `500m`) only costs one no-op apply; a false "in sync"
 * would leave a hand edit in place, so the comparison errs on the first side.
 */
import { isRecord } from './portable.js';

/** A path (`spec.template.spec.containers[0].image`) where live differs from desired, or undefined. */
export function firstDifference(desired: unknown, live: unknown, path = ''): string | undefined {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return path || '<root>';
    for (let i = 0; i < desired.length; i++) {
      const d = firstDifference(desired[i], live[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (isRecord(desired)) {
    if (!isRecord(live)) return path || '<root>';
    for (const [k, v] of Object.entries(desired)) {
      if (v === undefined) continue;
      const d = firstDifference(v, live[k], path ? `${path}.${k}` : k);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (desired === null) return live === null || live === undefined ? undefined : path;
  return desired === live ? undefined : path || '<root>';
}

/**
 * True when the live object carries everything the desired manifest sets:
 * firstDifference without building paths, as it runs for every copy of
 * every reconcile.
 */
export function inSync(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    for (let i = 0; i < desired.length; i++) if (!inSync(desired[i], live[i])) return false;
    return true;
  }
  if (isRecord(desired)) {
    if (!isRecord(live)) return false;
    for (const k in desired) {
      const v = desired[k];
      if (v !== undefined && !inSync(v, live[k])) return false;
    }
    return true;
  }
  if (desired === null) return live === null || live === undefined;
  return desired === live;
}
