// Carries out propagation actions against the API with bounded concurrency,
// never touching an object that is not Canopy's copy:
//
// - create: POST, so a user's object that appeared since the cache last saw
//   the namespace is never overwritten (AlreadyExists → look at it: our copy
//   is updated, anything else is a conflict);
// - update: server-side apply (field manager `canopy`, force) with the copy's
//   uid as precondition; if the stored copy still differs from the source
//   afterwards (fields a hand edit added under another manager, or left over
//   from the create), it is replaced outright, uid- and version-checked;
// - delete: uid-preconditioned, so a same-named object created meanwhile by
//   someone else survives.
//
// Sources are read live, once per content version, so the informers need not
// keep object bodies (content.ts).

import PQueue from 'p-queue';
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
} from '../../controllers/index.js';
import { FIELD_MANAGER } from '../../crds/labels.js';
import { contentHash, copyFor, strip } from './content.js';
import { copyLabels, isCopy, type ObjectRef, type SourceObject } from './objects.js';
import type { PropagationAction } from './propagation.js';
import { typeKey } from './propagatedTypes.js';

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
  recordWritten(object: KubeObject): void;
  recordDeleted(namespace: string, key: string): void;
}

export class CopyWriter {
  private readonly queue: PQueue;
  /** "ns/key" of a source → its content as last read, by fingerprint. */
  private readonly sources = new LRUCache<string, { hash: string; object: KubeObject }>({ max: 4096 });
  private readonly reads = new Map<string, Promise<KubeObject | undefined>>();

  constructor(
    private readonly deps: CopyWriterDeps,
    concurrency: number,
  ) {
    this.queue = new PQueue({ concurrency });
  }

  get concurrency(): number {
    return this.queue.concurrency;
  }

  /** Runs every action (at most `concurrency` requests in flight across all callers); outcomes in action order. */
  async execute(actions: readonly PropagationAction[], signal?: AbortSignal): Promise<Array<WriteOutcome | Error>> {
    return Promise.all(
      actions.map((action) =>
        this.queue.add(() => this.run(action), { signal }).then(
          (outcome) => outcome,
          (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
        ),
      ),
    );
  }

  private async run(action: PropagationAction): Promise<WriteOutcome> {
    switch (action.action) {
      case 'conflict':
        return { result: 'conflict', namespace: action.namespace, key: action.key, source: action.source };
      case 'delete':
        return this.remove(action.namespace, action.key, action.current);
      case 'create':
        return this.create(action.namespace, action.key, action.source);
      case 'update':
        return this.update(action.namespace, action.key, action.source, (action.current as { uid?: string }).uid);
    }
  }

  private resourceOf(ref: { apiVersion: string; kind: string }): ResourceRef | undefined {
    return this.deps.resource(typeKey(ref.apiVersion, ref.kind));
  }

  private async create(namespace: string, key: string, source: SourceObject): Promise<WriteOutcome> {
    if (!this.deps.namespaceWritable(namespace)) return { result: 'skipped', why: `namespace ${namespace} does not exist (yet) or is terminating` };
    const resource = this.resourceOf(source);
    if (!resource) return { result: 'skipped', why: `type ${source.kind} not available` };
    const content = await this.read(source, resource);
    if (!content) return { result: 'skipped', why: 'source gone' };
    const copy = copyFor(content, namespace, copyLabels({ ...source, labels: content.metadata?.labels }));
    try {
      const created = await this.deps.client.create(resource, copy);
      this.deps.recordWritten(created);
      return { result: 'done' };
    } catch (err) {
      if (isAlreadyExists(err)) {
        const current = await this.deps.client.tryGet(resource, copy.metadata!.name!, namespace);
        if (!current) return { result: 'stale', namespace, key };
        if (!isCopy({ labels: current.metadata?.labels })) return { result: 'conflict', namespace, key, source };
        return this.update(namespace, key, source, current.metadata?.uid);
      }
      return this.failure(err, namespace, source, 'create');
    }
  }

  private async update(namespace: string, key: string, source: SourceObject, uid: string | undefined): Promise<WriteOutcome> {
    if (!this.deps.namespaceWritable(namespace)) return { result: 'skipped', why: `namespace ${namespace} is terminating` };
    if (!uid) return { result: 'stale', namespace, key };
    const resource = this.resourceOf(source);
    if (!resource) return { result: 'skipped', why: `type ${source.kind} not available` };
    const content = await this.read(source, resource);
    if (!content) return { result: 'skipped', why: 'source gone' };
    const copy = copyFor(content, namespace, copyLabels({ ...source, labels: content.metadata?.labels }));
    const name = copy.metadata!.name!;
    const wanted = contentHash(copy);
    try {
      const applied = await this.deps.client.patch(resource, name, namespace, { ...copy, metadata: { ...copy.metadata, uid } }, 'apply', {
        fieldManager: FIELD_MANAGER,
        force: true,
      });
      if (contentHash(applied) === wanted) {
        this.deps.recordWritten(applied);
        return { result: 'done' };
      }
      // Apply merges with fields other managers own; a copy must be exactly its source.
      const replaced = await this.deps.client.replace(resource, {
        ...copy,
        metadata: { ...copy.metadata, uid, resourceVersion: applied.metadata?.resourceVersion },
      });
      this.deps.recordWritten(replaced);
      return { result: 'done' };
    } catch (err) {
      // 422 "uid is immutable", 409 uid mismatch or stale version: not the object the plan saw.
      if (isInvalid(err) || isConflict(err) || isNotFound(err)) return { result: 'stale', namespace, key };
      return this.failure(err, namespace, source, 'update');
    }
  }

  private async remove(namespace: string, key: string, current: ObjectRef & { uid?: string }): Promise<WriteOutcome> {
    const resource = this.resourceOf(current);
    if (!resource) return { result: 'skipped', why: `type ${current.kind} not available` };
    try {
      await this.deps.client.delete(resource, current.name, namespace, current.uid ? { preconditions: { uid: current.uid } } : {});
      this.deps.recordDeleted(namespace, key);
      return { result: 'done' };
    } catch (err) {
      if (isNotFound(err)) {
        this.deps.recordDeleted(namespace, key);
        return { result: 'done' };
      }
      if (isConflict(err)) return { result: 'stale', namespace, key };
      if (isForbidden(err)) return { result: 'forbidden', typeKey: typeKey(current.apiVersion, current.kind), verb: 'delete' };
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

  /** The source's current content, read once per version; undefined if it is gone or no longer a source. */
  private async read(source: SourceObject, resource: ResourceRef): Promise<KubeObject | undefined> {
    const id = `${source.namespace}/${typeKey(source.apiVersion, source.kind)}/${source.name}`;
    const cached = this.sources.get(id);
    if (cached && cached.hash === source.hash) return cached.object;
    let pending = this.reads.get(id);
    if (!pending) {
      pending = this.deps.client.tryGet(resource, source.name, source.namespace).then((object) => {
        if (!object || isCopy({ labels: object.metadata?.labels })) return undefined;
        this.sources.set(id, { hash: strip(object).hash, object });
        return object;
      });
      this.reads.set(id, pending);
      void pending.finally(() => this.reads.delete(id)).catch(() => {});
    }
    return pending;
  }
}
