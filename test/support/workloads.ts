/**
 * Workloads the e2e suites place and attack with: one Deployment shape, so a
 * test states only the pod spec it is about.
 */
import type { KubeObject } from '../../src/runtime/index.js';

export type DeploymentObject = KubeObject & { spec: Record<string, unknown> };

/** A Deployment `name` (label app=name) running `pod`. */
export function deploymentOf(name: string, pod: Record<string, unknown>, replicas = 1): DeploymentObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: pod } },
  };
}

/** A Deployment that passes the restricted pod-security level: the tenant's everyday workload. */
export function restrictedDeployment(name: string, image = 'docker.io/library/nginx:1.27', replicas = 1): DeploymentObject {
  return deploymentOf(
    name,
    {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'web', image, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
    replicas,
  );
}
