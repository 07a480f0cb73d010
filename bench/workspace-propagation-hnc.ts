/**
 * HNC (sigs.k8s.io/hierarchical-namespaces) on the same apiserver, for
 * bench/workspace-propagation.bench.ts: built from its Go module at a pinned
 * version into a cache outside the repository, run with its webhooks off
 * against the benchmark's host, given the same trees as namespaces with
 * HierarchyConfiguration parents, and timed the same way.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { waitUntil, type ClusterHandle } from '../controlplane/launcher/index.js';
import { ApiClient, Resources, type KubeObject } from '../src/runtime/index.js';
import { installCrds } from '../src/dev/manifests.js';

export const HNC_VERSION = 'v1.1.0';
const MODULE = 'sigs.k8s.io/hierarchical-namespaces';
export const HIERARCHY = { apiVersion: 'hnc.x-k8s.io/v1alpha2', kind: 'HierarchyConfiguration', plural: 'hierarchyconfigurations', namespaced: true } as const;
export const HNC_INHERITED_FROM = 'hnc.x-k8s.io/inherited-from';

export type HncBuild = { ok: true; binary: string; source: string; seconds: number; cached: boolean } | { ok: false; error: string; seconds: number };

/** Builds (or reuses) hnc-manager from the Go module proxy; never throws. */
export function buildHnc(timeoutMs = 15 * 60_000): HncBuild {
  const root = join(process.env.CANOPY_CACHE_DIR ?? join(homedir(), '.cache', 'canopy'), 'hnc', HNC_VERSION);
  const binary = join(root, 'hnc-manager');
  const source = join(root, 'src');
  const started = Date.now();
  if (existsSync(binary) && existsSync(source)) return { ok: true, binary, source, seconds: 0, cached: true };
  try {
    mkdirSync(root, { recursive: true });
    const dir = execFileSync('go', ['mod', 'download', '-json', `${MODULE}@${HNC_VERSION}`], { cwd: root, encoding: 'utf8', timeout: timeoutMs });
    const moduleDir = (JSON.parse(dir) as { Dir?: string }).Dir;
    if (!moduleDir) throw new Error(`go mod download gave no directory: ${dir.slice(0, 300)}`);
    rmSync(source, { recursive: true, force: true });
    cpSync(moduleDir, source, { recursive: true });
    execFileSync('chmod', ['-R', 'u+w', source]);
    // Module zips carry vendor/modules.txt but not the vendored code: build in module mode.
    rmSync(join(source, 'vendor'), { recursive: true, force: true });
    execFileSync('go', ['build', '-mod=mod', '-o', binary, './cmd/manager'], {
      cwd: source,
      env: { ...process.env, CGO_ENABLED: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: timeoutMs,
    });
    return { ok: true, binary, source, seconds: Math.round((Date.now() - started) / 1000), cached: false };
  } catch (err) {
    const e = err as { stderr?: Buffer | string; message?: string };
    const detail = (e.stderr ? String(e.stderr) : (e.message ?? String(err))).trim().split('\n').slice(-8).join('\n');
    return { ok: false, error: detail, seconds: Math.round((Date.now() - started) / 1000) };
  }
}

export interface HncRun {
  readonly client: ApiClient;
  stop(): Promise<void>;
}

/** Installs HNC's CRDs and starts its manager (webhooks off) against `host`. */
export async function startHnc(
  host: ClusterHandle,
  build: Extract<HncBuild, { ok: true }>,
  options: { maxReconciles: number; logFile: string },
): Promise<HncRun> {
  const admin = host.kubeConfig();
  await installCrds(admin, join(build.source, 'config', 'crd', 'bases'));
  const client = new ApiClient(admin);
  const log = createWriteStream(options.logFile);
  const child: ChildProcess = spawn(
    build.binary,
    [
      '--no-webhooks',
      '--enable-stackdriver=false',
      '--metrics-addr=0',
      '--health-probe-bind-address=0',
      `--max-reconciles=${options.maxReconciles}`,
      // Its default (50 QPS) would make it wait on itself; the comparison is about the algorithm.
      '--apiserver-qps-throttle=10000',
    ],
    { env: { ...process.env, KUBECONFIG: host.kubeconfigPath }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const up = await waitUntil(
    60_000,
    250,
    async () =>
      (await client.tryGet({ apiVersion: 'hnc.x-k8s.io/v1alpha2', kind: 'HNCConfiguration', plural: 'hncconfigurations', namespaced: false }, 'config')) !==
      undefined,
  );
  if (!up) {
    child.kill('SIGKILL');
    throw new Error(`hnc-manager did not create its HNCConfiguration within 60 s (log: ${options.logFile})`);
  }
  return {
    client,
    stop: async () => {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      log.end();
    },
  };
}

/** Namespaces for `edges` (parents first), each child pointing at its parent through a HierarchyConfiguration. */
export async function buildHncTree(
  client: ApiClient,
  edges: ReadonlyArray<[string, string]>,
  pool: (tasks: Array<() => Promise<unknown>>) => Promise<unknown>,
): Promise<void> {
  await pool(
    edges.map(
      ([ns]) =>
        () =>
          client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }),
    ),
  );
  await pool(
    edges
      .filter(([, parent]) => parent !== '')
      .map(([ns, parent]) => async () => {
        const hc = { apiVersion: HIERARCHY.apiVersion, kind: HIERARCHY.kind, metadata: { name: 'hierarchy', namespace: ns }, spec: { parent } } as KubeObject;
        // HNC creates the singleton itself on first sight of the namespace; either way ends with our parent.
        const existing = await client.tryGet(HIERARCHY, 'hierarchy', ns);
        if (existing) await client.patch(HIERARCHY, 'hierarchy', ns, { spec: { parent } }, 'merge');
        else await client.create(HIERARCHY, hc).catch(() => client.patch(HIERARCHY, 'hierarchy', ns, { spec: { parent } }, 'merge'));
      }),
  );
}

/** HNC's tree label, as ours: `<ancestor>.tree.hnc.x-k8s.io/depth`. */
export function hncTreeLabel(ancestor: string): string {
  return `${ancestor}.tree.hnc.x-k8s.io/depth`;
}
