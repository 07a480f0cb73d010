import { expect } from 'chai';
import { apply, Resources, type ApiClient, type KubeObject } from '../../runtime/index.js';
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
import { grant, onceAllowed, refusal, userOnHost } from '../../../test/e2e/security/admission-support.js';
import { rolloutAction } from '../../cli/rollout-command.js';

const MEMBERS = ['eu-1', 'eu-2', 'us-1'];

type MemberDeployment = KubeObject & {
  spec?: { replicas?: number; template?: { spec?: { containers?: Array<{ image?: string }> } } };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number };
};
type RolloutView = PropagatedObjectView & {
  status?: PropagatedObjectView['status'] & {
    rollout?: { phase?: string; stage?: string; revision?: string; generation?: number; message?: string; stoppedCluster?: string; history?: unknown[] };
  };
};
type ClusterRevisions = Array<{ cluster: string; appliedRevision?: string; readyRevision?: string }>;

/** What one member runs: the image, and whether every replica runs it and is available (the kubelet's word, through kwok). */
interface MemberState {
  readonly cluster: string;
  readonly image: string | undefined;
  readonly ready: boolean;
}

async function memberState(cluster: string, name: string, namespace: string): Promise<MemberState> {
  const d = await client(cluster).tryGet<MemberDeployment>(Deployments, name, namespace);
  const image = d?.spec?.template?.spec?.containers?.[0]?.image;
  const want = d?.spec?.replicas ?? 1;
  const s = d?.status ?? {};
  const ready =
    d !== undefined &&
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) >= want &&
    (s.availableReplicas ?? 0) >= want &&
    (s.replicas ?? 0) <= want;
  return { cluster, image, ready };
}

const step = (what: string) => process.env['CANOPY_E2E_STEPS'] && console.log(`      [${new Date().toISOString()}] ${what}`);
const states = (name: string, namespace: string) => Promise.all(MEMBERS.map((c) => memberState(c, name, namespace)));

/**
 * Rolling and Staged rollouts with the shared operator against the three
 * real members, with real pod readiness: kwok makes pods Ready, except those
 * whose image contains "broken" (controlplane/launcher/kwok-stages.yaml), so
 * a bad image is a copy that never becomes Ready.
 */
describe('propagation: staged and rolling rollouts across members (e2e)', function () {
  this.timeout(600_000);
  let tenant: { namespace: string; workspace: string };
  let other: { namespace: string; workspace: string };
  let ns: string;
  const rollingPolicy = uniqueName('rolling');
  const stagedPolicy = uniqueName('staged');
  const web = uniqueName('web');
  const canaried = uniqueName('canaried');
  const roleName = uniqueName('rollout-user');
  let release: (() => Promise<void>) | undefined;
  const getPo = (name: string, namespace = ns) => client('host').tryGet<RolloutView>(PropagatedObjects, `${name}-deployment`, namespace);
  const setImage = (name: string, image: string) =>
    client('host').patch(Deployments, name, ns, { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } }, 'strategic');

  const policy = (name: string, label: string, rollout: Record<string, unknown>): KubeObject =>
    ({
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name },
      spec: {
        priority: 600,
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace: tenant.workspace, labelSelector: { matchLabels: { rollout: label } } }],
        rollout,
      },
    }) as KubeObject;

  before(async () => {
    release = await acquireAdmission();
    tenant = await tenantNamespace('ro');
    other = await tenantNamespace('ro-other');
    ns = tenant.namespace;
    await apply(
      client('host'),
      policy(rollingPolicy, 'rolling', { strategy: 'Rolling', maxUnavailableClusters: 1, minReadySeconds: 3, progressDeadlineSeconds: 20 }),
    );
    await apply(
      client('host'),
      policy(stagedPolicy, 'staged', {
        strategy: 'Staged',
        stages: [
          { name: 'canary', clusterSelector: { matchLabels: { 'canopy.dev/onprem': 'true' } } },
          { name: 'rest', approval: 'Manual' },
        ],
      }),
    );
    for (const [name, label] of [
      [web, 'rolling'],
      [canaried, 'staged'],
    ] as const) {
      const d = deployment(name, 1, { rollout: label }, 'nginx:1.27');
      await apply(client('host'), { ...d, metadata: { ...d.metadata, namespace: ns } });
    }
  });

  after(async () => {
    await deleteIgnoringMissing('host', Resources.PlacementPolicy, rollingPolicy);
    await deleteIgnoringMissing('host', Resources.PlacementPolicy, stagedPolicy);
    await removeTenant(tenant);
    await removeTenant(other);
    await release?.();
  });

  async function completeOnAll(name: string, image: string): Promise<void> {
    await eventually(
      `${name} runs ${image}, Ready, on ${MEMBERS.join(', ')} and its rollout is Complete`,
      async () => {
        const all = await states(name, ns);
        const po = await getPo(name);
        return all.every((s) => s.image === image && s.ready) && po?.status?.rollout?.phase === 'Complete' ? true : undefined;
      },
      180_000,
      500,
    );
  }

  it('rolls an image change out one cluster at a time: never more than maxUnavailableClusters run a not-Ready new revision', async () => {
    await completeOnAll(web, 'nginx:1.27');
    await setImage(web, 'nginx:1.28');
    let samples = 0;
    let worst = 0;
    const partial = new Set<number>();
    const order: string[] = [];
    const deadline = Date.now() + 180_000;
    for (;;) {
      const all = await states(web, ns);
      samples++;
      const updated = all.filter((s) => s.image === 'nginx:1.28');
      const notReadyNew = updated.filter((s) => !s.ready).length;
      worst = Math.max(worst, notReadyNew);
      expect(notReadyNew, `sample ${samples}: ${JSON.stringify(all)}`).to.be.at.most(1);
      if (updated.length > 0 && updated.length < MEMBERS.length) partial.add(updated.length);
      for (const s of updated) if (!order.includes(s.cluster)) order.push(s.cluster);
      if (updated.length === MEMBERS.length && updated.every((s) => s.ready)) break;
      expect(Date.now(), `the rollout did not finish: ${JSON.stringify(all)}`).to.be.below(deadline);
      await new Promise((r) => setTimeout(r, 150));
    }
    // Staggered for real: moments with one and with two clusters on the new image were seen, in name order.
    expect([...partial].sort(), `${samples} samples`).to.deep.equal([1, 2]);
    expect(order).to.deep.equal(MEMBERS);
    const po = await eventually('rollout Complete', async () => {
      const p = await getPo(web);
      return p?.status?.rollout?.phase === 'Complete' ? p : undefined;
    });
    expect(condition(po, 'RolloutStopped')?.status).to.equal('False');
    const revisions = (po.status?.clusters ?? []) as ClusterRevisions;
    expect(new Set(revisions.map((c) => c.appliedRevision))).to.deep.equal(new Set([po.status?.rollout?.revision]));
    expect(revisions.every((c) => c.readyRevision === po.status?.rollout?.revision)).to.equal(true);
    console.log(`      (${samples} samples, at most ${worst} cluster(s) not Ready on the new revision at once)`);
  });

  it('stops a broken image after the first cluster, leaves the others untouched, says so, and undo (as the CLI does it) restores it', async () => {
    await setImage(web, 'nginx:1.28'); // already so after the test above; run alone, this rolls it out first
    await completeOnAll(web, 'nginx:1.28');
    step('1.28 everywhere; setting nginx:broken');
    await setImage(web, 'nginx:broken');
    const stopped = await eventually(
      'RolloutStopped=True',
      async () => {
        const all = await states(web, ns);
        // The others keep the previous image for the whole time.
        for (const s of all.filter((x) => x.cluster !== 'eu-1')) expect(s.image, s.cluster).to.equal('nginx:1.28');
        const po = await getPo(web);
        return condition(po, 'RolloutStopped')?.status === 'True' ? po : undefined;
      },
      120_000,
      300,
    );
    const c = condition(stopped, 'RolloutStopped');
    expect(c?.reason).to.equal('ProgressDeadlineExceeded');
    expect(c?.message).to.contain('eu-1').and.contain(`generation ${stopped.metadata?.generation}`).and.contain('eu-2, us-1 keep the previous revision');
    expect(stopped.status?.rollout?.phase).to.equal('Stopped');
    expect(stopped.status?.rollout?.stoppedCluster).to.equal('eu-1');
    expect(condition(stopped, 'RolloutProgressing')?.status).to.equal('False');
    const all = await states(web, ns);
    expect(all.map((s) => `${s.cluster}=${s.image}`)).to.deep.equal(['eu-1=nginx:broken', 'eu-2=nginx:1.28', 'us-1=nginx:1.28']);
    // Stopped means stopped: a few more seconds change nothing.
    await new Promise((r) => setTimeout(r, 5000));
    expect((await states(web, ns)).map((s) => s.image)).to.deep.equal(['nginx:broken', 'nginx:1.28', 'nginx:1.28']);

    step('stopped as expected; undo');
    const said = await rolloutAction(client('host'), ns, 'undo', `deployment/${web}`);
    step(said.trim());
    expect(said).to.contain('set back to revision');
    await completeOnAll(web, 'nginx:1.28');
    const after = await getPo(web);
    expect(condition(after, 'RolloutStopped')?.status).to.equal('False');
    const status = await rolloutAction(client('host'), ns, 'status', `deployment/${web}`);
    expect(status).to.contain('Rolling Complete');
  });

  it('a Staged rollout with a manual approval stops after its canary stage until approved', async () => {
    await completeOnAll(canaried, 'nginx:1.27');
    await setImage(canaried, 'nginx:1.28');
    const waiting = await eventually(
      'WaitingForApproval after the canary',
      async () => {
        const po = await getPo(canaried);
        return po?.status?.rollout?.phase === 'WaitingForApproval' ? po : undefined;
      },
      120_000,
      300,
    );
    expect(waiting.status?.rollout?.stage).to.equal('rest');
    expect(condition(waiting, 'RolloutProgressing')?.reason).to.equal('WaitingForApproval');
    // Held for as long as nobody approves.
    for (let i = 0; i < 10; i++) {
      const all = await states(canaried, ns);
      expect(all.map((s) => `${s.cluster}=${s.image}`)).to.deep.equal(['eu-1=nginx:1.28', 'eu-2=nginx:1.27', 'us-1=nginx:1.27']);
      await new Promise((r) => setTimeout(r, 500));
    }
    const explained = await rolloutAction(client('host'), ns, 'status', `deployment/${canaried}`);
    expect(explained).to.contain('WaitingForApproval').and.contain('approval of stage rest');
    await rolloutAction(client('host'), ns, 'approve', `deployment/${canaried}`, { stage: 'rest' });
    await completeOnAll(canaried, 'nginx:1.28');
  });

  it("a tenant cannot approve or resume another tenant's rollout, and a rollout cannot widen placement", async () => {
    // alice may steer rollouts in her own namespace only.
    await grant(
      roleName,
      'alice',
      [
        { apiGroups: ['canopy.dev'], resources: ['propagatedobjects'], verbs: ['get', 'list', 'watch', 'patch', 'update', 'create'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'patch', 'create'] },
      ],
      other.namespace,
    );
    const alice: ApiClient = userOnHost('alice');
    await onceAllowed('alice lists her PropagatedObjects', () => alice.list(PropagatedObjects, { namespace: other.namespace }));
    for (const action of ['approve', 'resume', 'pause'] as const) {
      const refused = await refusal(rolloutAction(alice, ns, action, `deployment/${canaried}`, { stage: 'rest' }));
      expect(refused.code, action).to.equal(403);
    }
    const direct = await refusal(
      alice.patch(PropagatedObjects, `${canaried}-deployment`, ns, { metadata: { annotations: { 'canopy.dev/rollout-approved-stage': 'rest' } } }, 'merge'),
    );
    expect(direct.code).to.equal(403);

    // Her own object, placed on the eu clusters only, with a rollout whose first stage selects us-1.
    const name = uniqueName('narrow');
    await onceAllowed('alice creates a PropagatedObject', () =>
      apply(alice, {
        apiVersion: 'canopy.dev/v1alpha1',
        kind: 'PropagatedObject',
        metadata: { name, namespace: other.namespace },
        spec: {
          template: { ...deployment(name, 1, {}, 'nginx:1.27'), metadata: { name, labels: { app: name } } },
          rollout: { strategy: 'Staged', stages: [{ name: 'us-first', clusterSelector: { matchLabels: { 'canopy.dev/geo': 'us' } } }] },
        },
      } as KubeObject),
    );
    await apply(client('host'), {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: `${roleName}-eu` },
      spec: {
        priority: 600,
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace: other.workspace }],
        clusterSelector: { matchLabels: { 'canopy.dev/geo': 'eu' } },
      },
    } as KubeObject);
    try {
      const po = await eventually(
        'placed on the eu clusters, rollout Complete',
        async () => {
          const p = await client('host').tryGet<RolloutView>(PropagatedObjects, name, other.namespace);
          return p?.status?.rollout?.phase === 'Complete' && (p.status.placement ?? []).length === 2 ? p : undefined;
        },
        120_000,
        500,
      );
      expect((po.status?.placement ?? []).map((p) => p.cluster).sort()).to.deep.equal(['eu-1', 'eu-2']);
      expect(await client('us-1').tryGet(Deployments, name, other.namespace)).to.equal(undefined);
    } finally {
      await deleteIgnoringMissing('host', Resources.PlacementPolicy, `${roleName}-eu`);
    }
  });
});
