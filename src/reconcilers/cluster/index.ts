/**
 * The Cluster feature: registered physical clusters, probed for health; the
 * unreachable taint that drives failover.
 */
export { register, CONTROLLER_NAME, ClusterHealthReconciler } from './reconciler.js';
export { allocatable, classifyProbeFailure, desiredTaints, msUntilTaint, readyConditionUpdate } from './health.js';
export type { NotReadyReason, ProbeOutcome } from './health.js';
