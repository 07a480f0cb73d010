/**
 * Carries out propagation actions against the API with bounded concurrency,
 * never touching an object that is not Canopy's copy:
 *
 * - create: POST, so a user's object that appeared since the cache last saw
 *   the namespace is never overwritten (AlreadyExists → look at it: our copy
 *   is updated, anything else is a conflict);
 * - update: server-side apply (field manager `canopy`, force) with the copy's
 *   uid as precondition; if the stored copy still differs from the source
 *   afterwards (fields a hand edit added under another manager, or left over
 *   from the create), it is replaced outright, uid- and version-checked;
 * - delete: uid-preconditioned, so a same-named object created meanwhile by
 *   someone else survives.
 *
 * Sources come whole from the informer (it keeps bodies of objects in home
 * namespaces); one in a namespace that became a home namespace after it was
 * cached is read live, once per content version.
 */

import { LRUCache } from 'lru-cache';
import {
  ApiError,
  isAlreadyExists,
  isConflict,
  isForbidden,
  isInvalid,
  isNotFound,
  type ApiClient,
  type KubeObject,
  type ResourceRef,
} from '../../runtime/index.js';
import { FIELD_MANAGER } from '../../crds/labels.js';
import { contentHash, copyFor } from './content.js';
import { copyLabels, isCopy, type ObjectRef, type SourceObject } from './objects.js';
import type { PropagationAction } from './plan.js';
import { typeKey } from '../../hierarchy/inherited-types.js';

export type WriteOutcome =
  | { result: 'done' }
  /** Nothing to do after all (namespace gone or terminating, source gone, copy already right). */
  | { result: 'skipped'; why: string }
  /** A user's object stands where the copy goes. */
  | { result: 'conflict'; namespace: string; key: string; source: SourceObject }
  /** 403 on this type: the operator lacks rights. */
  | { result: 'forbidden'; typeKey: string; verb: string }
  /** The world moved under the plan (uid changed, copy replaced): plan this namespace again. */
  | { result: 'stale'; namespace: string; key: string };

export interface CopyWriterDeps {
  readonly client: ApiClient;
  resource(typeKey: string): ResourceRef | undefined;
  namespaceWritable(namespace: string): boolean;
  /** A write to (namespace, key) starts. */
  beginWrite(namespace: string, key: string): void;
  /**
   * It ended with this stored object (and the fingerprint of its content),
   * a deletion, or nothing; false when the object changed meanwhile (look again).
   */
  endWrite(namespace: string, key: string, result: { object: KubeObject; hash: string } | 'deleted' | undefined): boolean;
}

/** An outcome, and what the apiserver stored if the action wrote something. */
type Done = { outcome: WriteOutcome; stored?: { object: KubeObject; hash: string } | 'deleted' };

function skipped(why: string): Done {
  return { outcome: { result: 'skipped', why } };
}

export class CopyWriter {
  private readonly pool: WritePool;
  /** "ns/key" of a source → its content as last read, by fingerprint. */
  private readonly sources = new LRUCache<string, { hash: string; object: KubeObject }>({ max: 4096 });
  private readonly reads = new Map<string, Promise<{ object: KubeObject; hash: string } | undefined>>();

  constructor(
    private readonly deps: CopyWriterDeps,
    concurrency: number,
  ) {
    this.pool = new WritePool(concurrency);
  }

  get concurrency(): number {
    return this.pool.concurrency;
  }

  /**
   * Runs every action (at most `concurrency` requests in flight across all
   * callers); outcomes in action order. Writes already queued finish even
   * when the operator stops: each is a single idempotent request.
   */
  async execute(actions: readonly PropagationAction[]): Promise<Array<WriteOutcome | Error>> {
    return Promise.all(
      actions.map((action) =>
        this.pool
          .run(() => this.run(action))
          .then(
            (outcome) => outcome,
            (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
          ),
      ),
    );
  }

  private async run(action: PropagationAction): Promise<WriteOutcome> {
    if (action.action === 'conflict') return { result: 'conflict', namespace: action.namespace, key: action.key, source: action.source };
    const { namespace, key } = action;
    this.deps.beginWrite(namespace, key);
    let done: Done | undefined;
    try {
      done =
        action.action === 'delete'
          ? await this.remove(namespace, key, action.current)
          : action.action === 'create'
            ? await this.create(namespace, key, action.source)
            : await this.update(namespace, key, action.source, (action.current as { uid?: string }).uid);
    } finally {
      const settled = this.deps.endWrite(namespace, key, done?.stored);
      // The object changed while the write was in flight: have it planned again.
      if (!settled && done?.outcome.result === 'done') done.outcome = { result: 'stale', namespace, key };
    }
    return done.outcome;
  }

  private resourceOf(ref: { apiVersion: string; kind: string }): ResourceRef | undefined {
    return this.deps.resource(typeKey(ref.apiVersion, ref.kind));
  }

  private async create(namespace: string, key: string, source: SourceObject): Promise<Done> {
    if (!this.deps.namespaceWritable(namespace)) return skipped(`namespace ${namespace} does not exist (yet) or is terminating`);
    const resource = this.resourceOf(source);
    if (!resource) return skipped(`type ${source.kind} not available`);
    const content = await this.read(source, resource);
    if (!content) return skipped('source gone');
    const copy = copyFor(content.object, namespace, copyLabels({ ...source, labels: content.object.metadata?.labels }));
    try {
      const created = await this.deps.client.create(resource, copy);
      // A copy's fingerprint is its source's: nothing to hash per copy.
      return { outcome: { result: 'done' }, stored: { object: created, hash: content.hash } };
    } catch (err) {
      if (isAlreadyExists(err)) {
        const current = await this.deps.client.tryGet(resource, copy.metadata!.name!, namespace);
        if (!current) return { outcome: { result: 'stale', namespace, key } };
        if (!isCopy({ labels: current.metadata?.labels })) return { outcome: { result: 'conflict', namespace, key, source } };
        return this.update(namespace, key, source, current.metadata?.uid);
      }
      return { outcome: this.failure(err, namespace, source, 'create') };
    }
  }

  private async update(namespace: string, key: string, source: SourceObject, uid: string | undefined): Promise<Done> {
    if (!this.deps.namespaceWritable(namespace)) return skipped(`namespace ${namespace} is terminating`);
    if (!uid) return { outcome: { result: 'stale', namespace, key } };
    const resource = this.resourceOf(source);
    if (!resource) return skipped(`type ${source.kind} not available`);
    const content = await this.read(source, resource);
    if (!content) return skipped('source gone');
    const copy = copyFor(content.object, namespace, copyLabels({ ...source, labels: content.object.metadata?.labels }));
    const name = copy.metadata!.name!;
    const wanted = content.hash;
    try {
      const applied = await this.deps.client.patch(resource, name, namespace, { ...copy, metadata: { ...copy.metadata, uid } }, 'apply', {
        fieldManager: FIELD_MANAGER,
        force: true,
      });
      if (contentHash(applied) === wanted) return { outcome: { result: 'done' }, stored: { object: applied, hash: wanted } };
      // Apply merges with fields other managers own; a copy must be exactly its source.
      const replaced = await this.deps.client.replace(resource, {
        ...copy,
        metadata: { ...copy.metadata, uid, resourceVersion: applied.metadata?.resourceVersion },
      });
      return { outcome: { result: 'done' }, stored: { object: replaced, hash: contentHash(replaced) } };
    } catch (err) {
      // 422 "uid is immutable", 409 uid mismatch or stale version: not the object the plan saw.
      if (isInvalid(err) || isConflict(err) || isNotFound(err)) return { outcome: { result: 'stale', namespace, key } };
      return { outcome: this.failure(err, namespace, source, 'update') };
    }
  }

  private async remove(namespace: string, key: string, current: ObjectRef & { uid?: string }): Promise<Done> {
    const resource = this.resourceOf(current);
    if (!resource) return skipped(`type ${current.kind} not available`);
    try {
      await this.deps.client.delete(resource, current.name, namespace, current.uid ? { preconditions: { uid: current.uid } } : {});
      return { outcome: { result: 'done' }, stored: 'deleted' };
    } catch (err) {
      if (isNotFound(err)) return { outcome: { result: 'done' }, stored: 'deleted' };
      if (isConflict(err)) return { outcome: { result: 'stale', namespace, key } };
      if (isForbidden(err)) return { outcome: { result: 'forbidden', typeKey: typeKey(current.apiVersion, current.kind), verb: 'delete' } };
      throw err;
    }
  }

  private failure(err: unknown, namespace: string, source: SourceObject, verb: string): WriteOutcome {
    if (isNotFound(err)) return { result: 'skipped', why: `namespace ${namespace} is gone` };
    if (isForbidden(err)) {
      // A terminating namespace refuses new content with 403; that is not about rights.
      if (err instanceof ApiError && /being terminated/.test(err.message)) return { result: 'skipped', why: `namespace ${namespace} is terminating` };
      return { result: 'forbidden', typeKey: typeKey(source.apiVersion, source.kind), verb };
    }
    throw err;
  }

  /**
   * The source's current content and its fingerprint (every copy's): kept by
   * the informer, else read once per version; undefined if it is gone or no
   * longer a source.
   */
  private async read(source: SourceObject & { body?: KubeObject }, resource: ResourceRef): Promise<{ object: KubeObject; hash: string } | undefined> {
    if (source.body && source.hash !== undefined) return { object: source.body, hash: source.hash };
    const id = `${source.namespace}/${typeKey(source.apiVersion, source.kind)}/${source.name}`;
    const cached = this.sources.get(id);
    if (cached && cached.hash === source.hash) return cached;
    let pending = this.reads.get(id);
    if (!pending) {
      pending = this.deps.client.tryGet(resource, source.name, source.namespace).then((object) => {
        if (!object || isCopy({ labels: object.metadata?.labels })) return undefined;
        const read = { hash: contentHash(object), object };
        this.sources.set(id, read);
        return read;
      });
      this.reads.set(id, pending);
      void pending.finally(() => this.reads.delete(id)).catch(() => {});
    }
    return pending;
  }
}

/**
 * At most `concurrency` writes in flight, first come first served. A finished
 * write starts the next one in the same tick: with thousands of small writes
 * queued, a general-purpose queue's per-task bookkeeping (events, timers,
 * priorities) showed up as a measurable share of the operator's CPU.
 */
export class WritePool {
  private readonly waiting: Array<() => void> = [];
  private head = 0;
  private active = 0;

  constructor(readonly concurrency: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((start) => this.waiting.push(start));
    else this.active++;
    try {
      return await task();
    } finally {
      this.next();
    }
  }

  private next(): void {
    if (this.head < this.waiting.length) {
      // The slot passes straight to the next waiter; `active` stays the same.
      const start = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined as never;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      start();
    } else {
      this.active--;
    }
  }
}
