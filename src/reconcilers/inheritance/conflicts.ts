/**
 * Where a user's own object stands in the way of a copy: per namespace and
 * object key, the source that could not be copied there. The workspace that
 * owns the namespace reports these as its PropagationConflict condition.
 *
 * A plan re-evaluates some (namespace, key) pairs; whatever it evaluated and
 * did not find in conflict any more is cleared, so the registry follows the
 * plans without a separate sweep.
 */

import type { SourceObject } from './objects.js';

export interface Conflict {
  namespace: string;
  key: string;
  source: SourceObject;
}

export class ConflictRegistry {
  private readonly byNamespace = new Map<string, Map<string, Conflict>>();
  private readonly listeners = new Set<(namespace: string) => void>();

  /** Called with a namespace whose conflicts changed. */
  onChange(listener: (namespace: string) => void): void {
    this.listeners.add(listener);
  }

  in(namespace: string): Conflict[] {
    return [...(this.byNamespace.get(namespace)?.values() ?? [])];
  }

  get size(): number {
    let n = 0;
    for (const inNamespace of this.byNamespace.values()) n += inNamespace.size;
    return n;
  }

  /**
   * Records the outcome of a plan: `found` are the conflicts it met; every
   * other conflict in `visited` namespaces (restricted to `key` if the plan
   * was for one key) is gone.
   */
  settle(visited: Iterable<string>, key: string | undefined, found: readonly Conflict[]): void {
    const touched = new Set<string>();
    const foundBy = new Map<string, Set<string>>();
    for (const conflict of found) {
      let keys = foundBy.get(conflict.namespace);
      if (!keys) foundBy.set(conflict.namespace, (keys = new Set()));
      keys.add(conflict.key);
    }
    for (const namespace of visited) {
      const inNamespace = this.byNamespace.get(namespace);
      if (!inNamespace) continue;
      for (const existing of [...inNamespace.keys()]) {
        if (key !== undefined && existing !== key) continue;
        if (foundBy.get(namespace)?.has(existing)) continue;
        inNamespace.delete(existing);
        touched.add(namespace);
      }
      if (inNamespace.size === 0) this.byNamespace.delete(namespace);
    }
    for (const conflict of found) if (this.add(conflict)) touched.add(conflict.namespace);
    for (const namespace of touched) for (const listener of this.listeners) listener(namespace);
  }

  /** Forgets a namespace (it left the tree or was deleted). */
  forget(namespace: string): void {
    if (!this.byNamespace.delete(namespace)) return;
    for (const listener of this.listeners) listener(namespace);
  }

  private add(conflict: Conflict): boolean {
    let inNamespace = this.byNamespace.get(conflict.namespace);
    if (!inNamespace) this.byNamespace.set(conflict.namespace, (inNamespace = new Map()));
    const before = inNamespace.get(conflict.key);
    inNamespace.set(conflict.key, conflict);
    return before?.source.namespace !== conflict.source.namespace;
  }
}
