/**
 * Feeds the Forest from the Workspace and Namespace informers and tells the
 * controllers what each change touched. A workspace being deleted leaves the
 * forest at once (its children see ParentMissing and propagation stops
 * writing into and out of it while its finalizer cleans up). A namespace joins
 * the tree as a LogicalCluster namespace when it carries both
 * canopy.dev/workspace and canopy.dev/logical-cluster *and* that
 * LogicalCluster's spec lists it (membership.ts); home namespaces need no
 * attachment (the forest knows a workspace's home by its name). Informers
 * deliver namespaces and LogicalClusters in any order, so a LogicalCluster's
 * arrival or change re-judges the namespaces that name it.
 */

import type { Logger } from 'pino';
import { isBeingDeleted, labelIndex, type Informer, type InformerEvent, type KubeObject } from '../runtime/index.js';
import { LABEL_LOGICAL_CLUSTER, LABEL_WORKSPACE } from '../crds/labels.js';
import type { WorkspaceSpec } from '../crds/workspace.js';
import { EMPTY_CHANGE, type ForestChange } from './forest-change.js';
import { Forest, stableJson } from './forest.js';
import { parentFromSpec, workspaceDataFromSpec } from './from-crd.js';
import { namespaceMembership, type MembershipOwner } from './membership.js';
import { isTreeLabel } from './tree-labels.js';

export interface WorkspaceObject extends KubeObject {
  spec?: WorkspaceSpec;
  status?: Record<string, unknown>;
}

export type HierarchyChange =
  | {
      kind: 'workspace';
      name: string;
      change: ForestChange;
      /** What moved, so propagation replans only when it matters. */
      parentChanged: boolean;
      propagateChanged: boolean;
      ownersChanged: boolean;
      constraintsChanged: boolean;
      removed: boolean;
    }
  | {
      kind: 'namespace';
      name: string;
      change: ForestChange;
      /** The namespace exists and can take writes (it just appeared, or stopped terminating). */
      appeared: boolean;
      /** Labels other than tree labels changed (select annotations read them). */
      labelsChanged: boolean;
      removed: boolean;
    };

export type LogicalClusterObject = KubeObject & MembershipOwner;

const NAMESPACES_BY_LOGICAL_CLUSTER = 'workspace:label:logical-cluster';

export class Hierarchy {
  readonly forest = new Forest();
  private readonly listeners = new Set<(change: HierarchyChange) => void>();
  /** Namespaces whose membership claim was ignored, with the reason last logged (each logged once). */
  private readonly ignored = new Map<string, string>();

  constructor(
    readonly workspaces: Informer<WorkspaceObject>,
    readonly namespaces: Informer,
    private readonly logicalClusters: Informer<LogicalClusterObject>,
    private readonly logger?: Logger,
  ) {
    namespaces.addIndexer(NAMESPACES_BY_LOGICAL_CLUSTER, labelIndex(LABEL_LOGICAL_CLUSTER));
    workspaces.on((event) => this.onWorkspace(event));
    namespaces.on((event) => this.onNamespace(event));
    logicalClusters.on((event) => this.onLogicalCluster(event));
  }

  onChange(listener: (change: HierarchyChange) => void): void {
    this.listeners.add(listener);
  }

  /**
   * Whether copies can be written into `ns` now: it exists and is not
   * terminating; and a workspace's home namespace carries that workspace's
   * label, so a namespace of the same name labelled for another workspace is
   * never written to.
   */
  namespaceWritable(ns: string): boolean {
    const namespace = this.namespaces.get(ns);
    if (namespace === undefined || isBeingDeleted(namespace)) return false;
    return !(this.forest.has(ns) && namespace.metadata?.labels?.[LABEL_WORKSPACE] !== ns);
  }

  /** A namespace's labels without tree labels (the planner adds those from the forest). */
  namespaceLabels(ns: string): Record<string, string> | undefined {
    const labels = this.namespaces.get(ns)?.metadata?.labels;
    if (!labels) return undefined;
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(labels)) if (!isTreeLabel(key)) out[key] = value;
    return out;
  }

  private emit(change: HierarchyChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private onWorkspace(event: InformerEvent<WorkspaceObject>): void {
    const name = event.object.metadata?.name ?? '';
    const gone = event.type === 'delete' || isBeingDeleted(event.object);
    const old = event.type === 'update' && !isBeingDeleted(event.old) ? event.old : undefined;
    if (gone) {
      const change = this.forest.removeWorkspace(name);
      if (change === EMPTY_CHANGE) return;
      this.emit({ kind: 'workspace', name, change, parentChanged: true, propagateChanged: true, ownersChanged: true, constraintsChanged: true, removed: true });
      return;
    }
    const spec = event.object.spec;
    const change = this.forest.setWorkspace(name, parentFromSpec(spec), workspaceDataFromSpec(spec));
    const differs = (pick: (s: WorkspaceSpec | undefined) => unknown) => !old || stableJson(pick(old.spec) ?? null) !== stableJson(pick(spec) ?? null);
    this.emit({
      kind: 'workspace',
      name,
      change,
      parentChanged: !old || parentFromSpec(old.spec) !== parentFromSpec(spec),
      propagateChanged: differs((s) => s?.propagate),
      ownersChanged: differs((s) => s?.owners),
      constraintsChanged: differs((s) => s?.constraints),
      removed: false,
    });
  }

  private onNamespace(event: InformerEvent): void {
    const ns = event.object.metadata?.name ?? '';
    const labels = event.object.metadata?.labels ?? {};
    const gone = event.type === 'delete' || isBeingDeleted(event.object);
    const change = this.judge(ns, gone ? undefined : labels);
    const before = event.type === 'update' ? event.old : undefined;
    const wasWritable = before !== undefined && !isBeingDeleted(before);
    this.emit({
      kind: 'namespace',
      name: ns,
      change,
      appeared: !gone && !wasWritable,
      labelsChanged: !gone && before !== undefined && nonTreeLabelsDiffer(before.metadata?.labels, labels),
      removed: gone,
    });
  }

  /** A LogicalCluster appeared, changed or went: its claimants may join or leave. */
  private onLogicalCluster(event: InformerEvent<LogicalClusterObject>): void {
    const name = event.object.metadata?.name ?? '';
    if (event.type === 'update' && sameMembershipSpec(event.old, event.object)) return;
    for (const namespace of this.namespaces.byIndex(NAMESPACES_BY_LOGICAL_CLUSTER, name)) {
      if (isBeingDeleted(namespace)) continue;
      const ns = namespace.metadata?.name ?? '';
      const change = this.judge(ns, namespace.metadata?.labels ?? {});
      if (change === EMPTY_CHANGE) continue;
      this.emit({ kind: 'namespace', name: ns, change, appeared: false, labelsChanged: false, removed: false });
    }
  }

  /** Attaches or detaches `ns` as its labels and the LogicalCluster they name say (undefined labels: going away). */
  private judge(ns: string, labels: Readonly<Record<string, string>> | undefined): ForestChange {
    const lcName = labels?.[LABEL_LOGICAL_CLUSTER];
    const membership = labels ? namespaceMembership(ns, labels, lcName === undefined ? undefined : this.logicalClusters.get(lcName)) : undefined;
    if (membership?.kind !== 'ignore') this.ignored.delete(ns);
    if (membership?.kind !== 'attach') {
      if (membership?.kind === 'ignore') this.noteIgnored(ns, membership.reason);
      return this.forest.detachNamespace(ns);
    }
    const current = this.forest.namespaceInfo(ns);
    if (current?.workspace === membership.workspace && current.logicalCluster === membership.logicalCluster) return EMPTY_CHANGE;
    return this.forest.attachNamespace(ns, membership.workspace, membership.logicalCluster);
  }

  private noteIgnored(ns: string, reason: string): void {
    // Before the LogicalClusters are listed every claim looks unfounded; that is not worth a line.
    if (!this.logicalClusters.hasSynced() || this.ignored.get(ns) === reason) return;
    this.ignored.set(ns, reason);
    this.logger?.debug({ namespace: ns, reason }, 'namespace labelled into a logical cluster that does not list it: left out of the tree');
  }
}

function sameMembershipSpec(a: LogicalClusterObject, b: LogicalClusterObject): boolean {
  return a.spec?.workspace === b.spec?.workspace && stableJson(a.spec?.namespaces ?? null) === stableJson(b.spec?.namespaces ?? null);
}

function nonTreeLabelsDiffer(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>): boolean {
  const strip = (labels: Readonly<Record<string, string>> | undefined) =>
    stableJson(Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => !isTreeLabel(key))));
  return strip(a) !== strip(b);
}
