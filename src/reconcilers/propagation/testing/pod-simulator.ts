/**
 * Stands in for nodes in e2e tests and benchmarks: the local member clusters
 * run kube-controller-manager (so Deployments really create ReplicaSets and
 * Pods) but no kubelet, so pods would stay Pending forever. The simulator
 * does what kwok does for a kubelet, through the real API: it binds each
 * pending pod of one namespace to a fake Node, reports it Running and
 * Ready, and confirms the deletion of its pods. Everything downstream (ReplicaSet and Deployment status, Canopy's
 * aggregation) is then computed by the real controllers.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiClient } from '../../../controllers/http.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../../controllers/errors.js';
import { Resources, type ResourceRef } from '../../../controllers/resources.js';
import type { KubeObject } from '../../../controllers/object.js';

const NODE: ResourceRef = { apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false };
export const SIMULATED_NODE = 'canopy-simulated-node';

interface PodObject extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

function isReady(pod: PodObject): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export class PodSimulator {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly client: ApiClient;

  /** Simulates the pods of `namespace` on the cluster `kubeConfig` points at, polling every `intervalMs`. */
  constructor(
    kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly intervalMs = 300,
  ) {
    this.client = new ApiClient(kubeConfig);
  }

  async start(): Promise<void> {
    try {
      await this.client.create(NODE, { apiVersion: 'v1', kind: 'Node', metadata: { name: SIMULATED_NODE, labels: { 'canopy.dev/simulated': 'true' } } });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.client.close();
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.tick()
        .catch(() => undefined) // the apiserver may be stopped on purpose (failover tests); try again next tick
        .finally(() => this.schedule());
    }, this.intervalMs);
  }

  /** Binds and readies every pod of the namespace that is not ready yet; returns how many it changed. */
  async tick(): Promise<number> {
    const pods = await this.client.listAll<PodObject>(Resources.Pod, { namespace: this.namespace });
    let changed = 0;
    for (const pod of pods) {
      const name = pod.metadata?.name ?? '';
      if (pod.metadata?.deletionTimestamp) {
        // A kubelet confirms the deletion of its pods; without one they would stay Terminating forever.
        if (pod.spec?.nodeName === SIMULATED_NODE) {
          await this.client
            .request('DELETE', `/api/v1/namespaces/${this.namespace}/pods/${name}`, { body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 } })
            .catch((err: unknown) => {
              if (!isNotFound(err)) throw err;
            });
          changed++;
        }
        continue;
      }
      if (isReady(pod)) continue;
      try {
        if (!pod.spec?.nodeName) {
          await this.client.request('POST', `/api/v1/namespaces/${this.namespace}/pods/${name}/binding`, {
            body: { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: SIMULATED_NODE } },
          });
        }
        const now = new Date().toISOString();
        const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: now });
        await this.client.patch(
          Resources.Pod,
          name,
          this.namespace,
          {
            status: {
              phase: 'Running',
              startTime: now,
              conditions: [condition('PodScheduled'), condition('Initialized'), condition('ContainersReady'), condition('Ready')],
            },
          },
          'merge',
          { subresource: 'status' },
        );
        changed++;
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    return changed;
  }
}
