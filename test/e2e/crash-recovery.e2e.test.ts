/**
 * Crash recovery, end to end: the operator process (src/main.ts) is killed
 * with SIGKILL in the middle of materializing logical clusters, and the next
 * one in the middle of placing Deployments — requests half done, statuses
 * unwritten, the lease and the webhook configuration left pointing at a dead
 * process — and a third process started afterwards must converge to exactly
 * what an uninterrupted run gives: every logical cluster Ready with the same
 * set of objects and a kubeconfig that works, every Deployment on each member
 * once with its share of replicas; and, when everything is deleted and that
 * process is killed halfway through the cleanup, the next one leaves nothing
 * anywhere. Meanwhile a RoleBinding written while no operator runs reaches
 * every child workspace's namespace.
 *
 * A private control plane (host + two members, kube-controller-manager on
 * each), so the shared operator of the other suites does not take part.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { DEFAULT_MEMBERS, LocalEnvironment, repoRoot, waitUntil } from '../../controlplane/launcher/index.js';
import { ApiClient, apply, Resources, type KubeObject } from '../../src/runtime/index.js';
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../src/crds/labels.js';
import { installCrds } from '../../src/dev/manifests.js';
import { registerMembers } from '../../src/dev/register.js';
import { labelledObjects, tenantKubeConfig, type LogicalClusterState } from '../support/logicalcluster.js';
import { condition, type PropagatedObjectView } from '../support/propagation.js';
import { copies as inheritedCopies, roleBinding } from '../support/workspace.js';

const COUNT = 40;
const WORKSPACE = 'crash';
const APPS = 'crash-apps';
const MEMBERS = ['eu-1', 'us-1'];
/** Child workspaces of WORKSPACE: its RoleBindings are copied into their namespaces. */
const TEAMS = Array.from({ length: 20 }, (_, i) => `crash-team-${i}`);
const logDir = join(repoRoot, '.canopy', 'test');

interface OperatorProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

function startOperator(env: LocalEnvironment, name: string): OperatorProcess {
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `crash-${name}-${process.pid}.log`));
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'main.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      KUBECONFIG: env.host.kubeconfigPath,
      CANOPY_POD_NAME: name,
      CANOPY_METRICS_PORT: '0',
      CANOPY_HEALTH_PORT: '0',
      CANOPY_WEBHOOK_PORT: '0',
      // Every replica serves the tenant gateway: on one machine each needs its own port.
      CANOPY_GATEWAY_PORT: '0',
      CANOPY_BIND_ADDRESS: '127.0.0.1',
      // A killed leader's lease must run out soon for the next process to take over.
      CANOPY_LEASE_DURATION: '6s',
      CANOPY_RENEW_DEADLINE: '5s',
      CANOPY_RETRY_PERIOD: '1s',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

const logicalCluster = (i: number): KubeObject =>
  ({
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'LogicalCluster',
    metadata: { name: `crash-lc-${i}` },
    spec: { workspace: WORKSPACE, capabilities: { preset: 'developer' }, constraints: { quota: { hard: { cpu: '2', memory: '4Gi', pods: '20' } } } },
  }) as KubeObject;

const deployment = (i: number): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `crash-web-${i}`, namespace: APPS, labels: { app: `crash-web-${i}`, placement: 'crash' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: `crash-web-${i}` } },
      template: { metadata: { labels: { app: `crash-web-${i}` } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    },
  }) as KubeObject;

describe('crash recovery: the operator killed mid-work, a new process converges (private control plane)', function () {
  this.timeout(600_000);
  let env: LocalEnvironment;
  let host: ApiClient;
  let members: Map<string, ApiClient>;
  const running: OperatorProcess[] = [];

  const logicalClusters = async (): Promise<LogicalClusterState[]> =>
    (await host.listAll<LogicalClusterState>(Resources.LogicalCluster)).filter((lc) => lc.metadata.name?.startsWith('crash-lc-'));
  const readyCount = async (): Promise<number> =>
    (await logicalClusters()).filter((lc) => lc.status?.phase === 'Ready' && lc.status.observedGeneration === lc.metadata.generation).length;
  const propagatedObjects = (): Promise<PropagatedObjectView[]> => host.listAll<PropagatedObjectView>(Resources.PropagatedObject, { namespace: APPS });
  const syncedCount = async (): Promise<number> => (await propagatedObjects()).filter((po) => condition(po, 'Synced')?.status === 'True').length;
  const copies = async (member: string): Promise<KubeObject[]> =>
    members.get(member)!.listAll(Resources.Deployment, { namespace: APPS, labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}` });

  before(async function () {
    this.timeout(300_000);
    env = await LocalEnvironment.start({ members: DEFAULT_MEMBERS.filter((m) => MEMBERS.includes(m.name)), quiet: true });
    await installCrds(env.host.kubeConfig(), join(repoRoot, 'config', 'crd'));
    await registerMembers(env.host.kubeConfig(), env.members);
    host = new ApiClient(env.host.kubeConfig());
    members = new Map(MEMBERS.map((m) => [m, new ApiClient(env.cluster(m).kubeConfig())]));
    // Each member runs kube-scheduler and kwok, so replicas report Ready: a placement that changes while
    // clusters are still being probed (the first process places before every new Cluster has reported)
    // hands over as soon as the replacement is Ready instead of after the handover timeout.
  });

  after(async function () {
    this.timeout(120_000);
    for (const operator of running) if (operator.child.exitCode === null) operator.child.kill('SIGKILL');
    host?.close();
    for (const client of members?.values() ?? []) client.close();
    await env?.stop();
  });

  it('converges after SIGKILLs to exactly what an uninterrupted run makes, and finishes an interrupted cleanup', async () => {
    // Everything is created before any operator runs, so the first one has all of it to do at once.
    await apply(host, { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: WORKSPACE }, spec: {} } as KubeObject);
    for (const team of TEAMS)
      await apply(host, { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: team }, spec: { parent: WORKSPACE } } as KubeObject);
    await apply(host, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: APPS, labels: { 'canopy.dev/workspace': WORKSPACE } } });
    await apply(host, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: 'crash-even' },
      spec: {
        priority: 100,
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace: WORKSPACE, labelSelector: { matchLabels: { placement: 'crash' } } }],
        replicas: { strategy: 'Divide', weights: MEMBERS.map((cluster) => ({ cluster, weight: 1 })) },
      },
    } as KubeObject);
    for (let i = 0; i < COUNT; i++) {
      await host.create(Resources.LogicalCluster, logicalCluster(i));
      await host.create(Resources.Deployment, deployment(i));
    }

    // Two crashes: the first process is killed as soon as logical clusters start to become Ready, the
    // second as soon as Deployments start to become Synced, each with most of that work in flight.
    const killWhen = async (name: string, what: string, progress: () => Promise<number>): Promise<{ done: number; copies: number }> => {
      const operator = startOperator(env, name);
      running.push(operator);
      expect(await waitUntil(180_000, 50, async () => (await progress()) > 0), `${name} made no progress on ${what}`).to.equal(true);
      operator.child.kill('SIGKILL');
      expect(await operator.exited).to.equal(null);
      const done = await progress();
      expect(done, `${name} was killed after all ${what} were done: nothing was interrupted`).to.be.lessThan(COUNT);
      return { done, copies: (await Promise.all(MEMBERS.map(copies))).flat().length };
    };
    // While no operator runs, a RoleBinding goes into the parent's home namespace (once an operator made
    // it) for the next processes to copy into every team's namespace.
    let bindingWritten = false;
    const writeBinding = async (): Promise<void> => {
      if (bindingWritten || (await host.tryGet(Resources.Namespace, WORKSPACE)) === undefined) return;
      await host.create(Resources.RoleBinding, roleBinding('crash-viewers', WORKSPACE, ['alice']));
      bindingWritten = true;
    };
    const firstKill = await killWhen('crash-first', 'logical clusters', readyCount);
    await writeBinding();
    const secondKill = await killWhen('crash-second', 'Deployments', syncedCount);
    await writeBinding();

    // The last process: the same binary, started after the crashes.
    let last = startOperator(env, 'crash-last');
    running.push(last);
    // As a Deployment's kubelet would: an operator that exits (it does on losing its lease, e.g. when the
    // loaded apiserver answers renewals too slowly) is started again.
    let restarts = 0;
    const keepRunning = async (): Promise<void> => {
      if (last.child.exitCode === null && last.child.signalCode === null) return;
      last = startOperator(env, `crash-last-${++restarts}`);
      running.push(last);
    };
    expect(
      await waitUntil(60_000, 200, async () => {
        await writeBinding();
        return bindingWritten;
      }),
      `namespace ${WORKSPACE} never appeared`,
    ).to.equal(true);
    const restartedAt = performance.now();
    const inherited = async (): Promise<number> =>
      [...(await inheritedCopies(host, 'RoleBinding', 'crash-viewers', TEAMS)).values()].filter((from) => from === WORKSPACE).length;
    const converged = await waitUntil(240_000, 500, async () => {
      await keepRunning();
      return (await readyCount()) === COUNT && (await syncedCount()) === COUNT && (await inherited()) === TEAMS.length;
    });
    expect(
      converged,
      `not converged: ${await readyCount()} of ${COUNT} logical clusters Ready, ${await syncedCount()} of ${COUNT} Deployments Synced, ${await inherited()} of ${TEAMS.length} teams with the parent's RoleBinding`,
    ).to.equal(true);
    console.log(
      `      first kill at ${firstKill.done}/${COUNT} logical clusters Ready; second at ${secondKill.done}/${COUNT} Deployments Synced (${secondKill.copies} of ${COUNT * MEMBERS.length} copies made); the last process converged in ${((performance.now() - restartedAt) / 1000).toFixed(1)} s`,
    );

    // Every logical cluster has the same objects as every other (names aside), and its kubeconfig works.
    const shapes = new Map<string, string[]>();
    for (const lc of await logicalClusters()) {
      const name = lc.metadata.name!;
      shapes.set(name, (await labelledObjects(host, name)).map((o) => o.replaceAll(name, '<lc>')).sort());
      const tenant = new ApiClient(await tenantKubeConfig(host, lc));
      try {
        const namespace = lc.status?.namespaces?.[0] ?? `${name}`;
        await tenant.listAll(Resources.ConfigMap, { namespace });
      } finally {
        tenant.close();
      }
    }
    const [reference] = shapes.values();
    expect(
      reference!.filter((o) => o.startsWith('Namespace ')),
      'a namespace per logical cluster',
    ).to.have.length.greaterThan(0);
    for (const kind of ['ResourceQuota', 'LimitRange', 'NetworkPolicy', 'Role', 'RoleBinding', 'ServiceAccount', 'Secret']) {
      expect(
        reference!.some((o) => o.startsWith(`${kind} `)),
        `a logical cluster has a ${kind}`,
      ).to.equal(true);
    }
    for (const [name, shape] of shapes) expect(shape, `${name} differs from the others`).to.deep.equal(reference);

    // Every Deployment is on each member exactly once, with its share.
    for (const member of MEMBERS) {
      const placed = await copies(member);
      expect(placed.map((d) => d.metadata?.name).sort(), `copies on ${member}`).to.deep.equal(Array.from({ length: COUNT }, (_, i) => `crash-web-${i}`).sort());
      for (const d of placed) expect((d as KubeObject & { spec?: { replicas?: number } }).spec?.replicas, `${member}/${d.metadata?.name}`).to.equal(1);
    }
    for (const po of await propagatedObjects()) expect(po.status?.replicas, po.metadata?.name).to.equal(2);

    // Delete it all, and kill the operator once more while it cleans up: nothing stays behind, on the host or on a member.
    for (const lc of await logicalClusters()) await host.delete(Resources.LogicalCluster, lc.metadata.name!);
    for (let i = 0; i < COUNT; i++) await host.delete(Resources.Deployment, `crash-web-${i}`, APPS);
    const left = async (): Promise<{ logicalClusters: number; propagatedObjects: number; copies: number }> => ({
      logicalClusters: (await logicalClusters()).length,
      propagatedObjects: (await propagatedObjects()).length,
      copies: (await Promise.all(MEMBERS.map(copies))).flat().length,
    });
    const cleanupStarted = await waitUntil(120_000, 50, async () => {
      const now = await left();
      return now.logicalClusters < COUNT || now.copies < COUNT * MEMBERS.length;
    });
    expect(cleanupStarted, 'the cleanup made no progress').to.equal(true);
    last.child.kill('SIGKILL');
    expect(await last.exited).to.equal(null);
    const atThirdKill = await left();
    expect(atThirdKill.logicalClusters + atThirdKill.copies, 'killed after the cleanup was complete: nothing was interrupted').to.be.greaterThan(0);
    const cleaner = startOperator(env, 'crash-cleanup');
    running.push(cleaner);
    const cleaned = await waitUntil(240_000, 500, async () => {
      const now = await left();
      return now.logicalClusters === 0 && now.propagatedObjects === 0 && now.copies === 0;
    });
    expect(cleaned, `left: ${JSON.stringify(await left())}`).to.equal(true);
    console.log(
      `      third kill during cleanup with ${atThirdKill.logicalClusters} logical clusters and ${atThirdKill.copies} copies left; the next process finished it`,
    );
    const leftovers = (await Promise.all(Array.from({ length: COUNT }, (_, i) => labelledObjects(host, `crash-lc-${i}`)))).flat();
    // Namespaces may still be terminating (their controller empties them); nothing else may remain.
    const terminating = async (o: string): Promise<boolean> => {
      if (!o.startsWith('Namespace ')) return false;
      const ns = await host.tryGet(Resources.Namespace, o.slice('Namespace '.length));
      return ns === undefined || ns.metadata?.deletionTimestamp !== undefined;
    };
    const kept: string[] = [];
    for (const o of leftovers) if (!(await terminating(o))) kept.push(o);
    expect(kept, 'objects labelled with a deleted logical cluster').to.deep.equal([]);

    cleaner.child.kill('SIGTERM');
    expect(await cleaner.exited).to.equal(0);
  });
});
