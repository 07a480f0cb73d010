/**
 * Label and annotation keys that are part of Canopy's API contract
 * (docs/architecture.md, "Labels and annotations"). Every component imports
 * them from here so a key is spelled exactly once.
 */

/** Set to {@link MANAGED_BY_VALUE} on every object Canopy creates, on any cluster. */
export const LABEL_MANAGED_BY = 'canopy.dev/managed-by';
/** Value of {@link LABEL_MANAGED_BY}; Canopy never deletes or overwrites an object without it. */
export const MANAGED_BY_VALUE = 'canopy';

/** Names the Workspace a namespace or object was created for. */
export const LABEL_WORKSPACE = 'canopy.dev/workspace';
/** Names the LogicalCluster a namespace or object was created for. */
export const LABEL_LOGICAL_CLUSTER = 'canopy.dev/logical-cluster';
/** On propagated copies: the namespace the source object lives in. */
export const LABEL_INHERITED_FROM = 'canopy.dev/inherited-from';

/**
 * Suffix of the hierarchy labels on namespaces: `<ancestor>.tree.canopy.dev/depth: "<n>"`
 * for every ancestor workspace and the namespace's own workspace (depth 0).
 */
export const TREE_LABEL_SUFFIX = '.tree.canopy.dev/depth';

/** The hierarchy label key for one ancestor, e.g. `acme.tree.canopy.dev/depth`. */
export function treeLabel(ancestor: string): string {
  return `${ancestor}${TREE_LABEL_SUFFIX}`;
}

/** Annotation on a source object: `"true"` stops it from being propagated. */
export const ANNOTATION_PROPAGATE_NONE = 'propagate.canopy.dev/none';
/** Annotation on a source object: a label selector limiting propagation to matching descendants. */
export const ANNOTATION_PROPAGATE_SELECT = 'propagate.canopy.dev/select';

/** Taint key Canopy puts on a Cluster that stayed NotReady past `spec.failoverAfterSeconds`. */
export const TAINT_UNREACHABLE = 'canopy.dev/unreachable';

/** Field manager for every server-side apply Canopy performs. */
export const FIELD_MANAGER = 'canopy';

/** Label on the CustomResourceDefinitions themselves, so `kubectl get crd -l` finds them. */
export const LABEL_PART_OF = 'app.kubernetes.io/part-of';

/**
 * On a PropagatedObject, ClusterPropagatedObject or PlacementPolicy: an RFC 3339 time. Placement decides
 * again once, ignoring stability and failback holds, for every object whose `status.rebalancedAt` is older
 * (`kubectl canopy rebalance`).
 */
export const ANNOTATION_REBALANCE_REQUESTED_AT = 'canopy.dev/rebalance-requested-at';

/** On a generated PropagatedObject: `<apiVersion>/<kind>/<name>` of the plain object it places. */
export const ANNOTATION_SOURCE = 'canopy.dev/source';
