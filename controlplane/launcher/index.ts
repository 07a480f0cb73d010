export { ensureBinaries, repoRoot, CONTROL_PLANE_BINARIES } from './binaries.js';
export { LaunchError } from './errors.js';
export { ClusterHandle, DEFAULT_MEMBERS, LocalEnvironment, TEST_USERS } from './environment.js';
export type { LocalEnvironmentOptions, MemberSpec, TestUser } from './environment.js';
export { kubeConfigFor, kubeconfigYaml } from './kubeconfig.js';
export { waitUntil } from './wait.js';
