/**
 * The private control plane every chaos suite runs on (so faults disturb no
 * other test file): a host and members with kube-controller-manager, CRDs
 * installed, members registered, the operator's ServiceAccount kubeconfig; and
 * the objects the suites create — LogicalClusters in one workspace and
 * Deployments placed by a Divide policy with equal weights — with writes that
 * ride out a moment without a webhook (no replica alive) like any client would.
 */
import { join } from 'node:path';
import { DEFAULT_MEMBERS, LocalEnvironment, repoRoot, type LocalEnvironmentOptions } from '../../../controlplane/launcher/index.js';
import { ApiClient, ApiError, apply, isAlreadyExists, isNotFound, Resources, type KubeObject } from '../../../src/runtime/index.js';
import { installCrds } from '../../../src/dev/manifests.js';
import { registerMembers } from '../../../src/dev/register.js';
import { LOG_DIR, operatorKubeconfig } from './operators.js';

export interface World {
  readonly env: LocalEnvironment;
  readonly host: ApiClient;
  readonly members: Map<string, ApiClient>;
  readonly kubeconfigPath: string;
  close(): Promise<void>;
}

export async function startWorld(name: string, memberNames: readonly string[], options: Partial<LocalEnvironmentOptions> = {}): Promise<World> {
  const env = await LocalEnvironment.start({ members: DEFAULT_MEMBERS.filter((m) => memberNames.includes(m.name)), quiet: true, ...options });
  try {
    await installCrds(env.host.kubeConfig(), join(repoRoot, 'config', 'crd'));
    await registerMembers(env.host.kubeConfig(), env.members);
    const kubeconfigPath = await operatorKubeconfig(env, join(LOG_DIR, `${name}-${process.pid}.kubeconfig`));
    const host = new ApiClient(env.host.kubeConfig());
    const members = new Map(memberNames.map((m) => [m, new ApiClient(env.cluster(m).kubeConfig())]));
    return {
      env,
      host,
      members,
      kubeconfigPath,
      close: async () => {
        host.close();
        for (const c of members.values()) c.close();
        await env.stop();
      },
    };
  } catch (err) {
    await env.stop();
    throw err;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A write that must land: retried while the admission webhook cannot be
 * reached (every replica down or starting) or the apiserver restarts; an
 * AlreadyExists after a retry means the earlier attempt landed.
 */
export async function persist(what: string, write: () => Promise<unknown>, timeoutMs = 300_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      return attempt;
    } catch (err) {
      if (attempt > 1 && isAlreadyExists(err)) return attempt;
      // A refusal (invalid, forbidden, denied by admission) is an answer, not a fault to ride out.
      const code = err instanceof ApiError ? err.code : undefined;
      if (code !== undefined && code >= 400 && code < 500 && code !== 409 && code !== 429) throw err;
      if (Date.now() > deadline) throw new Error(`${what}: still failing after ${timeoutMs / 1000}s: ${(err as Error).message}`);
      await sleep(500 + Math.min(attempt, 10) * 200);
    }
  }
}

export async function deleteEventually(what: string, remove: () => Promise<unknown>): Promise<void> {
  await persist(what, async () => {
    try {
      await remove();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  });
}

/** A workspace, a namespace of it for workloads and a PlacementPolicy dividing `placement=<label>` Deployments equally over `members`. */
export async function workloadSetup(host: ApiClient, workspace: string, namespace: string, label: string, members: readonly string[]): Promise<void> {
  await persist('workspace', () =>
    apply(host, { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: workspace }, spec: {} } as KubeObject),
  );
  await persist('namespace', () =>
    apply(host, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'canopy.dev/workspace': workspace } } }),
  );
  if (members.length === 0) return;
  await persist('policy', () => apply(host, dividePolicy(`${label}-even`, workspace, label, members)));
}

/** Deployments labelled placement=<label> in the workspace, divided with equal weights over `members`. */
export function dividePolicy(name: string, workspace: string, label: string, members: readonly string[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'PlacementPolicy',
    metadata: { name },
    spec: {
      priority: 100,
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace, labelSelector: { matchLabels: { placement: label } } }],
      replicas: { strategy: 'Divide', weights: members.map((cluster) => ({ cluster, weight: 1 })) },
      // Copies leave a deselected member at once, so the model needs no grace period.
      deselectionGraceSeconds: 0,
      ...extra,
    },
  } as KubeObject;
}

export function logicalCluster(name: string, workspace: string): KubeObject {
  return {
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'LogicalCluster',
    metadata: { name },
    spec: { workspace, capabilities: { preset: 'developer' }, constraints: { quota: { hard: { cpu: '2', memory: '4Gi', pods: '20' } } } },
  } as KubeObject;
}

export function deployment(name: string, namespace: string, label: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name, placement: label } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    },
  } as KubeObject;
}

export { Resources, sleep };
