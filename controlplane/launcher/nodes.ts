import type { KubeConfig, V1Node } from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';

/** The fake machines of one member; kwok plays their kubelets. */
export interface NodePoolSpec {
  /** How many Nodes, one per zone `<region>-a`, `<region>-b`, ... (default 3). */
  readonly count?: number;
  /** Per-node CPU, as a Kubernetes quantity (default "4"). */
  readonly cpu?: string;
  /** Per-node memory, as a Kubernetes quantity (default "16Gi"). */
  readonly memory?: string;
  /** Per-node pod limit (default "110", the kubelet's). */
  readonly pods?: string;
  /** node.kubernetes.io/instance-type (default "kwok.4x16"). */
  readonly instanceType?: string;
}

export const DEFAULT_NODE_POOL: Required<NodePoolSpec> = { count: 3, cpu: '4', memory: '16Gi', pods: '110', instanceType: 'kwok.4x16' };

/**
 * The Nodes a member runs: labelled like a cloud's (region, zone, OS,
 * instance type) so topology spread and node selectors behave as on a real
 * cluster, with capacity and allocatable set up front, which kwok's node
 * stage keeps, so allocatable is what the scheduler and Canopy both see.
 */
export function fakeNodes(cluster: string, region: string, pool: NodePoolSpec = {}): V1Node[] {
  const spec = { ...DEFAULT_NODE_POOL, ...pool };
  const resources = { cpu: spec.cpu, memory: spec.memory, pods: spec.pods };
  return Array.from({ length: spec.count }, (_, i) => {
    const zone = `${region}-${String.fromCharCode(97 + (i % 26))}`;
    const name = `${cluster}-node-${i + 1}`;
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node.kubernetes.io/instance-type': spec.instanceType,
          'topology.kubernetes.io/region': region,
          'topology.kubernetes.io/zone': zone,
          type: 'kwok',
        },
        // kwok's convention for the nodes it fakes; `ttl` 0 keeps kube-controller-manager from waiting on a kubelet.
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      },
      spec: {},
      status: { capacity: resources, allocatable: resources, phase: 'Running' },
    };
  });
}

/**
 * Creates the member's Nodes (idempotent: an existing Node is kept) and lifts
 * the `node.kubernetes.io/not-ready` taint the apiserver puts on every new
 * Node: the node-lifecycle controller that would lift it is not run (kwok
 * sends no heartbeats for it to judge), so without this nothing schedules.
 */
export async function createNodes(kubeConfig: KubeConfig, nodes: readonly V1Node[]): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  for (const node of nodes) {
    try {
      await core.createNode({ body: node });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
    const name = node.metadata!.name!;
    for (let attempt = 0; ; attempt++) {
      const current = await core.readNode({ name });
      const taints = current.spec?.taints ?? [];
      const kept = taints.filter((t) => t.key !== NOT_READY_TAINT);
      if (kept.length === taints.length) break;
      try {
        await core.replaceNode({ name, body: { ...current, spec: { ...current.spec, taints: kept } } });
        break;
      } catch (err) {
        // kwok updates the Node's status at the same time: read again and retry on a conflict.
        if ((err as { code?: number }).code !== 409 || attempt >= 10) throw err;
      }
    }
  }
}

const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
