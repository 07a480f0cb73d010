import { CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { ClusterHandle } from '../../controlplane/launcher/index.js';
import { applyManifests } from './manifests.js';

/** Namespace where the operator runs and keeps member-cluster credentials. */
export const SYSTEM_NAMESPACE = 'canopy-system';

/**
 * Registers a member as a `Cluster`: its admin kubeconfig goes into a Secret in
 * canopy-system and the Cluster object points at it (push mode).
 */
export function clusterRegistration(member: ClusterHandle): KubernetesObject[] {
  const spec = member.member;
  if (!spec) throw new Error(`${member.name} is not a member cluster`);
  const secretName = `${member.name}-kubeconfig`;
  const managed = { 'canopy.dev/managed-by': 'canopy' };
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName, namespace: SYSTEM_NAMESPACE, labels: managed },
    type: 'Opaque',
    stringData: { kubeconfig: member.kubeconfigYaml() },
  };
  const cluster = {
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name: member.name, labels: { ...spec.labels, 'topology.kubernetes.io/region': spec.region } },
    spec: {
      kubeconfigSecretRef: { name: secretName, namespace: SYSTEM_NAMESPACE, key: 'kubeconfig' },
      region: spec.region,
      provider: spec.provider,
      capacity: { cpu: '64', memory: '256Gi', pods: '1100' },
      pricing:
        spec.provider === 'onprem'
          ? { cpuHour: 0.02, memoryGiBHour: 0.003, loadBalancerHour: 0 }
          : { cpuHour: 0.04, memoryGiBHour: 0.005, loadBalancerHour: 0.025 },
    },
  };
  return [secret, cluster];
}

export async function ensureNamespace(kc: KubeConfig, name: string): Promise<void> {
  await applyManifests(kc, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'canopy.dev/managed-by': 'canopy' } } }]);
  await kc.makeApiClient(CoreV1Api).readNamespace({ name });
}

export async function registerMembers(host: KubeConfig, members: readonly ClusterHandle[]): Promise<void> {
  await ensureNamespace(host, SYSTEM_NAMESPACE);
  await applyManifests(host, members.flatMap(clusterRegistration));
}
