/**
 * Read-your-writes for reconcilers: an informer's cache shows a write only
 * when its watch event arrives, and on a busy apiserver that can be hundreds
 * of milliseconds after the write returned. A reconcile that runs in between
 * (woken by some other event) would decide on the old object: write the same
 * status again, or put back a value it has just replaced. Writers record the
 * object the apiserver returned; readers take the fresher of that and the
 * cache. Records are dropped once the cache has caught up or after a short
 * time, so memory stays bounded by the writes of the last few seconds.
 */
import type { KubeObject } from './object.js';
import { objectKey } from './object.js';

interface Record {
  readonly object: KubeObject;
  readonly revision: bigint;
  readonly at: number;
}

/** resourceVersion as a number when it is one (etcd's revision); undefined when it is opaque. */
function revisionOf(object: KubeObject | undefined): bigint | undefined {
  const rv = object?.metadata?.resourceVersion;
  return rv && /^\d+$/.test(rv) ? BigInt(rv) : undefined;
}

/** Told of each recorded write: which resource, the stored object, and who wrote it. */
export type WriteListener = (resource: string, stored: KubeObject, writer: string) => void;

/** A write decided but not made yet: readers see `change` applied until it is settled. */
interface Intent {
  readonly change: (object: KubeObject) => KubeObject;
  readonly token: symbol;
}

export class OwnWrites {
  private readonly records = new Map<string, Record>();
  private readonly intents = new Map<string, Intent>();
  private readonly listeners = new Set<WriteListener>();

  constructor(
    /** How long a write is trusted over the cache; a watch that lags longer is a bigger problem. */
    private readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Remembers what a write returned (the stored object) and tells the
   * listeners, so a controller can act on another's write in the same
   * process without waiting for the watch event.
   */
  record(resource: string, stored: KubeObject, writer = ''): void {
    const revision = revisionOf(stored);
    if (revision === undefined) return;
    const key = `${resource}/${objectKey(stored)}`;
    const previous = this.records.get(key);
    if (previous && previous.revision >= revision) return;
    // Deleted first so the map stays in write order, which lets prune stop at the first fresh record.
    this.records.delete(key);
    this.records.set(key, { object: stored, revision, at: this.now() });
    if (this.records.size > 1_000) this.prune();
    for (const listener of this.listeners) listener(resource, stored, writer);
  }

  /** Subscribes to recorded and intended writes (an intent is reported with its change applied); returns the unsubscribe function. */
  onRecord(listener: WriteListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The cached object, or what this process wrote later if the cache has not
   * seen that yet; with `intents` (default) also what it decided to write and
   * has not written yet.
   */
  freshest<T extends KubeObject>(resource: string, cached: T | undefined, options: { intents?: boolean } = {}): T | undefined {
    if (!cached) return cached;
    const key = `${resource}/${objectKey(cached)}`;
    let object = cached;
    const record = this.records.get(key);
    if (record) {
      const cachedRevision = revisionOf(cached);
      const stale = this.now() - record.at > this.ttlMs;
      if (stale || cachedRevision === undefined || cachedRevision >= record.revision || record.object.metadata?.uid !== cached.metadata?.uid)
        this.records.delete(key);
      else object = record.object as T;
    }
    const intent = options.intents === false ? undefined : this.intents.get(key);
    return intent ? (intent.change(object) as T) : object;
  }

  /**
   * Announces a write that will be made later (queued behind others): other
   * controllers in this process act on it at once. Returns the token that
   * settles it; a newer intent for the same object replaces it.
   */
  intend(resource: string, object: KubeObject, change: (object: KubeObject) => KubeObject, writer = ''): symbol {
    const token = Symbol(writer);
    this.intents.set(`${resource}/${objectKey(object)}`, { change, token });
    for (const listener of this.listeners) listener(resource, change(object), writer);
    return token;
  }

  /**
   * Whether an informer event shows exactly what this process wrote (same
   * object, same resourceVersion): the writer already acted on it, so the
   * event need not wake anyone. A change by anyone else has another version.
   */
  isEcho(resource: string, object: KubeObject): boolean {
    const record = this.records.get(`${resource}/${objectKey(object)}`);
    const revision = revisionOf(object);
    return record !== undefined && revision !== undefined && record.revision === revision && record.object.metadata?.uid === object.metadata?.uid;
  }

  /** Whether a write of this object is intended and not settled yet. */
  hasIntent(resource: string, object: KubeObject): boolean {
    return this.intents.has(`${resource}/${objectKey(object)}`);
  }

  /** Drops whatever is intended for this object (it is gone): no token needed. */
  dropIntent(resource: string, object: KubeObject): void {
    this.intents.delete(`${resource}/${objectKey(object)}`);
  }

  /** The intended write was made (and recorded) or is moot; a newer intent is left alone. */
  settle(resource: string, object: KubeObject, token: symbol): void {
    const key = `${resource}/${objectKey(object)}`;
    if (this.intents.get(key)?.token === token) this.intents.delete(key);
  }

  get size(): number {
    return this.records.size;
  }

  /** Drops expired records, oldest first; stops at the first fresh one, so a burst of writes costs O(1) each. */
  private prune(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [key, record] of this.records) {
      if (record.at >= cutoff) break;
      this.records.delete(key);
    }
  }
}
