/**
 * The writes a logical cluster needs on one cluster, over the runtime's
 * ApiClient: server-side apply as field manager `canopy`, a namespace
 * ownership check before touching a namespace, TokenRequest, and label-scoped
 * cleanup. No decisions here: plan.ts makes them.
 */

import type { KubernetesObject } from '@kubernetes/client-node';
import { isAlreadyExists, isNotFound } from '../../runtime/index.js';
import type { ApiClient } from '../../runtime/index.js';
import type { KubeObject } from '../../runtime/index.js';
import { knownResource, Resources, type ResourceRef } from '../../runtime/index.js';
import { FIELD_MANAGER, LABEL_LOGICAL_CLUSTER } from '../../crds/labels.js';
import { NAMESPACED_KINDS, objectKey, toPrune } from './materialize.js';
import { belongsTo, isCanopyManaged, ownershipSelector } from './names.js';

/** A namespace exists but belongs to someone else: never adopt it. */
export class NamespaceConflictError extends Error {
  constructor(
    readonly namespace: string,
    owner: string,
  ) {
    super(`namespace ${namespace} already exists and ${owner}; delete or rename it, or change spec.namespaces`);
    this.name = 'NamespaceConflictError';
  }
}

/** A namespace of ours is still terminating (a quick delete and re-create): wait for it. */
export class NamespaceTerminatingError extends Error {
  constructor(readonly namespace: string) {
    super(`namespace ${namespace} is still terminating from an earlier deletion; it will be re-created once it is gone`);
    this.name = 'NamespaceTerminatingError';
  }
}

async function resourceOf(client: ApiClient, o: KubernetesObject): Promise<ResourceRef> {
  return knownResource(o.apiVersion ?? '', o.kind ?? '') ?? client.resourceFor(o.apiVersion ?? '', o.kind ?? '');
}

export async function apply(client: ApiClient, o: KubernetesObject, signal?: AbortSignal): Promise<KubeObject> {
  const resource = await resourceOf(client, o);
  return client.patch(resource, o.metadata?.name ?? '', o.metadata?.namespace, o, 'apply', { fieldManager: FIELD_MANAGER, force: true, signal });
}

/**
 * Creates or updates one of the logical cluster's namespaces. A new namespace
 * is created outright (one request); an existing one is applied only if it
 * carries Canopy's labels for this logical cluster. Resolves true when the
 * namespace was created just now (so nothing of ours is inside it yet).
 */
export async function ensureNamespace(client: ApiClient, ns: KubernetesObject, lcName: string, knownOurs: boolean, signal?: AbortSignal): Promise<boolean> {
  const name = ns.metadata?.name ?? '';
  if (!knownOurs) {
    try {
      await client.create(Resources.Namespace, ns as KubeObject, signal);
      return true;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  const existing = await client.tryGet(Resources.Namespace, name);
  if (existing) {
    if (!belongsTo(existing.metadata?.labels, lcName)) {
      const other = existing.metadata?.labels?.[LABEL_LOGICAL_CLUSTER];
      throw new NamespaceConflictError(
        name,
        isCanopyManaged(existing.metadata?.labels) && other ? `belongs to logical cluster ${other}` : 'was not created by Canopy for this logical cluster',
      );
    }
    if (existing.metadata?.deletionTimestamp) throw new NamespaceTerminatingError(name);
    await apply(client, ns, signal);
    return false;
  }
  await client.create(Resources.Namespace, ns as KubeObject, signal);
  return true;
}

/**
 * Kinds safe to create with a plain POST in a brand-new namespace: every field
 * Canopy sets on them is either fixed or an atomic list, so the later
 * server-side applies (which share ownership with that first write) can still
 * change everything they need to. ResourceQuota is not among them: a resource
 * dropped from spec.hard must disappear, which only an apply that owns the map
 * alone can do.
 */
const CREATE_FIRST_KINDS = new Set(['ServiceAccount', 'LimitRange', 'NetworkPolicy', 'Role', 'RoleBinding', 'Secret']);

/**
 * Writes objects in parallel (they do not depend on each other). In a
 * namespace created moments ago nothing of ours exists yet, so kinds that allow
 * it are created with a POST, cheaper for the apiserver than an apply that
 * first looks for the object; AlreadyExists falls back to the apply.
 */
export async function applyAll(
  client: ApiClient,
  objects: readonly KubernetesObject[],
  freshNamespaces: ReadonlySet<string> = new Set(),
  signal?: AbortSignal,
): Promise<void> {
  const write = async (o: KubernetesObject): Promise<unknown> => {
    if (CREATE_FIRST_KINDS.has(o.kind ?? '') && freshNamespaces.has(o.metadata?.namespace ?? '')) {
      try {
        return await client.create(await resourceOf(client, o), o as KubeObject, signal);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
    return apply(client, o, signal);
  };
  const results = await Promise.allSettled(objects.map(write));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ o: objects[i]!, err: r.reason as Error }] : []));
  if (failed.length > 0) {
    const first = failed[0]!;
    throw new Error(
      `applying ${first.o.kind} ${first.o.metadata?.namespace}/${first.o.metadata?.name} failed: ${first.err.message}${failed.length > 1 ? ` (and ${failed.length - 1} more)` : ''}`,
    );
  }
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: Date;
}

/** A bounded-lifetime token of a ServiceAccount (TokenRequest API). */
export async function requestToken(
  client: ApiClient,
  namespace: string,
  serviceAccount: string,
  expirationSeconds: number,
  signal?: AbortSignal,
): Promise<IssuedToken> {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(serviceAccount)}/token`;
  const answer = await client.request<{ status?: { token?: string; expirationTimestamp?: string } }>('POST', path, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds } },
    signal,
  });
  const token = answer.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
  const expiresAt = new Date(answer.status?.expirationTimestamp ?? Date.now() + expirationSeconds * 1000);
  return { token, expiresAt };
}

/**
 * Deletes this logical cluster's objects that are no longer desired: whole
 * namespaces that left the spec, and objects inside the kept namespaces (a
 * dropped quota, a moved ServiceAccount). Only label-matched objects are listed,
 * and toPrune re-checks the labels before anything is deleted.
 */
export async function prune(
  client: ApiClient,
  lcName: string,
  desired: readonly KubernetesObject[],
  keep: readonly string[],
  signal?: AbortSignal,
): Promise<string[]> {
  const selector = ownershipSelector(lcName);
  const existing: KubernetesObject[] = (await client.listAll(Resources.Namespace, { labelSelector: selector, signal })) as KubernetesObject[];
  const namespaces = desired.filter((o) => o.kind === 'Namespace').map((o) => o.metadata?.name ?? '');
  for (const ns of namespaces) {
    for (const kind of NAMESPACED_KINDS) {
      const resource = knownResource(kind.apiVersion, kind.kind)!;
      existing.push(...((await client.listAll(resource, { namespace: ns, labelSelector: selector, signal })) as KubernetesObject[]));
    }
  }
  const gone = toPrune(lcName, desired, existing, keep);
  for (const o of gone) await deleteIfPresent(client, o, signal);
  return gone.map(objectKey);
}

async function deleteIfPresent(client: ApiClient, o: KubernetesObject, signal?: AbortSignal): Promise<void> {
  try {
    await client.delete(await resourceOf(client, o), o.metadata?.name ?? '', o.metadata?.namespace, { propagationPolicy: 'Background', signal });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export interface CleanupProgress {
  /** Namespaces of this logical cluster still present (terminating or just asked to). */
  readonly remaining: readonly string[];
}

/**
 * Deletes every namespace Canopy created for this logical cluster on one
 * cluster (everything else it created lives inside them) and reports which
 * are still there. Namespaces terminate asynchronously; call again until none
 * remain.
 */
export async function cleanup(client: ApiClient, lcName: string, signal?: AbortSignal): Promise<CleanupProgress> {
  const namespaces = await client.listAll(Resources.Namespace, { labelSelector: ownershipSelector(lcName), signal });
  const remaining: string[] = [];
  for (const ns of namespaces) {
    if (!belongsTo(ns.metadata?.labels, lcName)) continue;
    remaining.push(ns.metadata?.name ?? '');
    if (!ns.metadata?.deletionTimestamp) await deleteIfPresent(client, ns as KubernetesObject, signal);
  }
  return { remaining: remaining.sort() };
}
