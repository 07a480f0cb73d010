/**
 * API faults, each on a private control plane with the operator running as
 * the chart runs it (two replicas, leader election):
 *
 * - the host apiserver restarted while reconciles are in flight;
 * - watches expired: the apiserver stopped, etcd compacted past every
 *   resourceVersion the informers hold, started again (410 Gone on resume);
 * - conflicting writers: other clients replace the same LogicalClusters,
 *   PropagatedObjects and member copies the operator writes (409s on both
 *   sides), a member copy's replicas among them (drift);
 * - throttling: the host apiserver admits one request in flight of each kind,
 *   so the operator's requests meet 429 with Retry-After. The apiserver's audit
 *   log counts every request the operator sent; it must converge and send
 *   fewer requests per second than the same work without throttling (it waits,
 *   it does not hammer).
 *
 * Every scenario ends with the independent checker: nothing lost, duplicated,
 * extra or orphaned.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { waitUntil } from '../../../controlplane/launcher/index.js';
import { isConflict, type KubeObject } from '../../../src/runtime/index.js';
import { check, clean, summary, type CheckReport, type DeploymentSpec, type Specs } from './checker.js';
import { compactEtcd, etcdUrlOf } from '../../support/etcd.js';
import { recordFigures } from './figures.js';
import { LOG_DIR, OperatorFleet } from './operators.js';
import { Chance, describeScale, LONG, SCALE, SEED } from './scale.js';
import { deployment, logicalCluster, persist, Resources, sleep, startWorld, workloadSetup, type World } from './world.js';

const WORKSPACE = 'faults';
const APPS = 'faults-apps';
const MEMBERS = ['eu-1'];

async function waitClean(world: World, specs: () => Specs, what: string): Promise<CheckReport> {
  let report: CheckReport | undefined;
  const ok = await waitUntil(SCALE.convergeMs, 2000, async () => {
    report = await check(world.host, world.members, specs()).catch(() => undefined);
    return report !== undefined && clean(report);
  });
  expect(ok, `${what}: ${report ? summary(report) : 'checker failed'}`).to.equal(true);
  return report!;
}

describe(`chaos: API faults — restart, expired watches, conflicting writers (${describeScale()})`, function () {
  this.timeout(SCALE.convergeMs * 4 + 600_000);
  let world: World;
  let fleet: OperatorFleet;
  const logicalClusters = new Set<string>();
  const deployments = new Map<string, DeploymentSpec>();
  const specs = (): Specs => ({ logicalClusters, logicalClusterPrefix: 'faults-lc-', deployments, namespace: APPS, members: MEMBERS });
  const figures: Record<string, unknown> = {};
  let batch = 0;

  /** A batch of new LogicalClusters and Deployments, so every fault meets work in flight. */
  const createBatch = async (): Promise<void> => {
    const b = batch++;
    await Promise.all(
      Array.from({ length: SCALE.faultObjects }, async (_, i) => {
        const lc = `faults-lc-${b}-${i}`;
        await persist(`create ${lc}`, () => world.host.create(Resources.LogicalCluster, logicalCluster(lc, WORKSPACE)));
        logicalClusters.add(lc);
        const name = `faults-web-${b}-${i}`;
        await persist(`create ${name}`, () => world.host.create(Resources.Deployment, deployment(name, APPS, 'faults', 2)));
        deployments.set(name, { name, replicas: 2 });
      }),
    );
  };

  before(async function () {
    this.timeout(300_000);
    world = await startWorld('faults', MEMBERS);
    await workloadSetup(world.host, WORKSPACE, APPS, 'faults', MEMBERS);
    fleet = new OperatorFleet(`faults-${SEED}`, world.kubeconfigPath);
    await fleet.start();
  });

  after(async function () {
    this.timeout(120_000);
    const peak = fleet?.peakRssMb();
    await fleet?.stop();
    if (Object.keys(figures).length > 0)
      recordFigures('api-faults', {
        logicalClusters: logicalClusters.size,
        deployments: deployments.size,
        ...figures,
        peakRssMb: peak,
        operatorProcesses: fleet?.all.length,
      });
    await world?.close();
  });

  it('the host apiserver restarted during reconciles: converges, nothing lost', async () => {
    await createBatch();
    // Restart as soon as some of the batch is done and the rest in flight.
    await waitUntil(120_000, 200, async () =>
      (await world.host.listAll<KubeObject & { status?: { phase?: string } }>(Resources.LogicalCluster)).some((lc) => lc.status?.phase === 'Ready'),
    );
    await world.env.host.restartApiServer();
    const restartedAt = Date.now();
    await createBatch();
    const report = await waitClean(world, specs, 'after the host apiserver restart');
    figures.convergeSecondsAfterHostRestart = Math.round((Date.now() - restartedAt) / 100) / 10;
    figures.afterRestart = { expected: report.expected, found: report.found };
  });

  it('watches expired (etcd compacted while the apiserver was down, 410 on resume): converges, nothing lost', async () => {
    await createBatch();
    const etcdUrl = etcdUrlOf(world.env);
    await world.env.host.stopApiServer();
    const revision = await compactEtcd(etcdUrl);
    await world.env.host.startApiServer();
    const startedAt = Date.now();
    // Changes the informers can only learn by listing again.
    await createBatch();
    const gone = [...logicalClusters].slice(0, 2);
    for (const lc of gone) {
      await persist(`delete ${lc}`, () => world.host.delete(Resources.LogicalCluster, lc));
      logicalClusters.delete(lc);
    }
    const goneDeployment = [...deployments.keys()][0]!;
    await persist(`delete ${goneDeployment}`, () => world.host.delete(Resources.Deployment, goneDeployment, APPS));
    deployments.delete(goneDeployment);
    await waitClean(world, specs, 'after etcd compaction');
    figures.compactedAtRevision = revision;
    figures.convergeSecondsAfterCompaction = Math.round((Date.now() - startedAt) / 100) / 10;
    const relists = fleet.all.flatMap((o) => o.lines()).filter((l) => /410|gone|relist/i.test(`${l.msg} ${String(l.err ?? '')}`)).length;
    figures.relistLogLines = relists;
  });

  it("conflicting writers on the same objects (409s): the operator's state wins where it owns it, nothing lost", async () => {
    await createBatch();
    const chance = new Chance(SEED + 409);
    const member = world.members.get('eu-1')!;
    const counts = { writes: 0, conflicts: 0 };
    const stopAt = Date.now() + (LONG ? 60_000 : 10_000);
    // Each writer reads an object and replaces it at that resourceVersion, as kubectl edit does.
    const writer = async (w: number) => {
      while (Date.now() < stopAt) {
        const target = chance.int(0, 2);
        try {
          if (target === 0) {
            const lc = chance.pick([...logicalClusters]);
            const current = await world.host.get(Resources.LogicalCluster, lc);
            await world.host.replace(Resources.LogicalCluster, {
              ...current,
              metadata: { ...current.metadata, annotations: { ...current.metadata?.annotations, [`chaos.canopy.dev/writer-${w}`]: String(counts.writes) } },
            });
          } else if (target === 1) {
            const name = `${chance.pick([...deployments.keys()])}-deployment`;
            const current = await world.host.get(Resources.PropagatedObject, name, APPS);
            await world.host.replace(Resources.PropagatedObject, {
              ...current,
              metadata: { ...current.metadata, annotations: { ...current.metadata?.annotations, [`chaos.canopy.dev/writer-${w}`]: String(counts.writes) } },
            });
          } else {
            // A member copy edited by hand: drift the operator must undo.
            const name = chance.pick([...deployments.keys()]);
            const current = await member.get<KubeObject & { spec: { replicas: number } }>(Resources.Deployment, name, APPS);
            await member.replace(Resources.Deployment, { ...current, spec: { ...current.spec, replicas: 7 } });
          }
          counts.writes++;
        } catch (err) {
          if (isConflict(err)) counts.conflicts++;
        }
        await sleep(chance.int(0, 100));
      }
    };
    await Promise.all([writer(0), writer(1), writer(2)]);
    const lastWriteAt = Date.now();
    const last = await waitClean(world, specs, 'after the conflicting writers stopped');
    figures.lastCheck = { expected: last.expected, found: last.found, lost: 0, duplicates: 0, extras: 0, orphans: 0 };
    Object.assign(figures, {
      conflictingWrites: counts.writes,
      conflictsSeenByWriters: counts.conflicts,
      convergeSecondsAfterWriters: Math.round((Date.now() - lastWriteAt) / 100) / 10,
    });
    const operatorConflicts = fleet.all.flatMap((o) => o.lines()).filter((l) => /conflict|409/i.test(`${l.msg} ${JSON.stringify(l.err ?? '')}`)).length;
    figures.conflictLogLinesInOperator = operatorConflicts;
    expect(fleet.crashes()).to.deep.equal([]);
  });
});

/** Requests of one user per second, from a kube-apiserver audit log (JSON lines, stage ResponseComplete). */
function auditRate(file: string, user: string): { requests: number; throttled: number; seconds: number; perSecond: number } {
  const events = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map(
      (l) =>
        JSON.parse(l) as { stage: string; verb: string; user?: { username?: string }; responseStatus?: { code?: number }; requestReceivedTimestamp: string },
    )
    .filter((e) => e.user?.username === user && e.stage === 'ResponseComplete' && e.verb !== 'watch');
  const times = events.map((e) => Date.parse(e.requestReceivedTimestamp)).sort((a, b) => a - b);
  const seconds = times.length > 1 ? (times.at(-1)! - times[0]!) / 1000 : 0;
  return {
    requests: events.length,
    throttled: events.filter((e) => e.responseStatus?.code === 429).length,
    seconds,
    perSecond: seconds > 0 ? events.length / seconds : 0,
  };
}

describe(`chaos: API faults — throttling, 429 with Retry-After (${describeScale()})`, function () {
  this.timeout(SCALE.convergeMs * 2 + 600_000);
  const OPERATOR = 'system:serviceaccount:canopy-system:canopy-operator';
  const runs: Record<string, ReturnType<typeof auditRate> & { convergeSeconds: number; peakRssMb: number; operatorProcesses: number; leaseLosses: number }> =
    {};

  /** One host, the same work (LogicalClusters only), the operator's requests read from the audit log. */
  const run = async (label: string, apiServerArgs: string[]): Promise<void> => {
    const policy = join(LOG_DIR, `audit-policy-${process.pid}.yaml`);
    writeFileSync(
      policy,
      `apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n  users: ["${OPERATOR}"]\n- level: None\n`,
    );
    const auditLog = join(LOG_DIR, `audit-${label}-${process.pid}.log`);
    writeFileSync(auditLog, '');
    const world = await startWorld(`throttle-${label}`, [], {
      apiServerArgs: [`--audit-policy-file=${policy}`, `--audit-log-path=${auditLog}`, ...apiServerArgs],
    });
    const fleet = new OperatorFleet(`throttle-${label}-${SEED}`, world.kubeconfigPath, 1);
    const names = new Set<string>();
    try {
      await workloadSetup(world.host, 'throttle', 'throttle-apps', 'throttle', []);
      for (let i = 0; i < SCALE.faultObjects * 2; i++) {
        const name = `throttle-lc-${i}`;
        await world.host.create(Resources.LogicalCluster, logicalCluster(name, 'throttle'));
        names.add(name);
      }
      const startedAt = Date.now();
      await fleet.start();
      await waitClean(
        world,
        () => ({ logicalClusters: names, logicalClusterPrefix: 'throttle-lc-', deployments: new Map(), namespace: 'throttle-apps', members: [] }),
        `${label}: LogicalClusters`,
      );
      const convergeSeconds = Math.round((Date.now() - startedAt) / 100) / 10;
      expect(fleet.crashes()).to.deep.equal([]);
      await fleet.stop();
      // A leader that cannot renew through the throttle in time stops (and is started again): counted, not hidden.
      const leaseLosses = fleet.all.filter((o) => o.lines().some((l) => l.msg.startsWith('leader election lost'))).length;
      runs[label] = { ...auditRate(auditLog, OPERATOR), convergeSeconds, peakRssMb: fleet.peakRssMb(), operatorProcesses: fleet.all.length, leaseLosses };
    } finally {
      await fleet.stop();
      await world.close();
    }
  };

  after(() => {
    if (Object.keys(runs).length > 0) recordFigures('api-throttling', { logicalClusters: SCALE.faultObjects * 2, runs });
  });

  it('converges under 429s and sends fewer requests per second than without throttling', async () => {
    await run('unthrottled', []);
    // One request in flight of each kind, and no priority-and-fairness exemption for the operator's ServiceAccount.
    await run('throttled', ['--enable-priority-and-fairness=false', '--max-requests-inflight=1', '--max-mutating-requests-inflight=1']);
    const { unthrottled, throttled } = runs as Record<'unthrottled' | 'throttled', (typeof runs)[string]>;
    console.log(
      `      operator requests: ${unthrottled!.requests} in ${unthrottled!.seconds.toFixed(1)} s unthrottled (${unthrottled!.perSecond.toFixed(1)}/s); ${throttled!.requests} in ${throttled!.seconds.toFixed(1)} s throttled (${throttled!.perSecond.toFixed(1)}/s, ${throttled!.throttled} answered 429)`,
    );
    expect(throttled!.throttled, 'the throttled apiserver answered 429 to the operator').to.be.greaterThan(0);
    expect(throttled!.perSecond, 'requests per second under 429 vs without').to.be.lessThan(unthrottled!.perSecond);
  });
});
