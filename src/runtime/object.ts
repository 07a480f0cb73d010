/**
 * The shape of Kubernetes objects as the runtime handles them: plain JSON as
 * the apiserver sends it (timestamps are RFC 3339 strings, not Dates). Only
 * the fields the runtime itself reads are declared; every kind extends this.
 * client-node's model classes (V1ConfigMap …) also fit, so either can be used
 * as the type parameter of an Informer.
 */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  labels?: { [key: string]: string };
  annotations?: { [key: string]: string };
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** What a reconciler is asked to reconcile: one object, by name. */
export interface Request {
  readonly name: string;
  /** Empty or absent for cluster-scoped objects. */
  readonly namespace?: string;
}

/** The work-queue key of a request: `namespace/name`, or `name` when cluster-scoped. */
export function requestKey(request: Request): string {
  return request.namespace ? `${request.namespace}/${request.name}` : request.name;
}

/** Parses a key made by requestKey. */
export function parseKey(key: string): Request {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The key an object is cached and queued under. */
export function objectKey(object: KubeObject): string {
  const meta = object.metadata ?? {};
  return meta.namespace ? `${meta.namespace}/${meta.name ?? ''}` : (meta.name ?? '');
}

/** The request that reconciles this object. */
export function requestFor(object: KubeObject): Request {
  const meta = object.metadata ?? {};
  return meta.namespace ? { namespace: meta.namespace, name: meta.name ?? '' } : { name: meta.name ?? '' };
}

/** The owner reference marked controller=true, if any. */
export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata?.ownerReferences?.find((ref) => ref.controller === true);
}

/** True once deletion was requested (finalizers may still hold the object). */
export function isBeingDeleted(object: KubeObject): boolean {
  return object.metadata?.deletionTimestamp !== undefined && object.metadata.deletionTimestamp !== null;
}
