/**
 * Shared pieces of bench/workspace-propagation.bench.ts: the write pool, the
 * watches that time when copies arrived, and the raw floors (a plain client
 * writing the same objects with the same number of requests in flight, over
 * the runtime's HTTP/1.1 client and over one HTTP/2 connection).
 */
import { connect as connectHttp2 } from 'node:http2';
import type { LocalEnvironment } from '../controlplane/launcher/index.js';
import { type ApiClient, Informer, Resources, silentLogger, type KubeObject } from '../src/runtime/index.js';
import { LABEL_INHERITED_FROM, LABEL_MANAGED_BY } from '../src/crds/labels.js';

/** Requests in flight: the operator's write pool and every floor. */
export const CONCURRENCY = 32;

export async function pool(tasks: Array<() => Promise<unknown>>, limit = CONCURRENCY): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
export const round = (v: number, digits = 0) => Math.round(v * 10 ** digits) / 10 ** digits;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 600_000, stepMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

export function roleBinding(name: string, namespace: string, labels: Record<string, string> = {}): KubeObject & Record<string, unknown> {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'sres' }],
  };
}

/**
 * A watch on RoleBindings named `name` (any namespace): resolves `created`
 * when every namespace in `targets` has one, `deleted` when none has.
 */
export async function countingWatch(
  client: ApiClient,
  name: string,
  targets: ReadonlySet<string>,
): Promise<{ created: Promise<number>; deleted: () => Promise<number>; stop: () => Promise<void> }> {
  const informer = new Informer(
    client,
    Resources.RoleBinding,
    { fieldSelector: `metadata.name=${name}`, transform: (o) => ({ metadata: { name: o.metadata?.name, namespace: o.metadata?.namespace } }) },
    silentLogger(),
  );
  const present = new Set<string>();
  let onCreated: (t: number) => void = () => {};
  let onDeleted: ((t: number) => void) | undefined;
  const created = new Promise<number>((r) => (onCreated = r));
  informer.on((event) => {
    const ns = event.object.metadata?.namespace ?? '';
    if (!targets.has(ns)) return;
    if (event.type === 'delete') present.delete(ns);
    else present.add(ns);
    if (present.size === targets.size) onCreated(performance.now());
    if (present.size === 0) onDeleted?.(performance.now());
  });
  informer.start();
  await informer.waitForSync();
  return {
    created,
    deleted: () => new Promise<number>((r) => (present.size === 0 ? r(performance.now()) : (onDeleted = r))),
    stop: () => informer.stop(),
  };
}

/** Resolves with the time at which every target's RoleBinding `name` was inherited from `from` (or, for undefined, none had one). */
export async function watchUntil(
  client: ApiClient,
  name: string,
  targets: readonly string[],
  labelKey: string,
  from: string | undefined,
): Promise<{ reached: Promise<number>; stop: () => Promise<void> }> {
  const informer = new Informer(
    client,
    Resources.RoleBinding,
    { fieldSelector: `metadata.name=${name}`, transform: (o) => ({ metadata: { namespace: o.metadata?.namespace, labels: o.metadata?.labels } }) },
    silentLogger(),
  );
  const wanted = new Set(targets);
  const state = new Map<string, string | undefined>();
  let resolve: (t: number) => void = () => {};
  const reached = new Promise<number>((r) => (resolve = r));
  const check = () => {
    for (const ns of wanted) if (state.get(ns) !== from) return;
    resolve(performance.now());
  };
  informer.on((event) => {
    const ns = event.object.metadata?.namespace ?? '';
    if (!wanted.has(ns)) return;
    if (event.type === 'delete') state.delete(ns);
    else state.set(ns, event.object.metadata?.labels?.[labelKey] ?? 'not a copy');
    check();
  });
  informer.start();
  await informer.waitForSync();
  return { reached, stop: () => informer.stop() };
}

/** Wall time of each phase, and this process's CPU time while copies were being created (operator and watch, or client and watch). */
export interface Timing {
  createMs: number;
  deleteMs: number;
  createCpuMs: number;
}

export async function floorRound(client: ApiClient, floorNamespaces: readonly string[], name: string, root: string): Promise<Timing> {
  const targets = new Set(floorNamespaces);
  const watch = await countingWatch(client, name, targets);
  // The copy the operator writes: the source's body and labels plus inherited-from and managed-by.
  const labels = { [LABEL_INHERITED_FROM]: root, [LABEL_MANAGED_BY]: 'canopy' };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await pool(floorNamespaces.map((ns) => () => client.create(Resources.RoleBinding, roleBinding(name, ns, labels))));
  const t1 = await watch.created;
  const cpu = process.cpuUsage(cpu0);
  const d0 = performance.now();
  await pool(floorNamespaces.map((ns) => () => client.delete(Resources.RoleBinding, name, ns)));
  const d1 = await watch.deleted();
  await watch.stop();
  return { createMs: t1 - t0, deleteMs: d1 - d0, createCpuMs: (cpu.user + cpu.system) / 1000 };
}

/**
 * The same floor over one HTTP/2 connection (what Go's client-go uses) instead
 * of the runtime's HTTP/1.1 keep-alive pool: shows how much of a Go
 * controller's edge is the transport rather than the algorithm.
 */
export async function http2Floor(env: LocalEnvironment, client: ApiClient, floorNamespaces: readonly string[], name: string, root: string): Promise<number> {
  const tls: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; headers?: Record<string, string> } = {};
  await env.host.kubeConfig().applyToHTTPSOptions(tls as never);
  const session = connectHttp2(env.host.server, {
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
  });
  const send = (method: string, path: string, body?: unknown) =>
    new Promise<void>((resolve, reject) => {
      const request = session.request({
        ':method': method,
        ':path': path,
        'content-type': 'application/json',
        accept: 'application/json',
        ...(tls.headers ?? {}),
      });
      request.on('response', (headers) => {
        const status = Number(headers[':status']);
        if (status >= 300) reject(new Error(`${method} ${path}: ${status}`));
      });
      request.on('data', () => {});
      request.on('end', () => resolve());
      request.on('error', reject);
      request.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const labels = { [LABEL_INHERITED_FROM]: root, [LABEL_MANAGED_BY]: 'canopy' };
  const watch = await countingWatch(client, name, new Set(floorNamespaces));
  const t0 = performance.now();
  await pool(
    floorNamespaces.map((ns) => () => send('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, roleBinding(name, ns, labels))),
  );
  const t1 = await watch.created;
  await pool(floorNamespaces.map((ns) => () => send('DELETE', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings/${name}`)));
  await watch.deleted();
  await watch.stop();
  session.close();
  return t1 - t0;
}
