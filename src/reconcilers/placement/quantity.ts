import type { Quantity, ResourceList } from '../../crds/common.js';
/**
 * Kubernetes resource quantities as plain numbers (cores for cpu, bytes for
 * memory). Placement only compares and multiplies quantities, so a float is
 * precise enough and far cheaper than an arbitrary-precision type.
 */

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** Parses a quantity; returns `undefined` for anything Kubernetes would reject. */
export function parseQuantity(q: Quantity | undefined | null): number | undefined {
  if (q === undefined || q === null) return undefined;
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2] !== undefined) return base * 10 ** Number(m[2].slice(1));
  return base * (SUFFIX[m[3] ?? ''] ?? 1);
}

/** Parses every entry of a ResourceList, dropping unparsable values. */
export function parseResourceList(list: ResourceList | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!list) return out;
  for (const [name, q] of Object.entries(list)) {
    const v = parseQuantity(q);
    if (v !== undefined) out.set(name, v);
  }
  return out;
}

/** Renders a number of a resource for a human: cores as-is, bytes in Gi/Mi. */
export function formatResource(name: string, value: number): string {
  if (name === 'memory' || name.endsWith('storage')) {
    if (Math.abs(value) >= 1024 ** 3) return `${round(value / 1024 ** 3)}Gi`;
    if (Math.abs(value) >= 1024 ** 2) return `${round(value / 1024 ** 2)}Mi`;
    return `${round(value)}`;
  }
  return `${round(value)}`;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
