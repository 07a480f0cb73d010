export { ensureBinaries, ensureTool, repoRoot, CONTROL_PLANE_BINARIES, ON_DEMAND_TOOLS } from './binaries.js';
export type { OnDemandTool } from './binaries.js';
export { LaunchError } from './errors.js';
export { ClusterHandle, DEFAULT_MEMBERS, LocalEnvironment, TEST_USERS } from './environment.js';
export type { LocalEnvironmentOptions, MemberSpec, TestUser } from './environment.js';
export { kubeConfigFor, kubeconfigYaml } from './kubeconfig.js';
export { DEFAULT_NODE_POOL, fakeNodes } from './nodes.js';
export type { NodePoolSpec } from './nodes.js';
export { waitUntil } from './wait.js';
