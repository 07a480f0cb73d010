/**
 * Host-side writes of the syncer: its finalizer, its part of the
 * PropagatedObject status, and resolving what a PropagatedObject places.
 */
import { apply, isNotFound, Resources, type ApiClient, type KubeObject, type OwnWrites, type ResourceRef } from '../../runtime/index.js';
import { jsonEqual } from './jsonpatch.js';
import { FINALIZER } from './names.js';
import type { PortableObject } from './portable.js';
import { isRecord } from './portable.js';
import type { Condition } from '../../crds/common.js';
import type { RolloutStatus } from '../../crds/rollout.js';
import type { ClusterStatusEntry, SyncStatus } from './status.js';

/**
 * Field manager for what the syncer writes on the host: its finalizer and its
 * status fields (clusters, replicas, readyReplicas, the Synced and Ready
 * conditions). Server-side apply with a manager of its own lets the placement
 * reconciler own placement, excluded and Scheduled in the same status, and
 * the generator own the spec, without any of them overwriting the others.
 */
export const SYNCER_FIELD_MANAGER = 'canopy-propagation';

export interface PropagatedObjectLike extends KubeObject {
  spec?: {
    template?: PortableObject;
    sourceRef?: { apiVersion: string; kind: string; name: string };
    overrides?: Array<{
      clusterSelector?: { matchLabels?: Record<string, string> };
      clusters?: string[];
      patches: Array<{ op: string; path: string; value?: unknown }>;
    }>;
  };
  status?: {
    placement?: Array<{ cluster: string; replicas?: number; reason?: string }>;
    clusters?: ClusterStatusEntry[];
    replicas?: number;
    readyReplicas?: number;
    conditions?: Condition[];
    rollout?: RolloutStatus;
  };
}

/** apiVersion, kind and name of the object a PropagatedObject places (known even when its source is gone). */
export function placedIdentity(po: PropagatedObjectLike): { apiVersion: string; kind: string; name: string } | undefined {
  const t = po.spec?.template;
  if (t?.apiVersion && t.kind && t.metadata?.name) return { apiVersion: t.apiVersion, kind: t.kind, name: t.metadata.name };
  const s = po.spec?.sourceRef;
  return s ? { apiVersion: s.apiVersion, kind: s.kind, name: s.name } : undefined;
}

export type Resolved = { ok: true; template: PortableObject } | { ok: false; reason: string; message: string };

/** The object to place: spec.template, or the live source object a spec.sourceRef names. */
export async function resolveTemplate(client: ApiClient, po: PropagatedObjectLike): Promise<Resolved> {
  if (po.spec?.template) return { ok: true, template: po.spec.template };
  const ref = po.spec?.sourceRef;
  if (!ref) return { ok: false, reason: 'InvalidSpec', message: 'neither spec.template nor spec.sourceRef is set' };
  try {
    const resource = await client.resourceFor(ref.apiVersion, ref.kind);
    const source = await client.tryGet(resource, ref.name, po.metadata?.namespace);
    if (!source)
      return { ok: false, reason: 'SourceNotFound', message: `${ref.kind} ${ref.name} (spec.sourceRef) does not exist in namespace ${po.metadata?.namespace}` };
    return { ok: true, template: source as PortableObject };
  } catch (err) {
    if (isNotFound(err)) return { ok: false, reason: 'SourceNotFound', message: `the host does not serve ${ref.kind} in ${ref.apiVersion}` };
    throw err;
  }
}

export function hasFinalizer(object: KubeObject): boolean {
  return (object.metadata?.finalizers ?? []).includes(FINALIZER);
}

/**
 * Adds the syncer's finalizer with server-side apply under the syncer's own
 * field manager (finalizers are a set: the syncer owns just its entry and
 * needs no resourceVersion, where a cache a moment behind would turn every
 * busy object into a string of 409s), or removes it with a JSON patch that
 * tests the entry first, whoever added it (generated PropagatedObjects are
 * created with it, saving a write per object).
 */
export async function setFinalizer(
  client: ApiClient,
  po: KubeObject,
  present: boolean,
  writes: OwnWrites,
  signal?: AbortSignal,
  /** PropagatedObject, or ClusterPropagatedObject (same finalizer, same status shape). */
  resource: ResourceRef = Resources.PropagatedObject,
): Promise<void> {
  if (hasFinalizer(po) === present) return;
  try {
    if (present) {
      const metadata = { name: po.metadata?.name, ...(resource.namespaced ? { namespace: po.metadata?.namespace } : {}), finalizers: [FINALIZER] };
      const stored = await apply(client, { apiVersion: resource.apiVersion, kind: resource.kind, metadata } as KubeObject, {
        resource,
        fieldManager: SYNCER_FIELD_MANAGER,
        signal,
      });
      writes.record(resource.plural, stored);
      return;
    }
    const index = (po.metadata?.finalizers ?? []).indexOf(FINALIZER);
    const path = `/metadata/finalizers/${index}`;
    await client.patch(
      resource,
      po.metadata?.name ?? '',
      po.metadata?.namespace,
      [
        { op: 'test', path, value: FINALIZER },
        { op: 'remove', path },
      ],
      'json',
      { signal },
    );
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
}

/** The condition types the syncer writes (the Rollout ones only with a Rolling or Staged rollout). */
const SYNCER_CONDITIONS = ['Synced', 'Ready', 'RolloutProgressing', 'RolloutStopped'];

/** The syncer's part of the current status, in the shape it writes it. */
function currentPart(po: PropagatedObjectLike): Record<string, unknown> {
  const s = po.status ?? {};
  const conditions = (s.conditions ?? []).filter((c) => SYNCER_CONDITIONS.includes(c.type));
  return {
    clusters: s.clusters ?? [],
    replicas: s.replicas,
    readyReplicas: s.readyReplicas,
    rollout: s.rollout,
    conditions: conditions.map(({ type, status, reason, message, observedGeneration }) => ({ type, status, reason, message, observedGeneration })),
  };
}

function desiredPart(status: SyncStatus): Record<string, unknown> {
  return {
    clusters: status.clusters,
    replicas: status.replicas,
    readyReplicas: status.readyReplicas,
    rollout: status.rollout,
    conditions: status.conditions.map(({ type, status: st, reason, message, observedGeneration }) => ({
      type,
      status: st,
      reason,
      message,
      observedGeneration,
    })),
  };
}

function strip(o: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
}

/** Writes the syncer's status fields when they changed; returns whether it wrote. */
export async function writeStatus(
  client: ApiClient,
  po: PropagatedObjectLike,
  status: SyncStatus,
  writes: OwnWrites,
  signal?: AbortSignal,
  resource: ResourceRef = Resources.PropagatedObject,
): Promise<boolean> {
  if (jsonEqual(strip(currentPart(po)), strip(desiredPart(status)))) return false;
  const body: Record<string, unknown> = { clusters: status.clusters, conditions: status.conditions };
  if (status.replicas !== undefined) body['replicas'] = status.replicas;
  if (status.readyReplicas !== undefined) body['readyReplicas'] = status.readyReplicas;
  if (status.rollout !== undefined) body['rollout'] = status.rollout;
  try {
    const stored = await apply(
      client,
      {
        apiVersion: resource.apiVersion,
        kind: resource.kind,
        metadata: { name: po.metadata?.name, ...(resource.namespaced ? { namespace: po.metadata?.namespace } : {}) },
        status: body,
      },
      { resource, subresource: 'status', fieldManager: SYNCER_FIELD_MANAGER, signal },
    );
    // A reconcile woken before this write's watch event must see it, or it would write the same status again.
    writes.record(resource.plural, stored);
  } catch (err) {
    if (isNotFound(err)) return false; // deleted meanwhile
    throw err;
  }
  return true;
}

/** A copy of the object's spec.replicas, if it is a number. */
export function specReplicas(object: KubeObject): number | undefined {
  const spec = (object as Record<string, unknown>)['spec'];
  return isRecord(spec) && typeof spec['replicas'] === 'number' ? spec['replicas'] : undefined;
}
