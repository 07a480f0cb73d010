import type { KubeObject } from './object.js';

/**
 * Shares one copy of the short strings that repeat across cached objects
 * (namespaces, label and annotation values, owner kinds, timestamps).
 * JSON.parse gives every object its own copies; with tens of thousands of
 * objects the duplicates are a large part of the cache. The pool is bounded:
 * when full it starts over (objects keep the copies they already share).
 */
const MAX_INTERNED_LENGTH = 64;
const MAX_POOL_SIZE = 100_000;
let pool = new Map<string, string>();

export function intern(value: string): string {
  if (value.length > MAX_INTERNED_LENGTH) return value;
  const shared = pool.get(value);
  if (shared !== undefined) return shared;
  if (pool.size >= MAX_POOL_SIZE) pool = new Map();
  pool.set(value, value);
  return value;
}

function internValues(map: Record<string, string> | undefined): void {
  if (!map) return;
  for (const key in map) {
    const value = map[key];
    if (typeof value === 'string') map[key] = intern(value);
  }
}

/** Replaces repeated metadata strings of `object` with shared copies, in place. */
export function internMetadata(object: KubeObject): void {
  const meta = object.metadata as (KubeObject['metadata'] & { creationTimestamp?: unknown }) | undefined;
  if (!meta) return;
  if (meta.namespace) meta.namespace = intern(meta.namespace);
  if (typeof meta.creationTimestamp === 'string') meta.creationTimestamp = intern(meta.creationTimestamp);
  internValues(meta.labels);
  internValues(meta.annotations);
  if (meta.ownerReferences) {
    for (const ref of meta.ownerReferences) {
      ref.apiVersion = intern(ref.apiVersion);
      ref.kind = intern(ref.kind);
      ref.name = intern(ref.name);
    }
  }
  if (meta.finalizers) meta.finalizers = meta.finalizers.map(intern);
}
