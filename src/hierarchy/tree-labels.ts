/**
 * Hierarchy labels on namespaces: `<ancestor>.tree.canopy.dev/depth: "<n>"`
 * for every ancestor workspace and for the namespace itself at 0, so a
 * NetworkPolicy or any selector can target a whole subtree with one
 * `acme.tree.canopy.dev/depth` Exists requirement (HNC's scheme).
 *
 * A LogicalCluster namespace sits one level below its workspace: it carries
 * itself at 0, its workspace at 1, the workspace's parent at 2 and so on. So
 * its depth in the tree is its workspace's depth + 1, and selecting a
 * workspace's subtree includes the LogicalCluster namespaces in it.
 */

import { TREE_LABEL_SUFFIX, treeLabel } from '../crds/labels.js';
import type { Forest } from './forest.js';

export type TreeLabels = Record<string, string>;

export function isTreeLabel(key: string): boolean {
  return key.endsWith(TREE_LABEL_SUFFIX);
}

/**
 * The tree labels a namespace should carry, or undefined when the forest
 * cannot say (unknown namespace; its workspace missing, in or under a cycle,
 * or cut off by a missing parent): then leave the labels alone rather than
 * strip a subtree's NetworkPolicy targeting during a transient.
 */
export function treeLabelsForNamespace(forest: Forest, ns: string): TreeLabels | undefined {
  const info = forest.namespaceInfo(ns);
  if (!info || forest.isHalted(info.workspace)) return undefined;
  const chain = [...forest.ancestors(info.workspace), info.workspace];
  const labels: TreeLabels = {};
  const offset = info.home ? 0 : 1;
  chain.forEach((workspace, i) => {
    labels[treeLabel(workspace)] = String(chain.length - 1 - i + offset);
  });
  if (!info.home) labels[treeLabel(ns)] = '0';
  return labels;
}

export interface LabelChanges {
  /** Labels to add or overwrite. */
  set: Record<string, string>;
  /** Stale tree labels to delete (never any other label). */
  remove: string[];
}

/** The minimal edit from a namespace's current labels to the desired tree labels. */
export function treeLabelChanges(current: Readonly<Record<string, string>> | undefined, desired: TreeLabels): LabelChanges {
  const set: Record<string, string> = {};
  for (const [key, value] of Object.entries(desired)) {
    if (current?.[key] !== value) set[key] = value;
  }
  const remove = Object.keys(current ?? {})
    .filter((key) => isTreeLabel(key) && !(key in desired))
    .sort();
  return { set, remove };
}
