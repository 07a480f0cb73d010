/**
 * Steps shared by the admission attack suites: act as a tenant with their
 * own static token, read the apiserver's refusal, prove nothing of a refused
 * object exists on the host or on any member, and grant RBAC the way a
 * platform team would.
 */
import { expect } from 'chai';
import { waitUntil } from '../../../controlplane/launcher/index.js';
import { ApiClient, apply, isForbidden, isNotFound, Resources, type KubeObject, type ResourceRef } from '../../../src/runtime/index.js';
import { API_VERSION } from '../../../src/crds/index.js';
import { deploymentOf } from '../../support/workloads.js';
import { client } from '../../support/propagation.js';
import { testEnv } from '../env.js';

export type TestUserName = 'alice' | 'bob' | 'carol' | 'dave' | 'erin';

const clients = new Map<string, ApiClient>();

/** The admin client of the host or of a member, by cluster name (shared with the propagation suites). */
export const adminOf = client;

/** A static-token user of the host: only RBAC decides what they may do. */
export function userOnHost(user: TestUserName): ApiClient {
  const key = `host:${user}`;
  let c = clients.get(key);
  if (!c || c.isClosed) {
    c = new ApiClient(testEnv().host.userKubeConfig(user));
    clients.set(key, c);
  }
  return c;
}

/** What the apiserver answered to a call that must fail: status code and message. */
export async function refusal(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error('the apiserver admitted a request that should have been refused');
  const e = error as { code?: unknown; body?: { message?: string }; message?: string };
  return { code: typeof e.code === 'number' ? e.code : 0, message: e.body?.message ?? e.message ?? String(error) };
}

/**
 * Runs `call` until RBAC has caught up with a grant (a 403 that is not the
 * webhook's), and returns its result. Anything else fails at once.
 */
export async function onceAllowed<T>(what: string, call: () => Promise<T>, retryOn: RegExp = /^$/): Promise<T> {
  let result: T | undefined;
  let last: unknown;
  const done = await waitUntil(60_000, 250, async () => {
    try {
      result = await call();
      return true;
    } catch (err) {
      last = err;
      const message = (err as Error).message;
      if (isForbidden(err) && (!/denied the request/.test(message) || retryOn.test(message))) return false;
      throw err;
    }
  });
  if (!done) throw new Error(`never allowed: ${what} (last error: ${(last as Error | undefined)?.message ?? 'none'})`);
  return result as T;
}

/** Names of the objects of a kind in a namespace of a cluster (none when the namespace does not exist). */
export async function namesOn(cluster: string, resource: ResourceRef, namespace: string): Promise<string[]> {
  const items = await adminOf(cluster).listAll(resource, { namespace });
  return items.map((o) => o.metadata?.name ?? '').sort();
}

/** Asserts that no object of this kind and name exists in the namespace, on any member. */
export async function expectOnNoMember(resource: ResourceRef, namespace: string, name: string): Promise<void> {
  for (const member of testEnv().members) {
    expect(await namesOn(member.name, resource, namespace), `${resource.kind} ${namespace}/${name} on member ${member.name}`).not.to.include(name);
  }
}

/** Asserts that no PropagatedObject of this name exists on the host (so the syncer has nothing to apply). */
export async function expectNoPropagatedObject(namespace: string, name: string): Promise<void> {
  expect(await adminOf('host').tryGet(Resources.PropagatedObject, name, namespace), `PropagatedObject ${namespace}/${name}`).to.equal(undefined);
}

export function propagatedObject(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API_VERSION, kind: 'PropagatedObject', metadata: { name, namespace }, spec } as KubeObject;
}

export { restrictedDeployment } from '../../support/workloads.js';

/** The Deployment an attacker wants on every node: host namespaces, the host's root, a privileged container, a foreign image. */
export function privilegedDeployment(name: string): KubeObject {
  return deploymentOf(name, {
    hostNetwork: true,
    hostPID: true,
    volumes: [{ name: 'root', hostPath: { path: '/' } }],
    containers: [
      { name: 'x', image: 'evil.example.com/miner:latest', securityContext: { privileged: true }, volumeMounts: [{ name: 'root', mountPath: '/host' }] },
    ],
  });
}

/** A Role + RoleBinding (or ClusterRole + ClusterRoleBinding without namespace) for one user, applied by the admin. */
export async function grant(name: string, user: TestUserName, rules: Record<string, unknown>[], namespace?: string): Promise<void> {
  const admin = adminOf('host');
  const roleKind = namespace ? 'Role' : 'ClusterRole';
  const meta = namespace ? { name, namespace } : { name };
  await apply(admin, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: roleKind, metadata: meta, rules } as KubeObject);
  await apply(admin, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: `${roleKind}Binding`,
    metadata: meta,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  } as KubeObject);
}

/** Deletes and ignores "not found". */
export async function remove(resource: ResourceRef, name: string, namespace?: string): Promise<void> {
  try {
    await adminOf('host').delete(resource, name, namespace);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export function closeAdmissionClients(): void {
  for (const c of clients.values()) c.close();
  clients.clear();
}
