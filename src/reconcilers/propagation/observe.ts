/**
 * Reads what one member cluster holds for a PropagatedObject: its copy (from
 * the label-selected member cache), an object of the same name Canopy did
 * not create (looked up directly, since the cache only shows Canopy's), or
 * nothing; or that the member cannot be asked right now.
 */
import type { Informer, KubeObject, MemberCluster, ResourceRef } from '../../runtime/index.js';
import { isNotFound } from '../../runtime/index.js';
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../crds/labels.js';
import { inSync } from './drift.js';
import { specReplicas } from './host.js';
import { summarizeMember } from './member-status.js';
import { isConnectionError, type MemberAccess } from './members.js';
import { ownerKeyOf } from './names.js';
import type { Observation } from './plan.js';
import type { RenderResult } from './render.js';

/** An observation plus what the shell needs to act on that cluster. */
export interface ClusterView {
  readonly observation: Observation;
  readonly member?: MemberCluster;
  readonly resource?: ResourceRef;
  /** Why the member cannot take this kind (it does not serve it, or the kind is cluster-scoped). */
  readonly unsupported?: string;
  /** The member does not serve the kind (yet): its CustomResourceDefinition may still be on its way there. */
  readonly kindMissing?: boolean;
  readonly live?: KubeObject;
}

export interface ObserveInput {
  readonly access: MemberAccess;
  readonly cluster: string;
  /** `namespace/name` of the PropagatedObject. */
  readonly ownerKey: string;
  readonly identity: { apiVersion: string; kind: string; name: string };
  readonly namespace: string;
  /** The desired copy for this cluster with the placement's replicas, when the cluster is in the placement. */
  readonly desired?: RenderResult;
  readonly signal?: AbortSignal;
}

const unreachable = (reason: string): ClusterView => ({ observation: { kind: 'unreachable', reason } });

export async function observeCluster(input: ObserveInput): Promise<ClusterView> {
  const { access, identity, namespace } = input;
  const member = await input.access.member(input.cluster, input.signal);
  if (typeof member === 'string') return unreachable(member);
  let resource: ResourceRef;
  try {
    resource = await member.client.resourceFor(identity.apiVersion, identity.kind);
  } catch (err) {
    if (isConnectionError(err)) return unreachable((err as Error).message);
    if (isNotFound(err))
      return {
        observation: { kind: 'absent' },
        member,
        unsupported: `the cluster does not serve ${identity.kind} in ${identity.apiVersion}`,
        kindMissing: true,
      };
    throw err;
  }
  // A PropagatedObject (namespace set) places namespaced kinds, a ClusterPropagatedObject (no namespace) cluster-scoped ones.
  if (resource.namespaced !== (namespace !== ''))
    return {
      observation: { kind: 'absent' },
      member,
      resource,
      unsupported: resource.namespaced
        ? `${identity.kind} is namespaced; ClusterPropagatedObjects place cluster-scoped objects only (use a PropagatedObject)`
        : `${identity.kind} is cluster-scoped; PropagatedObjects place namespaced objects only (use a ClusterPropagatedObject)`,
    };
  const informer: Informer | string = await access.informer('copies', member, resource, input.signal);
  if (typeof informer === 'string') return unreachable(informer);
  let live: KubeObject | undefined = informer.get(identity.name, namespace);
  if (!live) {
    // The cache shows only labelled copies: an unlabelled object of the same name is someone else's.
    try {
      live = await access.lookup(member, resource, identity.name, namespace);
    } catch (err) {
      if (isConnectionError(err)) return unreachable((err as Error).message);
      throw err;
    }
  }
  if (!live) return { observation: { kind: 'absent' }, member, resource };
  const ours = live.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE && ownerKeyOf(live.metadata?.annotations) === input.ownerKey;
  if (!ours) return { observation: { kind: 'foreign' }, member, resource, live };
  const replicas = specReplicas(live);
  const synced = input.desired === undefined ? true : input.desired.ok && inSync(input.desired.object, live);
  return {
    observation: { kind: 'ours', specReplicas: replicas, synced, summary: summarizeMember(live, replicas) },
    member,
    resource,
    live,
  };
}
