/**
 * Helpers shared by the propagation e2e tests: plain JSON clients for the
 * host and the members of the shared environment, eventual waits with a
 * message that says what never happened, and tenant namespaces.
 */
import { ApiClient, apply, isNotFound, Resources, type KubeObject, type ResourceRef } from '../../src/runtime/index.js';
import { testEnv, uniqueName } from '../e2e/env.js';

export const PropagatedObjects = Resources.PropagatedObject;
export const Deployments = Resources.Deployment;
export const ReplicaSets: ResourceRef = { apiVersion: 'apps/v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true };

const clients = new Map<string, ApiClient>();

/** A client for `host` or a member by name (cached; all close with the environment). */
export function client(cluster: string): ApiClient {
  let c = clients.get(cluster);
  if (!c || c.isClosed) {
    c = new ApiClient(testEnv().cluster(cluster).kubeConfig());
    clients.set(cluster, c);
  }
  return c;
}

export function closeClients(): void {
  for (const c of clients.values()) c.close();
  clients.clear();
}

/**
 * Polls `probe` until it returns a value other than undefined, or fails with
 * `what` and the last value seen. The timeout bounds the wait; it is not
 * what the test asserts.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`never happened: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A root Workspace and a namespace of it (labelled as the LogicalCluster
 * reconciler labels its namespaces), as a tenant's apps live in.
 */
export async function tenantNamespace(prefix = 'shop'): Promise<{ namespace: string; workspace: string }> {
  const namespace = uniqueName(prefix);
  const workspace = uniqueName('ws');
  await apply(client('host'), { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: workspace }, spec: {} } as KubeObject);
  await apply(client('host'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'canopy.dev/workspace': workspace } } });
  return { namespace, workspace };
}

/** Removes what tenantNamespace created. */
export async function removeTenant(t: { namespace: string; workspace: string }): Promise<void> {
  await deleteIgnoringMissing('host', Resources.Namespace, t.namespace);
  await deleteIgnoringMissing('host', Resources.Workspace, t.workspace);
}

export async function deleteIgnoringMissing(cluster: string, resource: ResourceRef, name: string, namespace?: string): Promise<void> {
  try {
    await client(cluster).delete(resource, name, namespace);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export function deployment(name: string, replicas: number, labels: Record<string, string> = {}, image = 'nginx:1.27'): KubeObject & Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name, ...labels } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

export interface PropagatedObjectView extends KubeObject {
  spec?: { template?: KubeObject & { spec?: { replicas?: number; template?: { spec?: { containers?: Array<{ image?: string }> } } } } };
  status?: {
    placement?: Array<{ cluster: string; replicas?: number }>;
    excluded?: Array<{ cluster: string; reason?: string }>;
    clusters?: Array<{ cluster: string; state?: string; replicas?: number; readyReplicas?: number; message?: string }>;
    replicas?: number;
    readyReplicas?: number;
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  };
}

export function condition(po: PropagatedObjectView | undefined, type: string): { status: string; reason: string; message: string } | undefined {
  return po?.status?.conditions?.find((c) => c.type === type);
}
