import { FIELD_MANAGER, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../crds/labels.js';
import type { KubeConfigSource } from './kubeconfig.js';
import { isNotFound } from './errors.js';
import { ApiClient } from './http.js';
import type { KubeObject } from './object.js';
import type { ResourceRef } from './resources.js';

/** A KubeConfig or an ApiClient: every helper accepts either. */
export type ClientTarget = KubeConfigSource | ApiClient;

export function clientFor(target: ClientTarget): ApiClient {
  return target instanceof ApiClient ? target : ApiClient.for(target);
}

/** True if the object carries `canopy.dev/managed-by: canopy`. */
export function isManaged(object: KubeObject | undefined): boolean {
  return object?.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE;
}

/** A copy of `object` with the managed-by label added (apply this, not the original). */
export function withManagedLabel<T extends KubeObject>(object: T): T {
  return { ...object, metadata: { ...object.metadata, labels: { ...object.metadata?.labels, [LABEL_MANAGED_BY]: MANAGED_BY_VALUE } } };
}

export interface ApplyOptions {
  /** Skip discovery when the resource is known. */
  readonly resource?: ResourceRef;
  /** Default `canopy`. */
  readonly fieldManager?: string;
  /** Take ownership of conflicting fields; default true. */
  readonly force?: boolean;
  /** e.g. `status` to apply only the status subresource. */
  readonly subresource?: string;
  readonly signal?: AbortSignal;
}

/**
 * Server-side apply (field manager `canopy`, force): creates or updates
 * `object` to declare exactly the fields it contains; fields Canopy applied
 * before and no longer lists are removed. Returns the object as stored.
 * Needs apiVersion, kind, metadata.name (and namespace when namespaced).
 * Unknown kinds are resolved through discovery (cached).
 */
export async function apply<T extends KubeObject>(target: ClientTarget, object: T, options: ApplyOptions = {}): Promise<T> {
  const client = clientFor(target);
  if (!object.apiVersion || !object.kind) throw new Error('apply needs apiVersion and kind');
  const name = object.metadata?.name;
  if (!name) throw new Error(`apply of a ${object.kind} needs metadata.name`);
  const resource = options.resource ?? (await client.resourceFor(object.apiVersion, object.kind));
  // The server owns these; sending them would turn the apply into a compare-and-swap or be rejected.
  const {
    resourceVersion: _rv,
    managedFields: _mf,
    uid: _uid,
    creationTimestamp: _ct,
    generation: _g,
    ...metadata
  } = object.metadata as Record<string, unknown>;
  const body = { ...object, metadata };
  return client.patch<T>(resource, name, object.metadata?.namespace, body, 'apply', {
    fieldManager: options.fieldManager ?? FIELD_MANAGER,
    force: options.force ?? true,
    subresource: options.subresource,
    signal: options.signal,
  });
}

/**
 * Writes `status` with a JSON merge patch on the status subresource (spec
 * untouched; nested maps merged, lists replaced). Returns the stored object.
 */
export async function patchStatus<T extends KubeObject>(
  target: ClientTarget,
  resource: ResourceRef,
  object: KubeObject,
  status: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const name = object.metadata?.name;
  if (!name) throw new Error(`patchStatus of a ${resource.kind} needs metadata.name`);
  return clientFor(target).patch<T>(resource, name, object.metadata?.namespace, { status }, 'merge', { subresource: 'status', signal });
}

/**
 * Deletes an object only if Canopy manages it (labelled
 * `canopy.dev/managed-by=canopy`), with a uid precondition so an object
 * re-created meanwhile by someone else is spared. Returns true if a delete
 * was issued (or the object vanished meanwhile), false if it does not exist
 * or is not Canopy's.
 */
export async function deleteIfManaged(
  target: ClientTarget,
  resource: ResourceRef,
  name: string,
  namespace?: string,
  options: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'; signal?: AbortSignal } = {},
): Promise<boolean> {
  const client = clientFor(target);
  const current = await client.tryGet(resource, name, namespace);
  if (!current || !isManaged(current)) return false;
  try {
    await client.delete(resource, name, namespace, {
      preconditions: { uid: current.metadata?.uid },
      propagationPolicy: options.propagationPolicy ?? 'Background',
      signal: options.signal,
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  return true;
}
