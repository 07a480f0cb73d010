/**
 * A client for one kind: the ApiClient's calls with the resource and the
 * object type bound once, so an extension reads `logicalClusters.get(name)`
 * and gets a `LogicalCluster` back, not a `KubeObject` to cast.
 */
import { apply, patchStatus, type ApplyOptions } from './client.js';
import type { ApiClient, DeleteOptions, ListOptions, PatchType, WatchEvent, WatchOptions } from './http.js';
import type { KubeObject } from './object.js';
import type { ResourceRef } from './resources.js';

export interface TypedClient<T extends KubeObject> {
  readonly resource: ResourceRef;
  get(name: string, namespace?: string): Promise<T>;
  /** The object, or undefined when it does not exist. */
  tryGet(name: string, namespace?: string): Promise<T | undefined>;
  /** Every object, following continue tokens. */
  list(options?: ListOptions): Promise<T[]>;
  create(object: T, signal?: AbortSignal): Promise<T>;
  /** Server-side apply under Canopy's field manager unless options name another. */
  apply(object: T, options?: ApplyOptions): Promise<T>;
  patch(
    name: string,
    namespace: string | undefined,
    patch: unknown,
    type: PatchType,
    options?: { fieldManager?: string; subresource?: string; signal?: AbortSignal },
  ): Promise<T>;
  /** A merge patch of `status` through the status subresource. */
  patchStatus(object: T, status: unknown, signal?: AbortSignal): Promise<T>;
  delete(name: string, namespace?: string, options?: DeleteOptions): Promise<void>;
  /** Runs until the watch ends (timeout, 410 Gone or the signal); the caller re-lists and re-watches. */
  watch(options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<void>;
}

export function typedClient<T extends KubeObject>(client: ApiClient, resource: ResourceRef): TypedClient<T> {
  return {
    resource,
    get: (name, namespace) => client.get<T>(resource, name, namespace),
    tryGet: (name, namespace) => client.tryGet<T>(resource, name, namespace),
    list: (options) => client.listAll<T>(resource, options),
    create: (object, signal) => client.create<T>(resource, object, signal),
    apply: (object, options) => apply<T>(client, object, options),
    patch: (name, namespace, body, type, options) => client.patch<T>(resource, name, namespace, body, type, options),
    patchStatus: (object, status, signal) => patchStatus<T>(client, resource, object, status, signal),
    delete: (name, namespace, options) => client.delete(resource, name, namespace, options),
    watch: (options, onEvent) => client.watch(resource, options, onEvent),
  };
}
