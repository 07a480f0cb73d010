import type { KubeObject } from './object.js';
import { objectKey } from './object.js';

/** Maps an object to the index values it is found under (none: not indexed). */
export type IndexFunc<T extends KubeObject = KubeObject> = (object: T) => readonly string[];

/** Built-in index: objects by namespace. */
export const NAMESPACE_INDEX = 'namespace';
/** Built-in index: objects by the uid of each of their owners. */
export const OWNER_UID_INDEX = 'owner-uid';

/** An index function over the value of one label (`byIndex('label:team', 'a')`). */
export function labelIndex(labelKey: string): IndexFunc {
  return (object) => {
    const value = object.metadata?.labels?.[labelKey];
    return value === undefined ? [] : [value];
  };
}

const byNamespace: IndexFunc = (object) => (object.metadata?.namespace ? [object.metadata.namespace] : []);
const byOwnerUid: IndexFunc = (object) => object.metadata?.ownerReferences?.map((ref) => ref.uid) ?? [];

/**
 * The informer's cache: objects by `namespace/name` key, plus secondary
 * indices kept up to date on every write (client-go's ThreadSafeStore).
 * Index values are recomputed from the old object on update instead of being
 * stored per key, which saves a map entry per object.
 */
export class Store<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor() {
    this.addIndexer(NAMESPACE_INDEX, byNamespace as IndexFunc<T>);
    this.addIndexer(OWNER_UID_INDEX, byOwnerUid as IndexFunc<T>);
  }

  get size(): number {
    return this.items.size;
  }

  /** Adds an index; objects already stored are indexed at once. Adding the same name again is a no-op. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexers.has(name)) return;
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, object] of this.items) this.indexOne(index, fn, key, object);
  }

  hasIndex(name: string): boolean {
    return this.indexers.has(name);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  keys(): IterableIterator<string> {
    return this.items.keys();
  }

  values(): IterableIterator<T> {
    return this.items.values();
  }

  /** Objects whose index function returned `value` for index `name`. */
  byIndex(name: string, value: string): T[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`no index named ${name}; add it with addIndexer first`);
    const keys = index.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const key of keys) {
      const object = this.items.get(key);
      if (object) out.push(object);
    }
    return out;
  }

  /** The index values present in index `name` (e.g. every namespace with objects). */
  indexValues(name: string): string[] {
    return [...(this.indices.get(name)?.keys() ?? [])];
  }

  /** Stores the object; returns the one it replaced. */
  upsert(object: T): T | undefined {
    const key = objectKey(object);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, object);
    for (const [name, fn] of this.indexers) this.indexOne(this.indices.get(name)!, fn, key, object);
    return old;
  }

  /** Removes the object under `key`; returns it. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private indexOne(index: Map<string, Set<string>>, fn: IndexFunc<T>, key: string, object: T): void {
    for (const value of fn(object)) {
      let keys = index.get(value);
      if (!keys) index.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindex(key: string, object: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const value of fn(object)) {
        const keys = index.get(value);
        if (!keys) continue;
        keys.delete(key);
        if (keys.size === 0) index.delete(value);
      }
    }
  }
}
