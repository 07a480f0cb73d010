import { expect } from 'chai';
import { apply, Resources, type KubeObject } from '../../runtime/index.js';
import { rebalanceAction } from '../../cli/rebalance-command.js';
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
  status?: { conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }> };
};
type DeploymentView = KubeObject & { spec?: { replicas?: number }; status?: { readyReplicas?: number } };
type Excluded = { cluster: string; plugin?: string; reason: string };

/** One sampled moment: Ready replicas of each workload over the reachable members, and where placement has it. */
interface Sample {
  readonly at: number;
  readonly ready: Record<string, number>;
  readonly placement: Record<string, string>;
}

const STABLE_SECONDS = 20;

/**
 * Failback with the shared operator: us-1's apiserver is stopped, its
 * replicas fail over to eu-1, the apiserver starts again. With failback
 * WhenRecovered and stableSeconds, the workload stays on eu-1 (the hold is in
 * status.excluded, plugin Failback) until us-1 has been Ready that long, then
 * returns make-before-break; with failback Never it stays until a rebalance is
 * requested with the annotation. Real pod readiness on the members: at no
 * sampled moment does either workload have zero Ready replicas.
 */
describe('propagation: failback and rebalance after a failover (e2e)', function () {
  this.timeout(420_000);
  let tenant: { namespace: string; workspace: string };
  let ns: string;
  const backPolicy = uniqueName('fb-back');
  const stayPolicy = uniqueName('fb-stay');
  const back = uniqueName('back');
  const stay = uniqueName('stay');
  let saved: { probeIntervalSeconds?: number; failoverAfterSeconds?: number } = {};
  const samples: Sample[] = [];
  let sampling = false;
  let sampler: Promise<void> | undefined;

  const getPo = (name: string) => client('host').tryGet<PropagatedObjectView>(PropagatedObjects, `${name}-deployment`, ns);
  const placementOf = (p: PropagatedObjectView | undefined) =>
    (p?.status?.placement ?? [])
      .map((e) => `${e.cluster}=${e.replicas}`)
      .sort()
      .join(',');
  const excludedOf = (p: PropagatedObjectView | undefined, cluster: string) =>
    ((p?.status as { excluded?: Excluded[] } | undefined)?.excluded ?? []).find((e) => e.cluster === cluster);

  async function readyOn(cluster: string, name: string): Promise<number> {
    // A stopped member counts as zero: what matters is what still serves.
    const d = await client(cluster)
      .tryGet<DeploymentView>(Deployments, name, ns)
      .catch(() => undefined);
    return d?.status?.readyReplicas ?? 0;
  }

  async function takeSample(): Promise<Sample> {
    const ready: Record<string, number> = {};
    const placement: Record<string, string> = {};
    for (const name of [back, stay]) {
      const [eu, us] = await Promise.all([readyOn('eu-1', name), readyOn('us-1', name)]);
      ready[name] = eu + us;
      placement[name] = placementOf(await getPo(name));
    }
    return { at: Date.now(), ready, placement };
  }

  before(async () => {
    tenant = await tenantNamespace('fb');
    ns = tenant.namespace;
    const selector = (value: string) => [
      { apiVersion: 'apps/v1', kind: 'Deployment', workspace: tenant.workspace, labelSelector: { matchLabels: { failback: value } } },
    ];
    const divide = {
      strategy: 'Divide',
      weights: [
        { cluster: 'eu-1', weight: 3 },
        { cluster: 'us-1', weight: 1 },
      ],
    };
    await apply(client('host'), {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: backPolicy },
      spec: {
        priority: 500,
        resourceSelectors: selector('back'),
        replicas: divide,
        failover: { enabled: true, tolerationSeconds: 0, failback: 'WhenRecovered', stableSeconds: STABLE_SECONDS },
      },
    } as KubeObject);
    await apply(client('host'), {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: stayPolicy },
      spec: { priority: 500, resourceSelectors: selector('stay'), replicas: divide, failover: { enabled: true, tolerationSeconds: 0, failback: 'Never' } },
    } as KubeObject);
    for (const [name, label] of [
      [back, 'back'],
      [stay, 'stay'],
    ] as const) {
      const d = deployment(name, 4, { failback: label });
      await apply(client('host'), { ...d, metadata: { ...d.metadata, namespace: ns } });
    }
    const us1 = await client('host').get<ClusterView>(Resources.Cluster, 'us-1');
    saved = { probeIntervalSeconds: us1.spec?.probeIntervalSeconds, failoverAfterSeconds: us1.spec?.failoverAfterSeconds };
    await client('host').patch(Resources.Cluster, 'us-1', undefined, { spec: { probeIntervalSeconds: 1, failoverAfterSeconds: 3 } }, 'merge');
  });

  after(async () => {
    sampling = false;
    await sampler;
    const us1 = testEnv().cluster('us-1');
    if (!us1.apiServerRunning) await us1.startApiServer();
    await client('host').patch(
      Resources.Cluster,
      'us-1',
      undefined,
      { spec: { probeIntervalSeconds: saved.probeIntervalSeconds ?? null, failoverAfterSeconds: saved.failoverAfterSeconds ?? null } },
      'merge',
    );
    await deleteIgnoringMissing('host', Resources.PlacementPolicy, backPolicy);
    await deleteIgnoringMissing('host', Resources.PlacementPolicy, stayPolicy);
    await removeTenant(tenant);
  });

  it('returns after stableSeconds of health (WhenRecovered) or on a rebalance (Never), never with zero Ready replicas', async () => {
    for (const name of [back, stay]) {
      await eventually(
        `${name} Ready on eu-1 and us-1 before the outage`,
        async () => {
          const p = await getPo(name);
          return condition(p, 'Ready')?.status === 'True' && placementOf(p) === 'eu-1=3,us-1=1' ? true : undefined;
        },
        120_000,
      );
    }
    sampling = true;
    sampler = (async () => {
      while (sampling) {
        samples.push(await takeSample());
        await new Promise((r) => setTimeout(r, 250));
      }
    })();

    await testEnv().cluster('us-1').stopApiServer();
    for (const name of [back, stay]) {
      await eventually(
        `${name} failed over to eu-1`,
        async () => {
          const p = await getPo(name);
          return placementOf(p) === 'eu-1=4' && excludedOf(p, 'us-1')?.plugin === 'TaintToleration' ? true : undefined;
        },
        120_000,
      );
      await eventually(`${name}: 4 Ready on eu-1`, async () => ((await readyOn('eu-1', name)) === 4 ? true : undefined), 120_000);
    }

    await testEnv().cluster('us-1').startApiServer();
    const recovered = await eventually(
      'us-1 Ready and untainted',
      async () => {
        const c = await client('host').get<ClusterView>(Resources.Cluster, 'us-1');
        const ready = c.status?.conditions?.find((x) => x.type === 'Ready');
        return ready?.status === 'True' && !(c.spec?.taints ?? []).some((t) => t.key === 'canopy.dev/unreachable') ? ready : undefined;
      },
      120_000,
    );
    const readySince = Date.parse(recovered.lastTransitionTime ?? '');
    expect(readySince).to.be.a('number').and.not.NaN;

    // WhenRecovered: held back while us-1 is not yet stable, and the status says so.
    const held = await eventually('back held on eu-1 by failback', async () => {
      const p = await getPo(back);
      return excludedOf(p, 'us-1')?.plugin === 'Failback' ? p : undefined;
    });
    expect(placementOf(held)).to.equal('eu-1=4');
    expect(excludedOf(held, 'us-1')?.reason).to.match(new RegExp(`Ready for ${STABLE_SECONDS}s`));

    const returned = await eventually(
      'back returned to 3:1 and Ready',
      async () => {
        const p = await getPo(back);
        const synced = (p?.status?.clusters ?? [])
          .map((c) => `${c.cluster}=${c.replicas}`)
          .sort()
          .join(',');
        return placementOf(p) === 'eu-1=3,us-1=1' && synced === 'eu-1=3,us-1=1' && condition(p, 'Ready')?.status === 'True' ? p : undefined;
      },
      180_000,
    );
    expect(returned.status?.readyReplicas).to.equal(4);
    // Not before the cluster had been Ready for stableSeconds (second granularity of the condition's time).
    const firstBack = samples.find((s) => s.at > readySince && s.placement[back]?.includes('us-1'));
    expect(firstBack, 'a sample with back on us-1 again').to.not.equal(undefined);
    expect(firstBack!.at - readySince, 'returned only after stableSeconds of health').to.be.at.least(STABLE_SECONDS * 1000 - 1000);
    await eventually('eu-1 shrunk to 3 after us-1 took its share', async () => {
      const d = await client('eu-1').get<DeploymentView>(Deployments, back, ns);
      return d.spec?.replicas === 3 ? true : undefined;
    });

    // Never: stayed on eu-1 all this time; a rebalance brings it back.
    const stayed = await getPo(stay);
    expect(placementOf(stayed)).to.equal('eu-1=4');
    expect(excludedOf(stayed, 'us-1')?.reason).to.match(/failback is Never/);
    // As `kubectl canopy rebalance deployment/<name>` does it: resolved like explain, then the annotation.
    const requested = new Date();
    const said = await rebalanceAction(client('host'), ns, `deployment/${stay}`, requested);
    expect(said).to.match(/rebalance requested/);
    const requestedAt = requested.toISOString();
    const rebalanced = await eventually(
      'stay rebalanced to 3:1 and Ready',
      async () => {
        const p = await getPo(stay);
        return placementOf(p) === 'eu-1=3,us-1=1' && condition(p, 'Ready')?.status === 'True' && p?.status?.readyReplicas === 4 ? p : undefined;
      },
      180_000,
    );
    expect(Date.parse((rebalanced.status as { rebalancedAt?: string }).rebalancedAt ?? '')).to.equal(Date.parse(requestedAt));

    sampling = false;
    await sampler;
    // Make before break, throughout: never a moment without a Ready replica.
    const empty = samples.filter((s) => s.ready[back] === 0 || s.ready[stay] === 0);
    expect(samples.length).to.be.greaterThan(20);
    expect(empty, 'sampled moments with zero Ready replicas').to.deep.equal([]);
  });
});
