import { expect } from 'chai';
import type { Rollout } from '../../crds/rollout.js';
import type { PortableObject } from './portable.js';
import { additionPacing, approvedStages, type CopyHolder, decideRollout, type RolloutCluster, type RolloutInput } from './rollout.js';
import type { ClusterView } from './observe.js';
import { planSync, type Observation } from './plan.js';
import { nextHistory, readyForRevision, revisionOf, RolloutGate } from './rollout-gate.js';

const NOW = 10_000_000;
const old = (name: string, labels: Record<string, string> = {}): RolloutCluster => ({
  name,
  labels,
  hasCopy: true,
  updated: false,
  ready: true,
  reachable: true,
});
const updating = (name: string, releasedAt = NOW - 1000, labels: Record<string, string> = {}): RolloutCluster => ({
  name,
  labels,
  hasCopy: true,
  updated: true,
  ready: false,
  releasedAt,
  reachable: true,
});
const fresh = (name: string, readySince = NOW - 60_000, labels: Record<string, string> = {}): RolloutCluster => ({
  name,
  labels,
  hasCopy: true,
  updated: true,
  ready: true,
  readySince,
  reachable: true,
});

function input(rollout: Rollout, clusters: RolloutCluster[], over: Partial<RolloutInput> = {}): RolloutInput {
  return { revision: 'r2', generation: 2, rollout, clusters, paused: false, approvedStages: new Set(), now: NOW, ...over };
}
const released = (d: { release: ReadonlySet<string> }) => [...d.release].sort();

describe('rollout decision', () => {
  it('All releases every cluster at once', () => {
    const d = decideRollout(input({}, [old('a'), old('b'), old('c')]));
    expect(released(d)).to.deep.equal(['a', 'b', 'c']);
    expect(d.held.size).to.equal(0);
  });

  it('Rolling releases one cluster at a time by default, the next only once the previous is Ready', () => {
    const rolling: Rollout = { strategy: 'Rolling' };
    let d = decideRollout(input(rolling, [old('a'), old('b'), old('c')]));
    expect(released(d)).to.deep.equal(['a']);
    expect(d.phase).to.equal('Progressing');
    expect([...d.held.keys()].sort()).to.deep.equal(['b', 'c']);
    d = decideRollout(input(rolling, [updating('a'), old('b'), old('c')]));
    expect(released(d)).to.deep.equal(['a']);
    expect(d.waitingFor).to.deep.equal(['a']);
    d = decideRollout(input(rolling, [fresh('a'), old('b'), old('c')]));
    expect(released(d)).to.deep.equal(['a', 'b']);
    d = decideRollout(input(rolling, [fresh('a'), fresh('b'), fresh('c')]));
    expect(d.phase).to.equal('Complete');
  });

  it('Rolling honours maxUnavailableClusters + maxSurgeClusters and minReadySeconds', () => {
    const d = decideRollout(input({ strategy: 'Rolling', maxUnavailableClusters: 1, maxSurgeClusters: 1 }, [old('a'), old('b'), old('c')]));
    expect(released(d)).to.deep.equal(['a', 'b']);
    // Ready for 5 s of the 30 s asked: not done yet, so nothing else starts, and it looks again when the 30 s are up.
    const m = decideRollout(input({ strategy: 'Rolling', minReadySeconds: 30 }, [fresh('a', NOW - 5000), old('b')]));
    expect(released(m)).to.deep.equal(['a']);
    expect(m.requeueAfterMs).to.be.within(25_000, 25_200);
  });

  it('a cluster without a copy is not held when additions are not paced (first placement, failover)', () => {
    const d = decideRollout(input({ strategy: 'Rolling' }, [updating('a'), { ...old('b'), hasCopy: false }, old('c')]));
    expect(released(d)).to.deep.equal(['a', 'b']);
  });

  it('a copy not Ready within the progress deadline stops the rollout, naming cluster, generation and reason; the stop holds for that revision', () => {
    const d = decideRollout(input({ strategy: 'Rolling', progressDeadlineSeconds: 60 }, [updating('a', NOW - 61_000), old('b'), old('c')]));
    expect(d.phase).to.equal('Stopped');
    expect(d.stopped).to.include({ cluster: 'a', reason: 'ProgressDeadlineExceeded', revision: 'r2' });
    expect(d.message).to.contain('a').and.contain('generation 2').and.contain('b, c keep the previous revision');
    expect(released(d)).to.deep.equal(['a']);
    // Reported earlier, the stop holds even without a release time (e.g. after a restart) ...
    const again = decideRollout(input({ strategy: 'Rolling' }, [updating('a', undefined), old('b'), old('c')], { stopped: d.stopped }));
    expect(again.phase).to.equal('Stopped');
    // ... but not for a new revision.
    const next = decideRollout(input({ strategy: 'Rolling' }, [old('a'), old('b'), old('c')], { revision: 'r3', stopped: d.stopped }));
    expect(next.phase).to.equal('Progressing');
  });

  it('an unreachable cluster that still needs the revision stops the rollout until it answers', () => {
    const d = decideRollout(input({ strategy: 'Rolling' }, [fresh('a'), { ...old('b'), reachable: false }, old('c')]));
    expect(d.phase).to.equal('Stopped');
    expect(d.stopped?.reason).to.equal('ClusterUnreachable');
    expect(released(d)).to.deep.equal(['a']);
  });

  it('paused releases nothing new', () => {
    const d = decideRollout(input({ strategy: 'Rolling' }, [fresh('a'), old('b')], { paused: true }));
    expect(d.phase).to.equal('Paused');
    expect(released(d)).to.deep.equal(['a']);
  });

  it('Staged goes stage by stage, waits waitSeconds, and stops before a Manual stage until it is approved for this revision', () => {
    const rollout: Rollout = {
      strategy: 'Staged',
      stages: [
        { name: 'canary', clusterSelector: { matchLabels: { ring: 'canary' } }, waitSeconds: 10 },
        { name: 'rest', approval: 'Manual' },
      ],
    };
    const canary = { ring: 'canary' };
    let d = decideRollout(input(rollout, [old('a', canary), old('b'), old('c')]));
    expect(d.stage).to.equal('canary');
    expect(released(d)).to.deep.equal(['a']);
    d = decideRollout(input(rollout, [fresh('a', NOW - 5000, canary), old('b'), old('c')]));
    expect(d.phase).to.equal('Waiting');
    expect(d.requeueAfterMs).to.be.within(5000, 5200);
    d = decideRollout(input(rollout, [fresh('a', NOW - 60_000, canary), old('b'), old('c')]));
    expect(d.phase).to.equal('WaitingForApproval');
    expect(d.stage).to.equal('rest');
    expect(released(d)).to.deep.equal(['a']);
    d = decideRollout(input(rollout, [fresh('a', NOW - 60_000, canary), old('b'), old('c')], { approvedStages: approvedStages('rest@r2', 'r2') }));
    expect(d.phase).to.equal('Progressing');
    expect(released(d)).to.deep.equal(['a', 'b', 'c']);
  });

  it('Staged puts clusters no stage selects into a last stage, and never releases a cluster placement did not choose', () => {
    const rollout: Rollout = { strategy: 'Staged', stages: [{ name: 'canary', clusterSelector: { matchLabels: { ring: 'canary' } } }] };
    const d = decideRollout(input(rollout, [fresh('a', NOW - 60_000, { ring: 'canary' }), old('b')]));
    expect(d.stage).to.equal('remaining');
    expect(released(d)).to.deep.equal(['a', 'b']);
    // A stage selecting a cluster outside the placement changes nothing: only the clusters given are ever released.
    const e = decideRollout(input({ strategy: 'Staged', stages: [{ name: 'x', clusterSelector: { matchLabels: { region: 'elsewhere' } } }] }, [old('b')]));
    expect(released(e)).to.deep.equal(['b']);
  });

  it('Rolling adds the new clusters of a paced placement change one at a time, each done before the next', () => {
    const rolling: Rollout = { strategy: 'Rolling', minReadySeconds: 10 };
    const neu = (name: string): RolloutCluster => ({ name, labels: {}, hasCopy: false, updated: false, ready: false, reachable: true });
    const paced = { revision: 'r1', paceAdditions: true };
    let d = decideRollout(input(rolling, [fresh('a'), neu('b'), neu('c')], paced));
    expect(released(d)).to.deep.equal(['a', 'b']);
    expect(d.held.has('c')).to.equal(true);
    expect(d.phase).to.equal('Progressing');
    // b has its copy, not Ready yet: c still waits.
    d = decideRollout(input(rolling, [fresh('a'), { ...updating('b'), added: true }, neu('c')], paced));
    expect(released(d)).to.deep.equal(['a', 'b']);
    // Ready for 5 s of the 10 s asked: still waits, and looks again when they are up.
    d = decideRollout(input(rolling, [fresh('a'), { ...fresh('b', NOW - 5000), added: true }, neu('c')], paced));
    expect(released(d)).to.deep.equal(['a', 'b']);
    expect(d.requeueAfterMs).to.be.within(5000, 5200);
    d = decideRollout(input(rolling, [fresh('a'), { ...fresh('b'), added: true }, neu('c')], paced));
    expect(released(d)).to.deep.equal(['a', 'b', 'c']);
  });

  it('Rolling counts new clusters against maxSurgeClusters within the overall budget', () => {
    const neu = (name: string): RolloutCluster => ({ name, labels: {}, hasCopy: false, updated: false, ready: false, reachable: true });
    const paced = { revision: 'r1', paceAdditions: true };
    // Budget 3 in flight, surge 2: two new clusters at once, not three.
    let d = decideRollout(input({ strategy: 'Rolling', maxUnavailableClusters: 1, maxSurgeClusters: 2 }, [fresh('a'), neu('b'), neu('c'), neu('d')], paced));
    expect(released(d)).to.deep.equal(['a', 'b', 'c']);
    // A new cluster that cannot be reached is skipped, not a stop.
    d = decideRollout(input({ strategy: 'Rolling' }, [fresh('a'), { ...neu('b'), reachable: false }, neu('c')], paced));
    expect(d.phase).to.equal('Progressing');
    expect(released(d)).to.deep.equal(['a', 'c']);
  });

  it('Staged adds the new clusters of a paced placement change stage by stage, with the Manual approval', () => {
    const rollout: Rollout = {
      strategy: 'Staged',
      stages: [
        { name: 'canary', clusterSelector: { matchLabels: { ring: 'canary' } } },
        { name: 'rest', approval: 'Manual' },
      ],
    };
    const neu = (name: string, labels: Record<string, string> = {}): RolloutCluster => ({
      name,
      labels,
      hasCopy: false,
      updated: false,
      ready: false,
      reachable: true,
    });
    const canary = { ring: 'canary' };
    const paced = { revision: 'r1', paceAdditions: true };
    // The object runs on the canary; two clusters join the second stage: they wait for its approval.
    let d = decideRollout(input(rollout, [fresh('a', NOW - 60_000, canary), neu('b'), neu('c')], paced));
    expect(d.phase).to.equal('WaitingForApproval');
    expect(d.stage).to.equal('rest');
    expect(released(d)).to.deep.equal(['a']);
    d = decideRollout(input(rollout, [fresh('a', NOW - 60_000, canary), neu('b'), neu('c')], { ...paced, approvedStages: approvedStages('rest', 'r1') }));
    expect(released(d)).to.deep.equal(['a', 'b', 'c']);
    // A new canary cluster comes first: the later stage waits for it.
    d = decideRollout(
      input(rollout, [fresh('a', NOW - 60_000, canary), neu('x', canary), neu('b')], { ...paced, approvedStages: approvedStages('rest', 'r1') }),
    );
    expect(d.stage).to.equal('canary');
    expect(released(d)).to.deep.equal(['a', 'x']);
    // Not paced (a failover): everything new gets its copy at once.
    d = decideRollout(input(rollout, [neu('b'), neu('c')], { revision: 'r1', paceAdditions: false }));
    expect(released(d)).to.deep.equal(['b', 'c']);
  });

  it('additions are paced for a rebalance or failback, not for a first placement or a failover away from a cluster that cannot serve', () => {
    const h = (name: string, over: Partial<CopyHolder> = {}): CopyHolder => ({ name, placed: true, reachable: true, unhealthy: false, ready: true, ...over });
    expect(additionPacing([]).paced).to.equal(false);
    // Rebalance or failback: the cluster left is healthy and its copy Ready.
    expect(additionPacing([h('a'), h('b', { placed: false })]).paced).to.equal(true);
    // Failover away from an unreachable, a tainted, or a not-Ready cluster: never paced.
    const unreachable = additionPacing([h('a', { placed: false, reachable: false, ready: false })]);
    expect(unreachable.paced).to.equal(false);
    expect(unreachable.failoverFrom).to.deep.equal(['a']);
    expect(unreachable.reason).to.contain('failover away from a');
    expect(additionPacing([h('a', { placed: false, unhealthy: true }), h('b')]).paced).to.equal(false);
    // Application-level failover: the copy left behind is not Ready.
    expect(additionPacing([h('a', { placed: false, ready: false }), h('b')]).paced).to.equal(false);
    // A placed copy that is merely not Ready yet (still rolling) does not make it a failover.
    expect(additionPacing([h('a', { ready: false })]).paced).to.equal(true);
  });

  it('approvals name a stage for one revision, or for every revision', () => {
    expect([...approvedStages('eu@r2, us@r1,canary', 'r2')].sort()).to.deep.equal(['canary', 'eu']);
    expect([...approvedStages(undefined, 'r2')]).to.deep.equal([]);
  });
});

describe('rollout gate helpers', () => {
  const template = (image: string, extra: Record<string, unknown> = {}) =>
    ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' }, resourceVersion: '7', uid: 'u', ...extra },
      spec: { replicas: 1, template: { spec: { containers: [{ name: 'app', image }] } } },
      status: { readyReplicas: 1 },
    }) as unknown as PortableObject;

  it('a revision changes with what is placed, not with metadata the apiserver keeps or with status', () => {
    const a = revisionOf(template('nginx:1.27'), undefined);
    expect(revisionOf(template('nginx:1.27', { resourceVersion: '8' }), undefined)).to.equal(a);
    expect(revisionOf({ ...template('nginx:1.27'), status: { readyReplicas: 0 } } as PortableObject, undefined)).to.equal(a);
    expect(revisionOf(template('nginx:1.28'), undefined)).to.not.equal(a);
    expect(revisionOf(template('nginx:1.27'), [{ patches: [{ op: 'replace', path: '/spec/replicas', value: 2 }] }])).to.not.equal(a);
  });

  it('a Deployment is Ready for its revision only when every replica is updated and available and no old one is left', () => {
    const d = (status: Record<string, number>) => ({
      kind: 'Deployment',
      metadata: { generation: 3 },
      spec: { replicas: 1 },
      status: { observedGeneration: 3, ...status },
    });
    expect(readyForRevision(d({ replicas: 1, updatedReplicas: 1, availableReplicas: 1 }), false)).to.equal(true);
    // The old pod still serves, the new one is not Ready: the Deployment looks ready, the revision is not.
    expect(readyForRevision(d({ replicas: 2, updatedReplicas: 1, availableReplicas: 1 }), true)).to.equal(false);
    const stale = { ...d({ replicas: 1, updatedReplicas: 1, availableReplicas: 1 }), status: { observedGeneration: 2 } };
    expect(readyForRevision(stale, true)).to.equal(false);
    expect(readyForRevision({ kind: 'ConfigMap' }, true)).to.equal(true);
  });

  it('history keeps the newest revisions last, moves a revision that comes back to the end, and is bounded', () => {
    const e = (revision: string, size = 10) => ({ revision, template: { data: 'x'.repeat(size) } });
    let h = nextHistory([], e('a'));
    h = nextHistory(h, e('b'));
    h = nextHistory(h, e('b'));
    expect(h.map((x) => x.revision)).to.deep.equal(['a', 'b']);
    h = nextHistory(h, e('a'));
    expect(h.map((x) => x.revision)).to.deep.equal(['b', 'a']);
    for (const r of ['c', 'd', 'e', 'f', 'g']) h = nextHistory(h, e(r));
    expect(h.map((x) => x.revision)).to.deep.equal(['c', 'd', 'e', 'f', 'g']);
    h = nextHistory(h, e('big', 300 * 1024));
    expect(h.map((x) => x.revision)).to.deep.equal(['big']);
  });
});

describe('rollout gate: placement changes', () => {
  const template = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { k: 'v' } } as unknown as PortableObject;
  const ours: ClusterView = {
    observation: { kind: 'ours', synced: true, summary: { ready: true, message: 'ok' } },
    live: template as unknown as ClusterView['live'] & object,
  };
  const absent: ClusterView = { observation: { kind: 'absent' } };
  const unreachable: ClusterView = { observation: { kind: 'unreachable', reason: 'connection refused' } };

  function gate(views: Record<string, ClusterView>, placement: string[], known: string[], unhealthy: string[] = []) {
    const observations = new Map<string, Observation>(Object.entries(views).map(([c, v]) => [c, v.observation]));
    const plan = planSync({
      deleting: false,
      placement: placement.map((cluster) => ({ cluster })),
      observations,
      knownCopies: new Set(known),
      registered: new Set(Object.keys(views)),
      handoverTimeoutMs: 120_000,
      now: NOW,
    });
    const po = {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PropagatedObject',
      metadata: { name: 'cfg-configmap', namespace: 'ns', uid: 'u1', generation: 1 },
      spec: { template },
      status: { clusters: known.map((cluster) => ({ cluster })) },
    };
    return new RolloutGate(undefined).gate(
      {
        po,
        plan,
        views: new Map(Object.entries(views)),
        placement: placement.map((cluster) => ({ cluster, replicas: undefined })),
        template,
        render: () => ({ ok: true, object: template, replicas: undefined }),
        clusterLabels: () => ({}),
        clusterUnhealthy: (c) => unhealthy.includes(c),
        now: NOW,
      },
      { strategy: 'Rolling' },
    );
  }
  const actionOf = (g: ReturnType<typeof gate>, cluster: string) => g.plan.actions.find((a) => a.cluster === cluster);

  it('a rebalance away from a healthy cluster adds one new cluster at a time, and keeps the old copy until then', () => {
    const g = gate({ a: ours, b: absent, c: absent }, ['b', 'c'], ['a']);
    expect(g.pacing.paced).to.equal(true);
    expect(actionOf(g, 'b')).to.include({ action: 'apply' });
    expect(actionOf(g, 'c')).to.include({ action: 'wait', why: 'RolloutHeld' });
    expect(actionOf(g, 'a')).to.include({ action: 'wait', why: 'AwaitingReplacement' });
    expect(g.heldAdditions).to.equal(true);
  });

  it('a failover away from an unreachable or tainted cluster is not paced', () => {
    const lost = gate({ a: unreachable, b: absent, c: absent }, ['b', 'c'], ['a']);
    expect(lost.pacing.paced).to.equal(false);
    expect(lost.pacing.failoverFrom).to.deep.equal(['a']);
    expect(actionOf(lost, 'b')).to.include({ action: 'apply' });
    expect(actionOf(lost, 'c')).to.include({ action: 'apply' });
    expect(lost.heldAdditions).to.equal(false);
    const tainted = gate({ a: ours, b: absent, c: absent }, ['b', 'c'], ['a'], ['a']);
    expect(tainted.pacing.paced).to.equal(false);
    expect(actionOf(tainted, 'c')).to.include({ action: 'apply' });
  });

  it('a first placement is not paced', () => {
    const g = gate({ b: absent, c: absent }, ['b', 'c'], []);
    expect(g.pacing.paced).to.equal(false);
    expect(g.plan.actions.map((a) => a.action)).to.deep.equal(['apply', 'apply']);
  });
});
