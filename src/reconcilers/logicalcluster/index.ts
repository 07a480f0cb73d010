/**
 * The LogicalCluster feature: a tenant's namespaces (on the control plane or
 * a dedicated member cluster), its RBAC, quota, isolation and kubeconfig.
 */
export { register, CONTROLLER_NAME } from './register.js';
export type { RegisterOptions } from './register.js';
export type { GatewayEndpoint, KubeconfigEndpoint } from './target.js';
export { checkWorkspaceLimits, hasWorkspaceLimits } from './limits.js';
export type { LimitScope, LimitViolation, LogicalClusterClaim, WorkspaceLimitsInput } from './limits.js';
export { claimOf, plan, podSecurityOf } from './plan.js';
export { FINALIZER, kubeconfigSecretName, ownershipSelector } from './names.js';
export { planNamespaces } from '../../hierarchy/logical-cluster-namespaces.js';
export { resolveCapabilities, PRESETS } from './capabilities.js';
