/**
 * Shared steps of the Workspace e2e suites against the real host: build
 * trees, wait for what the operator converges to, read copies, and clean up
 * (children first, so no test leaves ParentMissing workspaces behind).
 */

import { waitUntil } from '../../controlplane/launcher/index.js';
import { type ApiClient, isNotFound, Resources, type KubeObject, type ResourceRef } from '../../src/runtime/index.js';
import { API_VERSION } from '../../src/crds/index.js';
import { LABEL_INHERITED_FROM } from '../../src/crds/labels.js';
import type { WorkspaceSpec, WorkspaceStatus } from '../../src/crds/workspace.js';

export interface WorkspaceState extends KubeObject {
  spec?: WorkspaceSpec;
  status?: WorkspaceStatus;
}

export const RBAC = 'rbac.authorization.k8s.io/v1';

export function workspace(name: string, spec: WorkspaceSpec = {}): KubeObject & { spec: WorkspaceSpec } {
  return { apiVersion: API_VERSION, kind: 'Workspace', metadata: { name }, spec };
}

export function roleBinding(
  name: string,
  namespace: string,
  users: readonly string[],
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject & Record<string, unknown> {
  return {
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { name, namespace, ...extra },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: users.map((user) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user })),
  };
}

/** Polls `read` until `test` holds; fails with `what` and the last value read. */
export async function eventually<T>(what: string, read: () => Promise<T>, test: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  let last: T | undefined;
  let error: unknown;
  const ok = await waitUntil(timeoutMs, 200, async () => {
    try {
      last = await read();
      error = undefined;
      return test(last);
    } catch (err) {
      error = err;
      return false;
    }
  });
  if (!ok) throw new Error(`${what} did not happen within ${timeoutMs / 1000}s; last seen: ${error ? String(error) : JSON.stringify(last)}`.slice(0, 4000));
  return last as T;
}

export async function getWorkspace(client: ApiClient, name: string): Promise<WorkspaceState | undefined> {
  return client.tryGet<WorkspaceState>(Resources.Workspace, name);
}

export function condition(ws: WorkspaceState | undefined, type: string): { status: string; reason: string; message: string } | undefined {
  return ws?.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the workspace's status reflects its current generation and `test` holds. */
export async function waitForWorkspace(
  client: ApiClient,
  name: string,
  what: string,
  test: (ws: WorkspaceState) => boolean,
  timeoutMs?: number,
): Promise<WorkspaceState> {
  return (await eventually(
    `workspace ${name}: ${what}`,
    () => getWorkspace(client, name),
    (ws) => ws !== undefined && ws.status?.observedGeneration === ws.metadata?.generation && test(ws),
    timeoutMs,
  ))!;
}

export async function waitReady(client: ApiClient, name: string): Promise<WorkspaceState> {
  return waitForWorkspace(client, name, 'Ready', (ws) => condition(ws, 'Ready')?.status === 'True');
}

/** Namespaces holding a copy named `name` of `resource`, with the namespace each says it came from. */
export async function copiesOf(client: ApiClient, resource: ResourceRef, name: string, namespaces: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  await Promise.all(
    namespaces.map(async (ns) => {
      const object = await client.tryGet(resource, name, ns);
      const from = object?.metadata?.labels?.[LABEL_INHERITED_FROM];
      if (from !== undefined) found.set(ns, from);
    }),
  );
  return found;
}

export function copies(
  client: ApiClient,
  kind: 'RoleBinding' | 'ConfigMap' | 'Role' | 'Secret' | 'NetworkPolicy' | 'LimitRange',
  name: string,
  namespaces: readonly string[],
): Promise<Map<string, string>> {
  return copiesOf(client, Resources[kind], name, namespaces);
}

/** Deletes workspaces leaves first (the order given is parents first) and waits until they are gone. */
export async function deleteWorkspaces(client: ApiClient, names: readonly string[]): Promise<void> {
  for (const name of [...names].reverse()) {
    try {
      await client.delete(Resources.Workspace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  await eventually(
    `workspaces ${names.join(', ')} to be deleted`,
    async () => (await Promise.all(names.map((n) => getWorkspace(client, n)))).filter((w) => w !== undefined).length,
    (left) => left === 0,
    90_000,
  );
}

export function sameEntries(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}
