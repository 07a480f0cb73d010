import { expect } from 'chai';
import { apply, Resources, type KubeObject } from '../../runtime/index.js';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import {
  client,
  condition,
  deleteIgnoringMissing,
  deployment,
  Deployments,
  eventually,
  PropagatedObjects,
  removeTenant,
  tenantNamespace,
  type PropagatedObjectView,
} from '../../../test/support/propagation.js';

type ClusterView = KubeObject & {
  spec?: { probeIntervalSeconds?: number; failoverAfterSeconds?: number; taints?: Array<{ key: string }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
};
type DeploymentView = KubeObject & { spec?: { replicas?: number } };

/**
 * Failover with the shared operator's cluster, placement and propagation
 * reconcilers: us-1's apiserver is stopped; once it has been NotReady for
 * failoverAfterSeconds it gets the unreachable taint, placement moves its
 * replicas to eu-1 and the syncer applies them there. A workload that may run
 * only on us-1 has no alternative: nothing is deleted and its status says
 * so; one deleted meanwhile waits for us-1 to come back (its finalizer keeps
 * it, its status says what is pending). When us-1 is back, placement returns
 * per policy and us-1 holds exactly the copies it should.
 */
describe('propagation: failover when a member goes away and comes back (e2e)', function () {
  this.timeout(300_000);
  let tenant: { namespace: string; workspace: string };
  let ns: string;
  const spreadPolicy = uniqueName('spread');
  const soloPolicy = uniqueName('solo');
  const spread = uniqueName('spread');
  const solo = uniqueName('solo');
  const gone = uniqueName('gone');
  let saved: { probeIntervalSeconds?: number; failoverAfterSeconds?: number } = {};
  const getPo = (name: string) => client('host').tryGet<PropagatedObjectView>(PropagatedObjects, `${name}-deployment`, ns);
  const onMember = (cluster: string, name: string) => client(cluster).tryGet<DeploymentView>(Deployments, name, ns);
  const placementOf = (p: PropagatedObjectView | undefined) =>
    (p?.status?.placement ?? [])
      .map((e) => `${e.cluster}=${e.replicas}`)
      .sort()
      .join(',');

  before(async () => {
    tenant = await tenantNamespace('fo');
    ns = tenant.namespace;
    const selector = (value: string) => [
      { apiVersion: 'apps/v1', kind: 'Deployment', workspace: tenant.workspace, labelSelector: { matchLabels: { failover: value } } },
    ];
    await apply(client('host'), {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: spreadPolicy },
      spec: {
        priority: 500,
        resourceSelectors: selector('spread'),
        replicas: {
          strategy: 'Divide',
          weights: [
            { cluster: 'eu-1', weight: 3 },
            { cluster: 'us-1', weight: 1 },
          ],
        },
        failover: { enabled: true, tolerationSeconds: 0 },
      },
    } as KubeObject);
    await apply(client('host'), {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: soloPolicy },
      spec: {
        priority: 500,
        resourceSelectors: selector('solo'),
        clusterSelector: { matchLabels: { 'topology.kubernetes.io/region': 'us-1' } },
        failover: { enabled: true, tolerationSeconds: 0 },
      },
    } as KubeObject);
    for (const [name, replicas, label] of [
      [spread, 4, 'spread'],
      [solo, 1, 'solo'],
      [gone, 1, 'solo'],
    ] as const) {
      const d = deployment(name, replicas, { failover: label });
      await apply(client('host'), { ...d, metadata: { ...d.metadata, namespace: ns } });
    }
    // Probe us-1 every second and taint it 3 s after it stops answering (restored in after()).
    const us1 = await client('host').get<ClusterView>(Resources.Cluster, 'us-1');
    saved = { probeIntervalSeconds: us1.spec?.probeIntervalSeconds, failoverAfterSeconds: us1.spec?.failoverAfterSeconds };
    await client('host').patch(Resources.Cluster, 'us-1', undefined, { spec: { probeIntervalSeconds: 1, failoverAfterSeconds: 3 } }, 'merge');
  });

  after(async () => {
    const us1 = testEnv().cluster('us-1');
    if (!us1.apiServerRunning) await us1.startApiServer();
    await client('host').patch(
      Resources.Cluster,
      'us-1',
      undefined,
      { spec: { probeIntervalSeconds: saved.probeIntervalSeconds ?? null, failoverAfterSeconds: saved.failoverAfterSeconds ?? null } },
      'merge',
    );
    await deleteIgnoringMissing('host', Resources.PlacementPolicy, spreadPolicy);
    await deleteIgnoringMissing('host', Resources.PlacementPolicy, soloPolicy);
    await removeTenant(tenant);
  });

  it("moves us-1's replicas to eu-1 after the toleration, deletes nothing without an alternative, and returns per policy when us-1 is back", async () => {
    for (const name of [spread, solo, gone]) {
      await eventually(`${name} Ready before the outage`, async () => (condition(await getPo(name), 'Ready')?.status === 'True' ? true : undefined), 90_000);
    }
    expect(placementOf(await getPo(spread))).to.equal('eu-1=3,us-1=1');
    const soloUid = (await onMember('us-1', solo))?.metadata?.uid;
    expect(soloUid).to.be.a('string');

    await testEnv().cluster('us-1').stopApiServer();

    // Failover: the placement reconciler moves the replica once us-1 is tainted; the syncer applies it on eu-1.
    const moved = await eventually(
      'spread placed on eu-1 only',
      async () => {
        const p = await getPo(spread);
        return placementOf(p) === 'eu-1=4' ? p : undefined;
      },
      120_000,
    );
    expect(moved.status?.excluded?.some((e) => e.cluster === 'us-1')).to.equal(true);
    await eventually('4 replicas applied on eu-1', async () => ((await onMember('eu-1', spread))?.spec?.replicas === 4 ? true : undefined));
    const afterMove = await eventually('us-1 reported as pending removal', async () => {
      const p = await getPo(spread);
      const us1 = p?.status?.clusters?.find((c) => c.cluster === 'us-1');
      return us1?.state === 'Deleting' && condition(p, 'Ready')?.status === 'True' ? p : undefined;
    });
    expect(afterMove.status?.clusters?.find((c) => c.cluster === 'us-1')?.message).to.match(/unreachable/);
    expect(condition(afterMove, 'Synced')).to.include({ status: 'False', reason: 'PendingRemoval' });

    // No eligible cluster for solo: nothing is deleted anywhere, and the condition says so.
    const stranded = await eventually('solo reports that nothing is deleted', async () => {
      const p = await getPo(solo);
      return condition(p, 'Synced')?.reason === 'NoEligibleCluster' ? p : undefined;
    });
    expect(condition(stranded, 'Scheduled')?.status).to.equal('False');
    expect(condition(stranded, 'Synced')?.message).to.match(/nothing is deleted while no alternative exists/);

    // Deleted while its only cluster is away: the PropagatedObject stays, saying what is pending.
    await client('host').delete(Deployments, gone, ns);
    const pendingDelete = await eventually('gone reports its pending removal', async () => {
      const p = await getPo(gone);
      return p?.metadata?.deletionTimestamp && condition(p, 'Synced')?.reason === 'Deleting' ? p : undefined;
    });
    expect(condition(pendingDelete, 'Synced')?.message).to.match(/removal still pending on us-1/);

    await testEnv().cluster('us-1').startApiServer();
    await eventually(
      'us-1 Ready and untainted',
      async () => {
        const c = await client('host').get<ClusterView>(Resources.Cluster, 'us-1');
        const ready = c.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True';
        return ready && !(c.spec?.taints ?? []).some((t) => t.key === 'canopy.dev/unreachable') ? true : undefined;
      },
      120_000,
    );

    const back = await eventually(
      'spread back to 3:1 and Ready',
      async () => {
        const p = await getPo(spread);
        // The syncer's part of the status must describe this placement, not the one before it.
        const synced = (p?.status?.clusters ?? [])
          .map((c) => `${c.cluster}=${c.replicas}`)
          .sort()
          .join(',');
        return placementOf(p) === 'eu-1=3,us-1=1' &&
          synced === 'eu-1=3,us-1=1' &&
          condition(p, 'Ready')?.status === 'True' &&
          condition(p, 'Synced')?.status === 'True'
          ? p
          : undefined;
      },
      120_000,
    );
    expect(back.status?.readyReplicas).to.equal(4);
    await eventually('eu-1 back to 3 replicas', async () => ((await onMember('eu-1', spread))?.spec?.replicas === 3 ? true : undefined));
    expect((await onMember('us-1', spread))?.spec?.replicas).to.equal(1);
    await eventually('solo Ready on us-1 again', async () => (condition(await getPo(solo), 'Ready')?.status === 'True' ? true : undefined), 60_000);
    expect((await onMember('us-1', solo))?.metadata?.uid, 'the only copy of solo was never deleted').to.equal(soloUid);

    await eventually(
      'gone cleaned from us-1 and its PropagatedObject released',
      async () => ((await getPo(gone)) || (await onMember('us-1', gone)) ? undefined : true),
      60_000,
    );

    // No orphan and no duplicate on us-1: exactly the two copies the placement asks for.
    const onUs1 = await client('us-1').list(Deployments, { namespace: ns, labelSelector: 'canopy.dev/managed-by=canopy' });
    expect(onUs1.items.map((d) => d.metadata?.name).sort()).to.deep.equal([solo, spread].sort());
    const onEu2 = await client('eu-2')
      .list(Deployments, { namespace: ns, labelSelector: 'canopy.dev/managed-by=canopy' })
      .catch(() => ({ items: [] }));
    expect(onEu2.items).to.deep.equal([]);
  });
});
