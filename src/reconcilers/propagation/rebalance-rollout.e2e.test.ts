import { expect } from 'chai';
import { apply, Resources, type KubeObject } from '../../runtime/index.js';
import { uniqueName } from '../../../test/e2e/env.js';
import { acquireAdmission } from '../../../test/support/admission.js';
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
import { rebalanceAction } from '../../cli/rebalance-command.js';
import { rolloutAction } from '../../cli/rollout-command.js';

const MEMBERS = ['eu-1', 'eu-2', 'us-1'];
/** The clusters the objects are not on at first; the placement change adds them. */
const ADDED = ['eu-2', 'us-1'];
/** Selects eu-1 only (controlplane/launcher/environment.ts). */
const ONPREM = { matchLabels: { 'canopy.dev/onprem': 'true' } };

type MemberDeployment = KubeObject & {
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number };
};
type RolloutView = PropagatedObjectView & { status?: PropagatedObjectView['status'] & { rollout?: { phase?: string; stage?: string; message?: string } } };

/** Whether a member has a copy, and whether every replica of it is available (kwok makes the pods Ready). */
interface MemberState {
  readonly cluster: string;
  readonly present: boolean;
  readonly ready: boolean;
}

async function memberState(cluster: string, name: string, namespace: string): Promise<MemberState> {
  const d = await client(cluster).tryGet<MemberDeployment>(Deployments, name, namespace);
  const want = d?.spec?.replicas ?? 1;
  const s = d?.status ?? {};
  const ready =
    d !== undefined &&
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) >= want &&
    (s.availableReplicas ?? 0) >= want &&
    (s.replicas ?? 0) <= want;
  return { cluster, present: d !== undefined, ready };
}

/**
 * A placement change of a running object goes through its rollout strategy,
 * against the three real members with real pod readiness: an object placed
 * on eu-1 whose policy then admits every member gains the two new clusters
 * one at a time with Rolling, and stage by stage, waiting for the manual
 * approval, with Staged. (A failover away from an unreachable cluster is not
 * paced; failover.e2e and failback.e2e cover that path.)
 */
describe('propagation: a rebalance goes through the rollout strategy (e2e)', function () {
  this.timeout(600_000);
  let tenant: { namespace: string; workspace: string };
  let ns: string;
  const rollingPolicy = uniqueName('rb-rolling');
  const stagedPolicy = uniqueName('rb-staged');
  const rolling = uniqueName('grows');
  const staged = uniqueName('staged');
  let release: (() => Promise<void>) | undefined;
  const getPo = (name: string) => client('host').tryGet<RolloutView>(PropagatedObjects, `${name}-deployment`, ns);
  const states = (name: string) => Promise.all(MEMBERS.map((c) => memberState(c, name, ns)));

  const policy = (name: string, label: string, rollout: Record<string, unknown>): KubeObject =>
    ({
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name },
      spec: {
        priority: 600,
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace: tenant.workspace, labelSelector: { matchLabels: { rebalance: label } } }],
        clusterSelector: ONPREM,
        rollout,
      },
    }) as KubeObject;

  /** Lets the policy admit every member, and asks for a rebalance of the object as `kubectl canopy rebalance` does. */
  async function widen(policyName: string, object: string): Promise<void> {
    await client('host').patch(Resources.PlacementPolicy, policyName, undefined, { spec: { clusterSelector: null } }, 'merge');
    await rebalanceAction(client('host'), ns, `deployment/${object}`);
  }

  async function onlyOnEu1(name: string): Promise<void> {
    await eventually(
      `${name} runs Ready on eu-1 only and its rollout is Complete`,
      async () => {
        const [eu1, ...rest] = await states(name);
        const po = await getPo(name);
        return eu1?.ready && rest.every((s) => !s.present) && po?.status?.rollout?.phase === 'Complete' ? true : undefined;
      },
      180_000,
      500,
    );
  }

  before(async () => {
    release = await acquireAdmission();
    tenant = await tenantNamespace('rb');
    ns = tenant.namespace;
    await apply(client('host'), policy(rollingPolicy, 'rolling', { strategy: 'Rolling', maxUnavailableClusters: 1, minReadySeconds: 3 }));
    await apply(
      client('host'),
      policy(stagedPolicy, 'staged', {
        strategy: 'Staged',
        stages: [
          { name: 'canary', clusterSelector: ONPREM },
          { name: 'rest', approval: 'Manual' },
        ],
      }),
    );
    for (const [name, label] of [
      [rolling, 'rolling'],
      [staged, 'staged'],
    ] as const) {
      const d = deployment(name, 1, { rebalance: label }, 'nginx:1.27');
      await apply(client('host'), { ...d, metadata: { ...d.metadata, namespace: ns } });
    }
  });

  after(async () => {
    await deleteIgnoringMissing('host', Resources.PlacementPolicy, rollingPolicy);
    await deleteIgnoringMissing('host', Resources.PlacementPolicy, stagedPolicy);
    await removeTenant(tenant);
    await release?.();
  });

  it('Rolling: an object on one cluster rebalanced to three gains the new clusters one at a time', async () => {
    await onlyOnEu1(rolling);
    await widen(rollingPolicy, rolling);
    let samples = 0;
    let worst = 0;
    const partial = new Set<number>();
    const order: string[] = [];
    let sawHeld = false;
    const deadline = Date.now() + 240_000;
    for (;;) {
      const all = await states(rolling);
      samples++;
      const added = all.filter((s) => ADDED.includes(s.cluster) && s.present);
      const notReadyNew = added.filter((s) => !s.ready).length;
      worst = Math.max(worst, notReadyNew);
      expect(notReadyNew, `sample ${samples}: ${JSON.stringify(all)}`).to.be.at.most(1);
      // The copy it already ran keeps running throughout.
      expect(all[0]?.ready, `sample ${samples}: eu-1 ${JSON.stringify(all[0])}`).to.equal(true);
      if (added.length === 1) partial.add(1);
      for (const s of added) if (!order.includes(s.cluster)) order.push(s.cluster);
      if (!sawHeld && added.length < ADDED.length) {
        const po = await getPo(rolling);
        sawHeld = (po?.status?.placement ?? []).length === MEMBERS.length && po?.status?.rollout?.phase === 'Progressing';
      }
      if (added.length === ADDED.length && added.every((s) => s.ready)) break;
      expect(Date.now(), `the rebalance did not finish: ${JSON.stringify(all)}`).to.be.below(deadline);
      await new Promise((r) => setTimeout(r, 150));
    }
    // Paced for real: a moment with exactly one new cluster was seen while placement already named all three.
    expect([...partial], `${samples} samples`).to.deep.equal([1]);
    expect(sawHeld, 'placement listed three clusters while the rollout held one back').to.equal(true);
    expect(order).to.deep.equal(ADDED);
    const po = await eventually('rollout Complete', async () => {
      const p = await getPo(rolling);
      return p?.status?.rollout?.phase === 'Complete' ? p : undefined;
    });
    expect(condition(po, 'RolloutStopped')?.status).to.equal('False');
    console.log(`      (${samples} samples, at most ${worst} new cluster(s) not Ready at once)`);
  });

  it('Staged: the new clusters of a rebalance wait after the canary stage until the next stage is approved', async () => {
    await onlyOnEu1(staged);
    await widen(stagedPolicy, staged);
    const waiting = await eventually(
      'WaitingForApproval with three clusters placed',
      async () => {
        const po = await getPo(staged);
        return po?.status?.rollout?.phase === 'WaitingForApproval' && (po.status.placement ?? []).length === MEMBERS.length ? po : undefined;
      },
      120_000,
      300,
    );
    expect(waiting.status?.rollout?.stage).to.equal('rest');
    expect(condition(waiting, 'RolloutProgressing')?.reason).to.equal('WaitingForApproval');
    // Held for as long as nobody approves: the new clusters get no copy.
    for (let i = 0; i < 10; i++) {
      const all = await states(staged);
      expect(all.map((s) => `${s.cluster}=${s.present}`)).to.deep.equal(['eu-1=true', 'eu-2=false', 'us-1=false']);
      expect(all[0]?.ready).to.equal(true);
      await new Promise((r) => setTimeout(r, 500));
    }
    const explained = await rolloutAction(client('host'), ns, 'status', `deployment/${staged}`);
    expect(explained).to.contain('WaitingForApproval').and.contain('approval of stage rest');
    await rolloutAction(client('host'), ns, 'approve', `deployment/${staged}`, { stage: 'rest' });
    await eventually(
      `${staged} runs Ready on every member and its rollout is Complete`,
      async () => {
        const all = await states(staged);
        const po = await getPo(staged);
        return all.every((s) => s.ready) && po?.status?.rollout?.phase === 'Complete' ? true : undefined;
      },
      180_000,
      500,
    );
  });
});
