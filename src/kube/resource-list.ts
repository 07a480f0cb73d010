/**
 * ResourceList helpers shared by constraint and quota math.
 */

import type { ResourceList } from '../crds/common.js';
import { addQuantities, compareQuantities, formatQuantity, type Quantity, tryParseQuantity } from './quantity.js';

// ResourceQuota treats the bare compute names as the requests.* ones ("cpu:
// across all pods, the sum of CPU requests"), so a parent limiting "cpu" and a
// child asking for "requests.cpu" are talking about the same budget.
const REQUEST_ALIASES: Readonly<Record<string, string>> = {
  cpu: 'requests.cpu',
  memory: 'requests.memory',
  'ephemeral-storage': 'requests.ephemeral-storage',
};

export function canonicalResourceName(name: string): string {
  return REQUEST_ALIASES[name] ?? name;
}

export interface ParsedResourceList {
  readonly values: ReadonlyMap<string, Quantity>;
  /** Entries that are not quantities, as written. */
  readonly invalid: readonly { name: string; value: string }[];
}

/** Canonical names; if a list names both "cpu" and "requests.cpu" the smaller wins, as both bind. */
export function parseResourceList(list: ResourceList | undefined): ParsedResourceList {
  const values = new Map<string, Quantity>();
  const invalid: { name: string; value: string }[] = [];
  for (const [name, raw] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(raw);
    if (!q) {
      invalid.push({ name, value: String(raw) });
      continue;
    }
    const key = canonicalResourceName(name);
    const existing = values.get(key);
    if (!existing || compareQuantities(q, existing) < 0) values.set(key, q);
  }
  return { values, invalid };
}

/** Sums lists entry by entry (names canonicalized; unparsable entries skipped). */
export function sumResourceLists(lists: Iterable<ResourceList | undefined>): Map<string, Quantity> {
  const total = new Map<string, Quantity>();
  for (const list of lists) {
    for (const [name, q] of parseResourceList(list).values) {
      const prev = total.get(name);
      total.set(name, prev ? addQuantities(prev, q) : q);
    }
  }
  return total;
}

export function toResourceList(values: ReadonlyMap<string, Quantity>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...values.keys()].sort()) out[name] = formatQuantity(values.get(name)!);
  return out;
}
