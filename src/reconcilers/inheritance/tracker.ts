/**
 * The objects propagation reads, for every propagated type: one informer per
 * type over all namespaces, each object stripped to identity, labels, the
 * propagate.* annotations and a content fingerprint (content.ts), indexed the
 * way the planner asks (namespace → object key) and by the namespace copies
 * were inherited from.
 *
 * Why all namespaces and not one watch per home namespace: sources can appear
 * in any namespace that becomes a home namespace, conflicts are users' objects
 * anywhere below, and a thousand per-namespace watches cost more connections
 * and memory than one stripped cache (measured in docs/benchmarks.md).
 *
 * Writes by the propagator are recorded here at once (write-through), so the
 * next plan sees them before their watch events arrive; events that arrive
 * while a write is in flight are held against its result (endWrite).
 */

import type { Logger } from 'pino';
import { Informer, type ApiClient, type InformerEvent, type KubeObject, type ResourceRef } from '../../runtime/index.js';
import { LABEL_INHERITED_FROM } from '../../crds/labels.js';
import { strip, withHash, type TrackedObject } from './content.js';
import { type ExistingObject, isCopy, objectKey, type SourceObject } from './objects.js';

/** One indexed object: what the planner reads as a source or an existing object. */
export interface Entry extends SourceObject {
  uid?: string | undefined;
  resourceVersion?: string | undefined;
  excluded?: boolean | undefined;
  /** The whole object, for sources the informer kept whole. */
  body?: KubeObject | undefined;
}

export type TrackerEvent = { kind: 'upsert'; entry: Entry; previous: Entry | undefined } | { kind: 'delete'; entry: Entry; previous: Entry | undefined };

export function entryOf(object: TrackedObject): Entry {
  const meta = object.metadata;
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: meta.name,
    namespace: meta.namespace,
    labels: meta.labels,
    annotations: meta.annotations,
    hash: object.hash,
    uid: meta.uid,
    resourceVersion: meta.resourceVersion,
    excluded: object.excluded,
    body: object.body,
  };
}

export class ObjectIndex {
  /** Namespace → object key → every tracked object (copies, sources, users' objects). */
  private readonly all = new Map<string, Map<string, Entry>>();
  /** Namespace → object key → objects that may be sources (not copies, not excluded). */
  private readonly candidates = new Map<string, Map<string, Entry>>();
  /** Source namespace → "namespace|key" of its copies. */
  private readonly inherited = new Map<string, Set<string>>();

  get existing(): ReadonlyMap<string, ReadonlyMap<string, ExistingObject>> {
    return this.all;
  }

  get sources(): ReadonlyMap<string, ReadonlyMap<string, SourceObject>> {
    return this.candidates;
  }

  get(namespace: string, key: string): Entry | undefined {
    return this.all.get(namespace)?.get(key);
  }

  /** Copies inherited from `sourceNamespace`, as [namespace, key]. */
  copiesFrom(sourceNamespace: string): Array<[string, string]> {
    return [...(this.inherited.get(sourceNamespace) ?? [])].map((k) => {
      const bar = k.indexOf('|');
      return [k.slice(0, bar), k.slice(bar + 1)];
    });
  }

  /** Every object in a namespace. */
  inNamespace(namespace: string): ReadonlyMap<string, Entry> {
    return this.all.get(namespace) ?? EMPTY;
  }

  /** Records an object; returns what it replaced. */
  upsert(entry: Entry): Entry | undefined {
    const key = objectKey(entry);
    const previous = this.remove(entry.namespace, key);
    put(this.all, entry.namespace, key, entry);
    if (isCopy(entry)) {
      const from = entry.labels![LABEL_INHERITED_FROM]!;
      let set = this.inherited.get(from);
      if (!set) this.inherited.set(from, (set = new Set()));
      set.add(`${entry.namespace}|${key}`);
    } else if (!entry.excluded) {
      put(this.candidates, entry.namespace, key, entry);
    }
    return previous;
  }

  remove(namespace: string, key: string): Entry | undefined {
    const previous = this.all.get(namespace)?.get(key);
    if (!previous) return undefined;
    drop(this.all, namespace, key);
    drop(this.candidates, namespace, key);
    const from = previous.labels?.[LABEL_INHERITED_FROM];
    if (from !== undefined) {
      const set = this.inherited.get(from);
      set?.delete(`${namespace}|${key}`);
      if (set?.size === 0) this.inherited.delete(from);
    }
    return previous;
  }
}

const EMPTY: ReadonlyMap<string, Entry> = new Map();

function put(index: Map<string, Map<string, Entry>>, namespace: string, key: string, entry: Entry): void {
  let inNamespace = index.get(namespace);
  if (!inNamespace) index.set(namespace, (inNamespace = new Map()));
  inNamespace.set(key, entry);
}

function drop(index: Map<string, Map<string, Entry>>, namespace: string, key: string): void {
  const inNamespace = index.get(namespace);
  if (!inNamespace) return;
  inNamespace.delete(key);
  if (inNamespace.size === 0) index.delete(namespace);
}

/**
 * The informers behind the index, one per propagated type, started as types
 * become known (Role and RoleBinding at once; spec.propagate types when a
 * workspace names them).
 */
export class ObjectTracker {
  readonly index = new ObjectIndex();
  private readonly informers = new Map<string, Informer<TrackedObject>>();
  private readonly listeners = new Set<(event: TrackerEvent) => void>();
  /** "namespace|key" → writes in flight, and the watch events seen meanwhile. */
  private readonly pending = new Map<string, { writers: number; seen: Array<{ type: string; resourceVersion: string | undefined }> }>();
  private running = false;

  constructor(
    private readonly client: ApiClient,
    private readonly logger: Logger,
    /** Whether an object may be a source, so its body is worth keeping (a non-copy in a home namespace). */
    private readonly keepBody: (object: KubeObject) => boolean = () => false,
  ) {}

  /** Receives every change of the index that came from the API (not write-through). */
  onChange(listener: (event: TrackerEvent) => void): void {
    this.listeners.add(listener);
  }

  has(typeKey: string): boolean {
    return this.informers.has(typeKey);
  }

  informer(typeKey: string): Informer<TrackedObject> | undefined {
    return this.informers.get(typeKey);
  }

  /** Starts caching a type (idempotent). */
  track(typeKey: string, resource: ResourceRef): Informer<TrackedObject> {
    let informer = this.informers.get(typeKey);
    if (informer) return informer;
    informer = new Informer<TrackedObject>(this.client, resource, { transform: (o) => this.transform(o) }, this.logger);
    informer.on((event) => this.handle(event));
    this.informers.set(typeKey, informer);
    if (this.running) informer.start();
    return informer;
  }

  /** True once every tracked type's first list is in. */
  synced(): boolean {
    for (const informer of this.informers.values()) if (!informer.hasSynced()) return false;
    return true;
  }

  /** Objects cached across all types (for metrics and the benchmark). */
  get size(): number {
    let n = 0;
    for (const informer of this.informers.values()) n += informer.size;
    return n;
  }

  start(): void {
    this.running = true;
    for (const informer of this.informers.values()) informer.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  /**
   * Marks a write to (namespace, key) as in flight. Its own watch event may
   * arrive before the response; events meanwhile are recorded (isPending
   * tells listeners to leave them to the writer) and judged in endWrite.
   */
  beginWrite(namespace: string, key: string): void {
    const id = `${namespace}|${key}`;
    const flight = this.pending.get(id);
    if (flight) flight.writers++;
    else this.pending.set(id, { writers: 1, seen: [] });
  }

  isPending(namespace: string, key: string): boolean {
    return this.pending.has(`${namespace}|${key}`);
  }

  /**
   * Ends a write: `result` is the stored object the apiserver returned,
   * 'deleted', or undefined when the write failed. Records a successful
   * write in the index at once (write-through), unless something else
   * happened to the object while the write was in flight: then the cache
   * keeps what the watch said, and the caller must look at it again (false).
   */
  endWrite(namespace: string, key: string, result: TrackedObject | 'deleted' | undefined): boolean {
    const id = `${namespace}|${key}`;
    const flight = this.pending.get(id);
    if (flight && --flight.writers <= 0) this.pending.delete(id);
    if (result === undefined) return true;
    const seen = flight?.seen ?? [];
    if (result === 'deleted') {
      if (seen.some((e) => e.type !== 'delete')) return false;
      this.index.remove(namespace, key);
      return true;
    }
    if (seen.some((e) => e.type === 'delete' || e.resourceVersion !== result.metadata.resourceVersion)) return false;
    this.index.upsert(entryOf(result));
    return true;
  }

  /**
   * strip, but a copy whose exact version the index already holds (the echo
   * of a write recorded by endWrite) keeps its fingerprint instead of being
   * hashed again: that is most events while copies are being written.
   */
  private transform(object: KubeObject): TrackedObject {
    const meta = object.metadata;
    const known =
      meta?.name && meta.namespace
        ? this.index.get(meta.namespace, objectKey({ apiVersion: object.apiVersion ?? '', kind: object.kind ?? '', name: meta.name }))
        : undefined;
    if (
      known?.hash !== undefined &&
      known.resourceVersion === meta?.resourceVersion &&
      known.uid === meta?.uid &&
      isCopy(known) &&
      isCopy({ labels: meta?.labels })
    ) {
      return withHash(object, known.hash);
    }
    return strip(object, this.keepBody);
  }

  private handle(event: InformerEvent<TrackedObject>): void {
    const entry = entryOf(event.object);
    const key = objectKey(entry);
    this.pending.get(`${entry.namespace}|${key}`)?.seen.push({ type: event.type, resourceVersion: event.object.metadata.resourceVersion });
    let change: TrackerEvent;
    if (event.type === 'delete') {
      const previous = this.index.remove(entry.namespace, key);
      change = { kind: 'delete', entry, previous };
    } else {
      // An update that moved the object (never happens for a name) still leaves one entry per key.
      const previous = this.index.upsert(entry);
      change = { kind: 'upsert', entry, previous };
    }
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, 'workspace object listener threw');
      }
    }
  }
}
