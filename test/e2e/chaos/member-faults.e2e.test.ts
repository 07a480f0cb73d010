/**
 * Member faults, with two operator replicas on a private host and two members:
 *
 * - a member's apiserver stopped for longer than its failover toleration:
 *   its replicas move to the other member, and when it is back the placement
 *   returns to an even split with nothing lost, duplicated or orphaned;
 * - a member whose credentials are revoked (its kubeconfig Secret holds a
 *   wrong token): the Cluster says Unauthorized, no replica crashes or
 *   restarts, nothing is deleted on either member, and it recovers once the
 *   Secret is right again;
 * - a member that hangs (its apiserver stopped with SIGSTOP, the extreme of a
 *   slow etcd): Deployments placed on the other member are still synced while
 *   it hangs (per-member work does not queue behind it).
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { waitUntil } from '../../../controlplane/launcher/index.js';
import { apply, type KubeObject } from '../../../src/runtime/index.js';
import { SYSTEM_NAMESPACE } from '../../../src/dev/register.js';
import { check, clean, summary, type CheckReport, type DeploymentSpec, type Specs } from './checker.js';
import { recordFigures } from './figures.js';
import { OperatorFleet } from './operators.js';
import { describeScale, SCALE, SEED } from './scale.js';
import { deployment, dividePolicy, persist, Resources, sleep, startWorld, workloadSetup, type World } from './world.js';

const WORKSPACE = 'members';
const APPS = 'members-apps';
const MEMBERS = ['eu-1', 'us-1'];

type ClusterView = KubeObject & { status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } };

describe(`chaos: member faults (${describeScale()})`, function () {
  this.timeout(SCALE.convergeMs * 4 + 600_000);
  let world: World;
  let fleet: OperatorFleet;
  const deployments = new Map<string, DeploymentSpec>();
  const specs = (): Specs => ({ logicalClusters: new Set(), logicalClusterPrefix: 'members-none-', deployments, namespace: APPS, members: MEMBERS });
  const figures: Record<string, unknown> = {};
  let peak = 0;

  const converge = async (what: string, since: number): Promise<number> => {
    let report: CheckReport | undefined;
    const ok = await waitUntil(SCALE.convergeMs, 2000, async () => {
      report = await check(world.host, world.members, specs()).catch(() => undefined);
      return report !== undefined && clean(report);
    });
    expect(ok, `${what}: ${report ? summary(report) : 'checker failed'}`).to.equal(true);
    figures.lastCheck = { expected: report!.expected, found: report!.found, lost: 0, duplicates: 0, extras: 0, orphans: 0 };
    return Math.round((Date.now() - since) / 100) / 10;
  };
  const readyOf = async (cluster: string) =>
    (await world.host.get<ClusterView>(Resources.Cluster, cluster)).status?.conditions?.find((c) => c.type === 'Ready');
  const copies = async (member: string) =>
    new Map(
      (await world.members.get(member)!.listAll<KubeObject & { spec?: { replicas?: number } }>(Resources.Deployment, { namespace: APPS })).map((d) => [
        d.metadata!.name!,
        d,
      ]),
    );

  before(async function () {
    this.timeout(300_000);
    world = await startWorld('members', MEMBERS);
    await workloadSetup(world.host, WORKSPACE, APPS, 'members', []);
    // Replicas of an unreachable member move after its toleration (failover on, no extra wait in the policy).
    await persist('policy', () =>
      apply(world.host, dividePolicy('members-even', WORKSPACE, 'members', MEMBERS, { failover: { enabled: true, tolerationSeconds: 0 } })),
    );
    await persist('eu-only policy', () =>
      apply(
        world.host,
        dividePolicy('members-eu-only', WORKSPACE, 'eu-only', ['eu-1'], { clusterSelector: { matchLabels: { 'topology.kubernetes.io/region': 'eu-1' } } }),
      ),
    );
    fleet = new OperatorFleet(`members-${SEED}`, world.kubeconfigPath);
    await fleet.start();
    for (let i = 0; i < SCALE.faultObjects; i++) {
      const name = `members-web-${i}`;
      await persist(`create ${name}`, () => world.host.create(Resources.Deployment, deployment(name, APPS, 'members', 2)));
      deployments.set(name, { name, replicas: 2 });
    }
    figures.baselineConvergeSeconds = await converge('initial placement', Date.now());
  });

  after(async function () {
    this.timeout(120_000);
    if (fleet) {
      peak = fleet.peakRssMb();
      await fleet.stop();
    }
    for (const m of MEMBERS) {
      const pid = world?.env.cluster(m).processIds[0];
      if (pid) process.kill(pid, 'SIGCONT');
    }
    if (Object.keys(figures).length > 0)
      recordFigures('member-faults', {
        deployments: deployments.size,
        ...figures,
        peakRssMb: peak,
        operatorProcesses: fleet?.all.length,
        crashes: fleet?.crashes().length,
      });
    await world?.close();
  });

  it('a member stopped longer than its failover toleration: replicas move away and come back, nothing lost', async () => {
    await world.host.patch(Resources.Cluster, 'us-1', undefined, { spec: { probeIntervalSeconds: 1, failoverAfterSeconds: 3 } }, 'merge');
    const eu1Before = await copies('eu-1');
    // Timed from the stop request: the apiserver stops answering probes while it shuts down.
    const stoppedAt = Date.now();
    await world.env.cluster('us-1').stopApiServer();
    // Failover: every Deployment's replicas on eu-1 alone.
    const moved = await waitUntil(SCALE.convergeMs, 1000, async () => {
      const eu1 = await copies('eu-1');
      return [...deployments.values()].every((d) => eu1.get(d.name)?.spec?.replicas === d.replicas);
    });
    expect(moved, 'replicas moved to eu-1 while us-1 was away').to.equal(true);
    figures.failoverSeconds = Math.round((Date.now() - stoppedAt) / 100) / 10;
    const eu1During = await copies('eu-1');
    for (const [name, d] of eu1Before)
      expect(eu1During.get(name)?.metadata?.uid, `${name} on eu-1 was updated in place, not replaced`).to.equal(d.metadata?.uid);
    await sleep(5000); // longer than the toleration, well past it
    await world.env.cluster('us-1').startApiServer();
    const backAt = Date.now();
    figures.memberOutageSeconds = Math.round((backAt - stoppedAt) / 1000);
    figures.convergeSecondsAfterMemberBack = await converge('after us-1 came back', backAt);
    expect(fleet.crashes()).to.deep.equal([]);
  });

  it('revoked credentials: Unauthorized on the Cluster, no crash loop, no deletion, recovery when fixed', async () => {
    // A long toleration: this fault must not be mistaken for an outage to fail over from.
    await world.host.patch(Resources.Cluster, 'us-1', undefined, { spec: { probeIntervalSeconds: 1, failoverAfterSeconds: 3600 } }, 'merge');
    const before = { eu1: await copies('eu-1'), us1: await copies('us-1') };
    const processes = fleet.all.length;
    const secret = await world.host.get<KubeObject & { data?: Record<string, string> }>(Resources.Secret, 'us-1-kubeconfig', SYSTEM_NAMESPACE);
    const good = Buffer.from(secret.data!.kubeconfig!, 'base64').toString('utf8');
    const bad = good.replace(/token: .*/, 'token: revoked-0000000000000000');
    expect(bad).to.not.equal(good);
    await world.host.patch(Resources.Secret, 'us-1-kubeconfig', SYSTEM_NAMESPACE, { data: { kubeconfig: Buffer.from(bad).toString('base64') } }, 'merge');
    const revokedAt = Date.now();
    const flagged = await waitUntil(120_000, 500, async () => (await readyOf('us-1'))?.reason === 'Unauthorized');
    expect(flagged, `Cluster us-1 Ready: ${JSON.stringify(await readyOf('us-1'))}`).to.equal(true);
    figures.unauthorizedConditionSeconds = Math.round((Date.now() - revokedAt) / 100) / 10;
    const ready = await readyOf('us-1');
    expect(ready?.status).to.equal('False');
    expect(ready?.message ?? '', 'the condition says what to do').to.match(/credentials|token/i);
    // Let the operator live with it for a while: the same objects keep being reconciled.
    await world.host.patch(Resources.Deployment, 'members-web-0', APPS, { spec: { replicas: 4 } }, 'merge');
    deployments.set('members-web-0', { name: 'members-web-0', replicas: 4 });
    await sleep(15_000);
    expect(fleet.all.length, 'no replica exited (no crash loop)').to.equal(processes);
    expect(fleet.crashes()).to.deep.equal([]);
    const during = { eu1: await copies('eu-1'), us1: await copies('us-1') };
    for (const [member, was, now] of [
      ['eu-1', before.eu1, during.eu1],
      ['us-1', before.us1, during.us1],
    ] as const) {
      for (const [name, d] of was) expect(now.get(name)?.metadata?.uid, `${name} on ${member} still there`).to.equal(d.metadata?.uid);
    }
    expect(during.eu1.get('members-web-0')?.spec?.replicas, 'the reachable member got its new share meanwhile').to.equal(2);
    await world.host.patch(Resources.Secret, 'us-1-kubeconfig', SYSTEM_NAMESPACE, { data: { kubeconfig: Buffer.from(good).toString('base64') } }, 'merge');
    const fixedAt = Date.now();
    expect(await waitUntil(120_000, 500, async () => (await readyOf('us-1'))?.status === 'True'), 'us-1 Ready again').to.equal(true);
    figures.convergeSecondsAfterCredentialsFixed = await converge('after the credentials were fixed', fixedAt);
  });

  it('a hung member does not hold up the others: Deployments for eu-1 sync while us-1 hangs', async () => {
    const apiServerPid = world.env.cluster('us-1').processIds[0]!;
    expect(readFileSync(`/proc/${apiServerPid}/cmdline`, 'utf8')).to.contain('kube-apiserver');
    // Baseline: eu-only Deployments with us-1 healthy.
    const placeOnEu = async (prefix: string, n: number): Promise<number> => {
      const started = Date.now();
      for (let i = 0; i < n; i++) {
        const name = `${prefix}-${i}`;
        await persist(`create ${name}`, () => world.host.create(Resources.Deployment, deployment(name, APPS, 'eu-only', 2)));
        deployments.set(name, { name, replicas: 2, members: ['eu-1'] });
      }
      const synced = await waitUntil(SCALE.convergeMs, 500, async () => {
        const eu1 = await copies('eu-1');
        return Array.from({ length: n }, (_, i) => `${prefix}-${i}`).every((name) => eu1.get(name)?.spec?.replicas === 2);
      });
      expect(synced, `${prefix}: copies on eu-1`).to.equal(true);
      return Math.round((Date.now() - started) / 100) / 10;
    };
    const n = Math.max(3, Math.round(SCALE.faultObjects / 2));
    figures.euOnlySecondsHealthy = await placeOnEu('healthy-eu', n);
    process.kill(apiServerPid, 'SIGSTOP');
    const hungAt = Date.now();
    try {
      // The operator keeps talking to us-1 (status, probes, the scale below) and gets no answer.
      await world.host.patch(Resources.Deployment, 'members-web-1', APPS, { spec: { replicas: 4 } }, 'merge');
      deployments.set('members-web-1', { name: 'members-web-1', replicas: 4 });
      figures.euOnlySecondsWhileUs1Hung = await placeOnEu('hung-eu', n);
    } finally {
      process.kill(apiServerPid, 'SIGCONT');
    }
    figures.us1HungSeconds = Math.round((Date.now() - hungAt) / 1000);
    figures.convergeSecondsAfterUs1Resumed = await converge('after us-1 resumed', Date.now());
    expect(fleet.crashes()).to.deep.equal([]);
  });
});
