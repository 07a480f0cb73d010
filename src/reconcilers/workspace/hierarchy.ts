// Feeds the Forest from the Workspace and Namespace informers and tells the
// controllers what each change touched. A workspace being deleted leaves the
// forest at once (its children see ParentMissing and propagation stops
// writing into and out of it while its finalizer cleans up). A namespace joins
// the tree as a LogicalCluster namespace when it carries both
// canopy.dev/workspace and canopy.dev/logical-cluster; home namespaces need no
// attachment (the forest knows a workspace's home by its name).

import { isBeingDeleted, type Informer, type InformerEvent, type KubeObject } from '../../controllers/index.js';
import { LABEL_LOGICAL_CLUSTER, LABEL_WORKSPACE } from '../../crds/labels.js';
import type { WorkspaceSpec } from '../../crds/workspace.js';
import { EMPTY_CHANGE, type ForestChange } from './forestChange.js';
import { Forest, stableJson } from './forest.js';
import { parentFromSpec, workspaceDataFromSpec } from './fromCrd.js';
import { isTreeLabel } from './treeLabels.js';

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

export class Hierarchy {
  readonly forest = new Forest();
  private readonly listeners = new Set<(change: HierarchyChange) => void>();

  constructor(
    readonly workspaces: Informer<WorkspaceObject>,
    readonly namespaces: Informer,
  ) {
    workspaces.on((event) => this.onWorkspace(event));
    namespaces.on((event) => this.onNamespace(event));
  }

  onChange(listener: (change: HierarchyChange) => void): void {
    this.listeners.add(listener);
  }

  /** Whether copies can be written into `ns` now: it exists and is not terminating. */
  namespaceWritable(ns: string): boolean {
    const namespace = this.namespaces.get(ns);
    return namespace !== undefined && !isBeingDeleted(namespace);
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
    const workspace = labels[LABEL_WORKSPACE];
    const logicalCluster = labels[LABEL_LOGICAL_CLUSTER];
    let change: ForestChange = EMPTY_CHANGE;
    if (gone || workspace === undefined || logicalCluster === undefined || workspace === ns) {
      change = this.forest.detachNamespace(ns);
    } else {
      const current = this.forest.namespaceInfo(ns);
      if (current?.workspace !== workspace || current.logicalCluster !== logicalCluster) change = this.forest.attachNamespace(ns, workspace, logicalCluster);
    }
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
}

function nonTreeLabelsDiffer(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>): boolean {
  const strip = (labels: Readonly<Record<string, string>> | undefined) =>
    stableJson(Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => !isTreeLabel(key))));
  return strip(a) !== strip(b);
}
