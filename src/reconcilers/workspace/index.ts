/**
 * The Workspace feature: hierarchy, tree labels, propagation, delegated
 * administration and hierarchical quota (see register.ts for the wiring).
 */
export { register } from './register.js';
export type { WorkspaceFeature, WorkspaceOptions } from './register.js';
export { FINALIZER } from './reconciler.js';
export { ConditionTypes } from './status.js';
export { TREE_FIELD_MANAGER } from './tree-labeler.js';
export { OWNERS_ROLE_BINDING, ownersClusterRoleName } from './owner-rbac.js';
