/**
 * Which change wakes which controller of the Workspace feature. The forest
 * says exactly which workspaces a change touched (ForestChange), so a change
 * deep in a big tree wakes only that part of it. Pure routing over narrow
 * interfaces: register.ts connects it to the controllers, and the unit tests
 * drive it with a real Forest and recorded targets.
 */
import { LABEL_INHERITED_FROM, LABEL_MANAGED_BY, LABEL_WORKSPACE, MANAGED_BY_VALUE } from '../../crds/labels.js';
import type { Forest } from '../../hierarchy/forest.js';
import { EMPTY_CHANGE } from '../../hierarchy/forest-change.js';
import type { HierarchyChange } from '../../hierarchy/hierarchy.js';
import type { PropagatedType } from '../../hierarchy/types.js';
import { quotaResources } from '../../hierarchy/quota-usage.js';
import type { Request } from '../../runtime/index.js';
import { isCopy, objectKey } from '../inheritance/objects.js';
import { namespaceRequest, sourceRequest, treeRequest } from '../inheritance/reconciler.js';
import type { TrackerEvent } from '../inheritance/tracker.js';

/** Where routed work goes: the three controllers' queues and the type registry. */
export interface RoutingTargets {
  /** The workspace reconciler (finalizer, home namespace, owners' RBAC, status). */
  workspace(request: Request): void;
  /** The tree labeler, per namespace. */
  treeLabels(request: Request): void;
  /** Copying down the tree (reconcilers/inheritance), with the narrowest request that covers the change. */
  inherit(request: Request): void;
  /** A type a workspace now lists in spec.propagate: look it up. */
  ensureType(type: PropagatedType): void;
  /** A namespace is gone: its copy conflicts with it. */
  forgetConflicts(namespace: string): void;
}

export interface RoutingContext {
  readonly forest: Forest;
  /** spec.propagate of a workspace, as the cache holds it. */
  readonly propagateOf: (workspace: string) => readonly PropagatedType[];
  /** Whether the propagator is writing this object right now (it judges the outcome itself). */
  readonly writePending: (namespace: string, key: string) => boolean;
}

/** Workspaces whose quota totals include `workspace`'s: itself and every ancestor, when any of them has a quota. */
export function quotaChain(forest: Forest, workspace: string): Request[] {
  return quotaResources(forest, workspace).size === 0 ? [] : [...forest.ancestors(workspace), workspace].map((name) => ({ name }));
}

export function routeHierarchyChange(change: HierarchyChange, context: RoutingContext, to: RoutingTargets): void {
  const { forest } = context;
  if (change.kind === 'workspace') {
    for (const ws of change.change.all) to.workspace({ name: ws });
    for (const parent of change.change.parents) for (const request of quotaChain(forest, parent)) to.workspace(request);
    if (change.parentChanged) {
      for (const ws of change.change.subtree) for (const ns of forest.namespacesOf(ws)) to.treeLabels({ name: ns });
    }
    if (!change.removed && (change.parentChanged || change.propagateChanged)) to.inherit(treeRequest(change.name));
    if (change.propagateChanged) for (const type of context.propagateOf(change.name)) to.ensureType(type);
    return;
  }
  if (change.change !== EMPTY_CHANGE) for (const ws of change.change.all) to.workspace({ name: ws });
  // Joining can follow a LogicalCluster event rather than the namespace's own.
  if (change.change !== EMPTY_CHANGE && !change.removed) to.treeLabels({ name: change.name });
  if (change.removed) {
    to.forgetConflicts(change.name);
    return;
  }
  if (change.appeared || change.labelsChanged || change.change !== EMPTY_CHANGE) to.inherit(namespaceRequest(change.name));
}

/** Object events → the narrowest inheritance work; echoes of the propagator's own writes are dropped. */
export function routeObjectChange(event: TrackerEvent, context: RoutingContext, to: RoutingTargets): void {
  const { entry, previous } = event;
  const ns = entry.namespace;
  const info = context.forest.namespaceInfo(ns);
  if (!info) return;
  const key = objectKey(entry);
  if (context.writePending(ns, key)) return;
  // Canopy's own per-namespace objects (the owners' RoleBinding): put back by the workspace reconciler.
  if (!isCopy(entry) && entry.excluded && entry.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE) {
    const ws = entry.labels[LABEL_WORKSPACE];
    if (ws) to.workspace({ name: ws });
  }
  const isSource = !isCopy(entry) && info.home && !entry.excluded;
  if (event.kind === 'delete') {
    if (!previous) return; // the propagator deleted it and already knows
    to.inherit(isSource ? sourceRequest(ns, key) : namespaceRequest(ns, key));
    return;
  }
  const unchanged =
    previous !== undefined &&
    previous.uid === entry.uid &&
    previous.hash === entry.hash &&
    isCopy(previous) === isCopy(entry) &&
    previous.labels?.[LABEL_INHERITED_FROM] === entry.labels?.[LABEL_INHERITED_FROM] &&
    JSON.stringify(previous.annotations ?? {}) === JSON.stringify(entry.annotations ?? {});
  if (unchanged) return;
  to.inherit(isSource ? sourceRequest(ns, key) : namespaceRequest(ns, key));
}
