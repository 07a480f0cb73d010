/**
 * Shared steps of the LogicalCluster e2e suites: create workspaces and
 * logical clusters on the real host, wait for phases, read the tenant's
 * kubeconfig, and count what is left labelled for a logical cluster.
 */

import { ApiException, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { type ApiClient, Resources, isNotFound, type KubeObject, type ResourceRef } from '../../src/runtime/index.js';
import { waitUntil } from '../../controlplane/launcher/index.js';
import { API_VERSION } from '../../src/crds/index.js';
import { LABEL_LOGICAL_CLUSTER } from '../../src/crds/labels.js';
import type { LogicalClusterObject } from '../../src/reconcilers/logicalcluster/reconciler.js';

export type LogicalClusterState = LogicalClusterObject;

export function workspaceObject(name: string, spec: Record<string, unknown> = {}): KubernetesObject {
  return { apiVersion: API_VERSION, kind: 'Workspace', metadata: { name }, spec } as KubernetesObject;
}

export function logicalClusterObject(name: string, spec: Record<string, unknown>): KubernetesObject {
  return { apiVersion: API_VERSION, kind: 'LogicalCluster', metadata: { name }, spec } as KubernetesObject;
}

export async function create(client: ApiClient, resource: ResourceRef, object: KubernetesObject): Promise<void> {
  await client.create(resource, object as KubeObject);
}

export async function getLogicalCluster(client: ApiClient, name: string): Promise<LogicalClusterState | undefined> {
  return client.tryGet<LogicalClusterState>(Resources.LogicalCluster, name);
}

/** Waits until the logical cluster satisfies `test`; fails with its last status. */
export async function waitFor(
  client: ApiClient,
  name: string,
  what: string,
  test: (lc: LogicalClusterState | undefined) => boolean,
  timeoutMs = 90_000,
): Promise<LogicalClusterState | undefined> {
  let last: LogicalClusterState | undefined;
  const ok = await waitUntil(timeoutMs, 250, async () => {
    last = await getLogicalCluster(client, name);
    return test(last);
  });
  if (!ok) throw new Error(`logical cluster ${name} did not become ${what} within ${timeoutMs / 1000}s; last status: ${JSON.stringify(last?.status ?? null)}`);
  return last;
}

export async function waitForPhase(client: ApiClient, name: string, phase: string, timeoutMs?: number): Promise<LogicalClusterState> {
  return (await waitFor(client, name, phase, (lc) => lc?.status?.phase === phase && lc.status.observedGeneration === lc.metadata.generation, timeoutMs))!;
}

export async function waitGone(client: ApiClient, name: string, timeoutMs?: number): Promise<void> {
  await waitFor(client, name, 'deleted', (lc) => lc === undefined, timeoutMs);
}

/** The tenant's kubeconfig, read from the Secret the status points at. */
export async function tenantKubeConfig(host: ApiClient, lc: LogicalClusterState): Promise<KubeConfig> {
  const ref = lc.status?.kubeconfigSecretRef;
  if (!ref) throw new Error(`logical cluster ${lc.metadata.name} has no kubeconfigSecretRef`);
  const secret = await host.get<KubeObject & { data?: Record<string, string> }>(Resources.Secret, ref.name, ref.namespace);
  const kc = new KubeConfig();
  kc.loadFromString(Buffer.from(secret.data?.[ref.key ?? 'kubeconfig'] ?? '', 'base64').toString('utf8'));
  return kc;
}

/**
 * The same tenant credential aimed straight at an apiserver instead of the
 * gateway its kubeconfig names: the boundary must hold on that path too,
 * since a token can always be replayed against the apiserver itself.
 */
export function directKubeConfig(tenant: KubeConfig, cluster: { readonly server: string; readonly caPem: string }): KubeConfig {
  const user = tenant.getCurrentUser();
  const namespace = tenant.getContextObject(tenant.getCurrentContext())?.namespace;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'direct', server: cluster.server, caData: Buffer.from(cluster.caPem).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'tenant', token: user?.token }],
    contexts: [{ name: 'direct', cluster: 'direct', user: 'tenant', namespace }],
    currentContext: 'direct',
  });
  return kc;
}

/** What the apiserver answered to a call that should fail: status code and message. */
export async function refusal(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error('the apiserver allowed a call that should have been refused');
  if (error instanceof ApiException) {
    const body: unknown = error.body;
    let message = typeof body === 'string' ? body : JSON.stringify(body);
    try {
      message = String((JSON.parse(message) as { message?: string }).message ?? message);
    } catch {
      // not JSON: keep the text
    }
    return { code: error.code, message };
  }
  const e = error as { code?: unknown; message?: string };
  if (typeof e.code === 'number') return { code: e.code, message: e.message ?? '' };
  throw error;
}

const LABELLED_KINDS: ResourceRef[] = [
  Resources.Namespace,
  Resources.Role,
  Resources.RoleBinding,
  Resources.ResourceQuota,
  Resources.LimitRange,
  Resources.NetworkPolicy,
  Resources.Secret,
  Resources.ServiceAccount,
];

/** Every object on a cluster labelled canopy.dev/logical-cluster=<name>, as `Kind ns/name`. */
export async function labelledObjects(client: ApiClient, lcName: string): Promise<string[]> {
  const found: string[] = [];
  for (const resource of LABELLED_KINDS) {
    const items = await client.listAll(resource, { labelSelector: `${LABEL_LOGICAL_CLUSTER}=${lcName}` });
    for (const o of items) found.push(`${resource.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`);
  }
  return found;
}

export async function deleteIfExists(client: ApiClient, resource: ResourceRef, name: string): Promise<void> {
  try {
    await client.delete(resource, name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
