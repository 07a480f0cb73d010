/**
 * Leader storm: two operator replicas with leader election (as the chart runs
 * them) while LogicalClusters and placed Deployments are created, scaled and
 * deleted; every few seconds (seeded) the leader is killed with SIGKILL, and
 * sometimes both replicas at once, each started again as a kubelet would.
 * When the storm is over, the independent checker must find exactly what the
 * specs imply on the host and on every member — nothing missing, duplicated,
 * extra or orphaned — and the Lease's holder history and the replicas' logs
 * must show that no reconcile ran on two replicas at once.
 */
import { expect } from 'chai';
import { waitUntil } from '../../../controlplane/launcher/index.js';
import { check, clean, summary, type DeploymentSpec, type CheckReport } from './checker.js';
import { recordFigures } from './figures.js';
import { LeaseHistory, leadershipReport, OperatorFleet, type OperatorProcess } from './operators.js';
import { Chance, describeScale, SCALE, SEED } from './scale.js';
import { deleteEventually, deployment, logicalCluster, persist, Resources, sleep, startWorld, workloadSetup, type World } from './world.js';

const WORKSPACE = 'storm';
const APPS = 'storm-apps';
const LABEL = 'storm';
const MEMBERS = ['eu-1', 'us-1'];
const LC_PREFIX = 'storm-lc-';

describe(`chaos: leader storm with two replicas (${describeScale()})`, function () {
  this.timeout(SCALE.convergeMs + 60 * 60_000);
  let world: World;
  let fleet: OperatorFleet;
  let lease: LeaseHistory;

  before(async function () {
    this.timeout(300_000);
    world = await startWorld('storm', MEMBERS);
    await workloadSetup(world.host, WORKSPACE, APPS, LABEL, MEMBERS);
  });

  after(async function () {
    this.timeout(120_000);
    lease?.stop();
    await fleet?.stop();
    await world?.close();
  });

  it('converges to exactly what the specs imply, with no reconcile on two replicas at once', async () => {
    // Separate streams for the writers and the killer, so neither one's choices depend on how their turns interleave.
    const chance = new Chance(SEED);
    const killer = new Chance(SEED ^ 0x5eed);
    lease = new LeaseHistory(world.host);
    lease.start();
    fleet = new OperatorFleet(`storm-${SEED}`, world.kubeconfigPath);
    await fleet.start();

    // What the specs say, kept as the writes land.
    const logicalClusters = new Set<string>();
    const deployments = new Map<string, DeploymentSpec>();
    const created = { logicalClusters: 0, deployments: 0, scaled: 0, deletedLogicalClusters: 0, deletedDeployments: 0, writeRetries: 0 };

    // The writer: LogicalClusters and Deployments interleaved in a seeded order, a few scaled or deleted later.
    const plan: Array<'lc' | 'dep'> = [...new Array<'lc'>(SCALE.logicalClusters).fill('lc'), ...new Array<'dep'>(SCALE.deployments).fill('dep')].sort(
      () => chance.float() - 0.5,
    );
    let writing = true;
    const busy = new Set<string>();
    const writer = (async () => {
      let lcIndex = 0;
      let depIndex = 0;
      const workers = 4;
      let next = 0;
      const one = async (kind: 'lc' | 'dep') => {
        if (kind === 'lc') {
          const name = `${LC_PREFIX}${lcIndex++}`;
          created.writeRetries += (await persist(`create ${name}`, () => world.host.create(Resources.LogicalCluster, logicalCluster(name, WORKSPACE)))) - 1;
          logicalClusters.add(name);
          created.logicalClusters++;
          if (chance.chance(0.1)) {
            const victim = chance.pick([...logicalClusters]);
            await deleteEventually(`delete ${victim}`, () => world.host.delete(Resources.LogicalCluster, victim));
            logicalClusters.delete(victim);
            created.deletedLogicalClusters++;
          }
        } else {
          const name = `storm-web-${depIndex++}`;
          created.writeRetries += (await persist(`create ${name}`, () => world.host.create(Resources.Deployment, deployment(name, APPS, LABEL, 2)))) - 1;
          deployments.set(name, { name, replicas: 2 });
          created.deployments++;
          const roll = chance.float();
          // One change at a time per Deployment (the pick and the claim happen in one turn of the event loop),
          // so the model's order of writes is the apiserver's.
          const free = [...deployments.keys()].filter((d) => !busy.has(d));
          if (roll < 0.25 && free.length > 0) {
            const victim = chance.pick(free);
            busy.add(victim);
            if (roll < 0.15) {
              await persist(`scale ${victim}`, () => world.host.patch(Resources.Deployment, victim, APPS, { spec: { replicas: 4 } }, 'merge'));
              deployments.set(victim, { name: victim, replicas: 4 });
              created.scaled++;
            } else {
              await deleteEventually(`delete ${victim}`, () => world.host.delete(Resources.Deployment, victim, APPS));
              deployments.delete(victim);
              created.deletedDeployments++;
            }
          }
        }
      };
      // A few writers in parallel, as several tenants would; each takes the next item of the plan.
      await Promise.all(
        Array.from({ length: workers }, async () => {
          while (next < plan.length) await one(plan[next++]!);
        }),
      );
    })().then(
      () => {
        writing = false;
        return undefined;
      },
      (err: unknown) => {
        writing = false;
        return err;
      },
    );

    // The killer: the leader every few seconds (seeded), sometimes both replicas, for as long as writes go on.
    const faults = { leaderKills: 0, bothKills: 0, otherKills: 0, lastAt: 0 };
    while (writing || faults.leaderKills + faults.bothKills + faults.otherKills < SCALE.kills) {
      // The leader of the moment (right after a kill the Lease names the dead one until a standby takes over),
      // killed after a seeded pause of a few seconds into its term.
      let leader: OperatorProcess | undefined;
      await waitUntil(60_000, 250, async () => (leader = await fleet.leader(world.host).catch(() => undefined)) !== undefined);
      await sleep(killer.int(SCALE.killGapMinMs, SCALE.killGapMaxMs));
      // Both replicas at once: at random, and at least once (the second kill) in every run.
      if (killer.chance(0.2) || (faults.bothKills === 0 && faults.leaderKills + faults.otherKills === 1)) {
        await Promise.all(fleet.current.map((o) => o?.kill('SIGKILL')));
        faults.bothKills++;
      } else {
        const victim = leader?.alive ? leader : fleet.current.find((o) => o?.alive);
        if (!victim) continue;
        await victim.kill('SIGKILL');
        if (victim === leader) faults.leaderKills++;
        else faults.otherKills++;
      }
      faults.lastAt = Date.now();
    }
    const writeFailure = await writer;
    if (writeFailure) throw writeFailure;

    // Convergence after the last fault: the checker's verdict, polled.
    let report: CheckReport | undefined;
    const converged = await waitUntil(SCALE.convergeMs, 3000, async () => {
      report = await check(world.host, world.members, {
        logicalClusters,
        logicalClusterPrefix: LC_PREFIX,
        deployments,
        namespace: APPS,
        members: MEMBERS,
      }).catch(() => undefined);
      return report !== undefined && clean(report);
    });
    const convergeSeconds = (Date.now() - faults.lastAt) / 1000;
    expect(converged, `not converged ${SCALE.convergeMs / 1000}s after the last kill: ${report ? summary(report) : 'checker failed'}`).to.equal(true);

    // Settled state stays settled: check once more a little later (a late writer from a dead term would show here).
    await sleep(5000);
    const again = await check(world.host, world.members, { logicalClusters, logicalClusterPrefix: LC_PREFIX, deployments, namespace: APPS, members: MEMBERS });
    expect(clean(again), summary(again)).to.equal(true);

    lease.stop();
    const leadership = leadershipReport(fleet.all, lease);
    const crashes = fleet.crashes();
    recordFigures('leader-storm', {
      ...created,
      objectsExpected: again.expected,
      objectsFound: again.found,
      lost: again.missing.length,
      duplicates: again.duplicates.length,
      extras: again.extras.length,
      orphans: again.orphans.length,
      kills: faults,
      operatorProcesses: fleet.all.length,
      leadershipTerms: leadership.terms.length,
      leaseHolders: leadership.leaseHolders,
      leaseTransitions: leadership.leaseTransitions,
      reconcileLines: leadership.reconciles,
      overlapViolations: leadership.violations.length,
      convergeSecondsAfterLastFault: Math.round(convergeSeconds * 10) / 10,
      peakRssMb: fleet.peakRssMb(),
      crashes: crashes.length,
    });
    expect(leadership.violations, "reconciles outside their replica's leadership term").to.deep.equal([]);
    expect(leadership.terms.length, 'every kill of a leader hands leadership to a new term').to.be.greaterThan(faults.leaderKills);
    // The Lease counts every change of holder; the logs must show exactly those terms, no more (no second leader) and no fewer.
    expect(leadership.terms.length, "terms in the logs vs the Lease's transitions + 1").to.equal(leadership.leaseTransitions + 1);
    expect(leadership.reconciles, 'the logs show the reconciles').to.be.greaterThan(0);
    expect(crashes, 'replicas that exited without being killed').to.deep.equal([]);
  });
});
