/**
 * Keeps `<ancestor>.tree.canopy.dev/depth` labels on every namespace of the
 * tree (home and logical-cluster namespaces), with server-side apply under
 * its own field manager `canopy-tree`, so they never fight the labels the
 * workspace and logical-cluster reconcilers apply as `canopy`. Applying the
 * full set each time also drops the tree labels it applied before and no
 * longer wants (after a move); a stale tree label someone else set is
 * removed as well, since it would let a NetworkPolicy selecting a subtree
 * admit a namespace outside it. Halted workspaces keep their labels.
 */

import { isBeingDeleted, Resources, type ApiClient, type ReconcileResult, type Request } from '../../runtime/index.js';
import type { Hierarchy } from '../../hierarchy/hierarchy.js';
import { treeLabelChanges, treeLabelsForNamespace } from '../../hierarchy/tree-labels.js';

export const TREE_FIELD_MANAGER = 'canopy-tree';

export class TreeLabeler {
  constructor(
    private readonly hierarchy: Hierarchy,
    private readonly client: ApiClient,
  ) {}

  async reconcile(request: Request): Promise<ReconcileResult | void> {
    const name = request.name;
    const namespace = this.hierarchy.namespaces.get(name);
    if (!namespace || isBeingDeleted(namespace)) return;
    const desired = treeLabelsForNamespace(this.hierarchy.forest, name);
    if (!desired) return;
    const changes = treeLabelChanges(namespace.metadata?.labels, desired);
    if (Object.keys(changes.set).length === 0 && changes.remove.length === 0) return;
    const uid = namespace.metadata?.uid;
    const applied = await this.client.patch(
      Resources.Namespace,
      name,
      undefined,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid, labels: desired } },
      'apply',
      {
        fieldManager: TREE_FIELD_MANAGER,
        force: true,
      },
    );
    const leftover = treeLabelChanges(applied.metadata?.labels, desired).remove;
    if (leftover.length > 0) {
      const labels = Object.fromEntries(leftover.map((key) => [key, null]));
      await this.client.patch(Resources.Namespace, name, undefined, { metadata: { uid, labels } }, 'merge', { fieldManager: TREE_FIELD_MANAGER });
    }
  }
}
