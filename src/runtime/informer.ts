import type { Logger } from 'pino';
import { Backoff, nextAfterWatch, watchTimeoutSeconds } from './backoff.js';
import { sleep } from './clock.js';
import { ApiError } from './errors.js';
import type { ApiClient, ListPage, WatchEvent } from './http.js';
import type { KubeObject } from './object.js';
import { objectKey } from './object.js';
import type { ResourceRef } from './resources.js';
import { internMetadata } from './intern.js';
import type { IndexFunc } from './store.js';
import { Store } from './store.js';

/** Which objects of a resource an informer caches. */
export interface InformerSelector {
  /** Only this namespace (namespaced resources); default all namespaces. */
  readonly namespace?: string;
  /** e.g. `canopy.dev/managed-by=canopy`: cache only what the operator manages. */
  readonly labelSelector?: string;
  /** e.g. `metadata.name=foo`. */
  readonly fieldSelector?: string;
}

export interface InformerOptions<T extends KubeObject = KubeObject> extends InformerSelector {
  /**
   * Rewrites each object before it is cached (drop fields nobody reads).
   * managedFields are always dropped first: they are most of an object's
   * bytes and reconcilers use server-side apply, which does not need them.
   */
  readonly transform?: (object: T) => T;
  /** List page size; default 500 (client-go's pager). */
  readonly pageSize?: number;
  /** Watch stream silence after which the connection is presumed dead; default 120 s. */
  readonly idleTimeoutMs?: number;
}

export type InformerEvent<T extends KubeObject = KubeObject> =
  | { readonly type: 'add'; readonly object: T }
  | { readonly type: 'update'; readonly object: T; readonly old: T }
  | { readonly type: 'delete'; readonly object: T };

export type InformerHandler<T extends KubeObject = KubeObject> = (event: InformerEvent<T>) => void;

/**
 * A shared informer: lists a resource (paginated), then watches it from the
 * list's resourceVersion with bookmarks, keeping an indexed in-memory cache
 * of plain JSON objects and telling handlers about every change.
 *
 * - a watch that ends or fails resumes from the last resourceVersion seen
 *   (events and bookmarks), after a backoff when it failed: an apiserver
 *   restart loses no event;
 * - 410 Gone (history compacted) triggers a relist that diffs against the
 *   cache and emits the adds, updates and deletes it missed;
 * - `hasSynced` turns true after the first complete list.
 *
 * Cached objects are shared: treat them as read-only, copy before changing.
 */
export class Informer<T extends KubeObject = KubeObject> {
  private readonly store = new Store<T>();
  private readonly handlers = new Set<InformerHandler<T>>();
  private readonly syncWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private readonly backoff = new Backoff();
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private synced = false;
  private stopped = false;
  private rv: string | undefined;
  private relists = 0;

  constructor(
    private readonly client: ApiClient,
    readonly resource: ResourceRef,
    private readonly options: InformerOptions<T>,
    private readonly logger: Logger,
  ) {}

  /** The selector this informer was made with. */
  get selector(): InformerSelector {
    const { namespace, labelSelector, fieldSelector } = this.options;
    return { namespace, labelSelector, fieldSelector };
  }

  /** The last resourceVersion the cache reflects. */
  get resourceVersion(): string | undefined {
    return this.rv;
  }

  /** Full lists done so far (1 after the initial sync; more after 410 Gone). */
  get listCount(): number {
    return this.relists;
  }

  get running(): boolean {
    return this.loop !== undefined && !this.stopped;
  }

  get size(): number {
    return this.store.size;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the initial list is cached; rejects if the informer stops first or `signal` aborts. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`informer for ${this.resource.plural} stopped before it synced`));
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.syncWaiters.push(waiter);
      signal?.addEventListener('abort', () => reject(new Error('aborted while waiting for cache sync')), { once: true });
    });
  }

  /**
   * Subscribes to changes. A handler added after objects were cached first
   * gets an `add` for each of them, so late subscribers see a complete picture.
   * Returns a function that unsubscribes.
   */
  on(handler: InformerHandler<T>): () => void {
    this.handlers.add(handler);
    for (const object of this.store.values()) this.deliver(handler, { type: 'add', object });
    return () => this.handlers.delete(handler);
  }

  /** Adds a secondary index, usable with byIndex (built-ins: `namespace`, `owner-uid`). */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.store.addIndexer(name, fn);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.store.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.store.get(key);
  }

  /** Every cached object, or those of one namespace. */
  list(namespace?: string): T[] {
    return namespace === undefined ? [...this.store.values()] : this.store.byIndex('namespace', namespace);
  }

  byIndex(indexName: string, value: string): T[] {
    return this.store.byIndex(indexName, value);
  }

  indexValues(indexName: string): string[] {
    return this.store.indexValues(indexName);
  }

  /** Starts listing and watching in the background (idempotent). */
  start(): void {
    if (this.loop || this.stopped) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  /** Stops the watch; the cache keeps its last contents. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort?.abort();
    for (const waiter of this.syncWaiters.splice(0)) waiter.reject(new Error(`informer for ${this.resource.plural} stopped before it synced`));
    await this.loop;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.rv === undefined) {
        try {
          this.rv = await this.relist(signal);
          this.backoff.reset();
        } catch (err) {
          if (signal.aborted) break;
          const delay = this.backoff.next();
          this.logger.warn({ resource: this.resource.plural, err: describe(err), retryInMs: Math.round(delay) }, 'list failed');
          await sleep(delay, signal);
          continue;
        }
      }
      const started = Date.now();
      let events = 0;
      let error: unknown;
      try {
        await this.client.watch(
          this.resource,
          {
            ...this.selector,
            resourceVersion: this.rv,
            allowWatchBookmarks: true,
            timeoutSeconds: watchTimeoutSeconds(),
            idleTimeoutMs: this.options.idleTimeoutMs,
            signal,
          },
          (event) => {
            events++;
            this.apply(event);
          },
        );
      } catch (err) {
        error = err;
      }
      if (signal.aborted) break;
      const next = nextAfterWatch({ error, events, durationMs: Date.now() - started });
      if (next === 'relist') {
        this.logger.info({ resource: this.resource.plural, resourceVersion: this.rv }, 'watch history expired (410 Gone); relisting');
        this.rv = undefined;
      } else if (next === 'backoff-rewatch') {
        const delay = this.backoff.next();
        const level = this.backoff.attempts > 3 ? 'warn' : 'debug';
        this.logger[level](
          { resource: this.resource.plural, err: error === undefined ? 'empty watch' : describe(error), retryInMs: Math.round(delay) },
          'watch ended; resuming',
        );
        await sleep(delay, signal);
      } else {
        this.backoff.reset();
      }
    }
  }

  /**
   * Lists every page and merges it into the cache: new objects are adds,
   * changed resourceVersions are updates, cached keys the list did not
   * return are deletes. Pages are merged as they arrive, so a relist never
   * holds two full copies of the cache.
   */
  private async relist(signal: AbortSignal): Promise<string> {
    const seen = new Set<string>();
    let listRv: string | undefined;
    const fetchPage = (token: string | undefined) =>
      this.client.list<T>(this.resource, { ...this.selector, limit: this.options.pageSize ?? 500, continue: token, signal });
    let pending: Promise<ListPage<T>> | undefined = fetchPage(undefined);
    while (pending) {
      const page: ListPage<T> = await pending;
      // Ask for the next page before merging this one: the apiserver prepares it while we work.
      const token = page.metadata.continue || undefined;
      pending = token ? fetchPage(token) : undefined;
      pending?.catch(() => undefined); // a failure surfaces at its await; never unhandled meanwhile
      for (const item of page.items) {
        const object = this.prepare(item);
        const key = objectKey(object);
        seen.add(key);
        const old = this.store.get(key);
        if (old && old.metadata?.resourceVersion === object.metadata?.resourceVersion) continue;
        this.store.upsert(object);
        this.emit(old ? { type: 'update', object, old } : { type: 'add', object });
      }
      listRv = page.metadata.resourceVersion;
    }
    for (const key of [...this.store.keys()]) {
      if (seen.has(key)) continue;
      const old = this.store.delete(key);
      if (old) this.emit({ type: 'delete', object: old });
    }
    this.relists++;
    if (!this.synced) {
      this.synced = true;
      for (const waiter of this.syncWaiters.splice(0)) waiter.resolve();
    }
    if (!listRv) throw new Error(`list of ${this.resource.plural} returned no resourceVersion`);
    return listRv;
  }

  private apply(event: WatchEvent): void {
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const object = this.prepare(event.object as T);
        const old = this.store.upsert(object);
        this.rv = object.metadata?.resourceVersion ?? this.rv;
        this.emit(old ? { type: 'update', object, old } : { type: 'add', object });
        return;
      }
      case 'DELETED': {
        const object = this.prepare(event.object as T);
        this.store.delete(objectKey(object));
        this.rv = object.metadata?.resourceVersion ?? this.rv;
        this.emit({ type: 'delete', object });
        return;
      }
      case 'BOOKMARK':
        this.rv = event.object.metadata?.resourceVersion ?? this.rv;
        return;
      case 'ERROR':
        throw new ApiError(event.object.code ?? 500, event.object, `watch ${this.resource.plural}`);
    }
  }

  private prepare(object: T): T {
    // managedFields is the last field of metadata as the apiserver writes it, so deleting it keeps V8's fast object shape.
    if (object.metadata && 'managedFields' in object.metadata) delete (object.metadata as { managedFields?: unknown }).managedFields;
    internMetadata(object);
    object.apiVersion ??= this.resource.apiVersion;
    object.kind ??= this.resource.kind;
    return this.options.transform ? this.options.transform(object) : object;
  }

  private emit(event: InformerEvent<T>): void {
    for (const handler of this.handlers) this.deliver(handler, event);
  }

  private deliver(handler: InformerHandler<T>, event: InformerEvent<T>): void {
    try {
      handler(event);
    } catch (err) {
      // A broken handler must not stop the cache (or the other handlers).
      this.logger.error({ resource: this.resource.plural, err: describe(err) }, 'informer event handler threw');
    }
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
