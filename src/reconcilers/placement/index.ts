/**
 * Public surface of the placement engine (pure core). The reconciler shell,
 * the admission webhook and the CLI import from here.
 */
export { schedule, STAGE_DIVISION, STAGE_PINNING, STAGE_POLICY_ENGINE, STAGE_SELECTION, type ScheduleOptions } from './engine.js';
export { PASS, reject, type FilterKind, type FilterPlugin, type FilterResult, type ScheduleContext, type ScorePlugin } from './framework.js';
export { DEFAULT_FILTERS, DEFAULT_SCORES, PluginRegistry, defaultRegistry } from './registry.js';
export { compileRules, type RuleCompileError } from './cel.js';
export { divideReplicas, type DivisionCandidate, type DivisionRequest, type DivisionResult } from './division.js';
export { ANNOTATION_PLACEMENT_CLUSTERS, objectProfile, type ObjectProfile } from './object-profile.js';
export { clusterView, type ClusterView } from './cluster-view.js';
export { monthlyCost, HOURS_PER_MONTH } from './cost-estimate.js';
export { compileSelector, matchesSelector, formatSelector } from '../../kube/label-selector.js';
export { tolerates } from './filters/taint-toleration.js';
export { WORKSPACE_CONSTRAINTS, workspaceBudgetFilter, workspaceConstraintsFilter } from './filters/workspace-constraints.js';
export {
  affectedIfLabelRemoved,
  objectsOnClusters,
  type ClusterQuery,
  type ObjectOnClusters,
  type ObjectPlacementRecord,
  type ObjectRef,
  type PlacementChange,
} from './visibility.js';
export type * from './types.js';
