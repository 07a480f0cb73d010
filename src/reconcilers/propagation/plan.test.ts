import { expect } from 'chai';
import { planSync, type ClusterAction, type Observation, type PlanInput } from './plan.js';

const ours = (specReplicas: number | undefined, readyReplicas: number, synced = true): Observation => ({
  kind: 'ours',
  specReplicas,
  synced,
  summary: { ready: specReplicas === undefined ? true : readyReplicas >= specReplicas, readyReplicas, message: '' },
});
const unreachable: Observation = { kind: 'unreachable', reason: 'Ready=False' };
const absent: Observation = { kind: 'absent' };

function input(over: Partial<PlanInput>): PlanInput {
  return {
    deleting: false,
    placement: [],
    observations: new Map(),
    knownCopies: new Set(),
    registered: new Set(['eu-1', 'eu-2', 'us-1']),
    handoverTimeoutMs: 120_000,
    now: 1_000_000,
    ...over,
  };
}

function byCluster(actions: readonly ClusterAction[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of actions) {
    out[a.cluster] =
      a.action === 'apply'
        ? `apply ${a.replicas ?? '-'}${a.held ? ' held' : ''}`
        : a.action === 'wait'
          ? `wait ${a.why}${a.removal ? ' removal' : ''}`
          : a.action;
  }
  return out;
}

describe('propagation/plan', () => {
  it("applies each cluster's share on a fresh placement", () => {
    const p = planSync(
      input({
        placement: [
          { cluster: 'eu-1', replicas: 6 },
          { cluster: 'us-1', replicas: 2 },
        ],
        observations: new Map([
          ['eu-1', absent],
          ['us-1', absent],
        ]),
      }),
    );
    expect(byCluster(p.actions)).to.deep.equal({ 'eu-1': 'apply 6', 'us-1': 'apply 2' });
    expect(p.holding).to.equal(false);
  });

  it('on failover moves replicas at once and keeps the unreachable copy pending removal', () => {
    const p = planSync(
      input({
        placement: [{ cluster: 'eu-1', replicas: 8 }],
        observations: new Map([
          ['eu-1', ours(6, 6)],
          ['us-1', unreachable],
        ]),
        knownCopies: new Set(['eu-1', 'us-1']),
      }),
    );
    expect(byCluster(p.actions)).to.deep.equal({ 'eu-1': 'apply 8', 'us-1': 'wait Unreachable removal' });
    expect(p.holding).to.equal(true);
    expect(p.waitingFor).to.deep.equal(['eu-1']);
  });

  it('keeps replicas on the cluster giving them up until the receiver reports its share ready', () => {
    const placement = [
      { cluster: 'eu-1', replicas: 6 },
      { cluster: 'us-1', replicas: 2 },
    ];
    const notReady = planSync(
      input({
        placement,
        observations: new Map([
          ['eu-1', ours(8, 8)],
          ['us-1', ours(2, 0)],
        ]),
        knownCopies: new Set(['eu-1', 'us-1']),
      }),
    );
    expect(byCluster(notReady.actions)).to.deep.equal({ 'eu-1': 'apply 8 held', 'us-1': 'apply 2' });
    expect(notReady.requeueAfterMs).to.equal(120_000);
    const ready = planSync(
      input({
        placement,
        observations: new Map([
          ['eu-1', ours(8, 8)],
          ['us-1', ours(2, 2)],
        ]),
        knownCopies: new Set(['eu-1', 'us-1']),
      }),
    );
    expect(byCluster(ready.actions)).to.deep.equal({ 'eu-1': 'apply 6', 'us-1': 'apply 2' });
    expect(ready.holding).to.equal(false);
  });

  it('after the handover timeout goes ahead if every receiver holds an applied copy, even not ready', () => {
    const placement = [
      { cluster: 'eu-1', replicas: 6 },
      { cluster: 'us-1', replicas: 2 },
    ];
    const base = {
      placement,
      observations: new Map([
        ['eu-1', ours(8, 8)],
        ['us-1', ours(2, 0)],
      ]),
      knownCopies: new Set(['eu-1', 'us-1']),
    };
    const early = planSync(input({ ...base, handoverSince: 1_000_000 - 60_000 }));
    expect(early.holding).to.equal(true);
    expect(early.requeueAfterMs).to.equal(60_000);
    const late = planSync(input({ ...base, handoverSince: 1_000_000 - 120_000 }));
    expect(byCluster(late.actions)).to.deep.equal({ 'eu-1': 'apply 6', 'us-1': 'apply 2' });
  });

  it('never removes old copies after the timeout while a receiver has no copy at all', () => {
    const p = planSync(
      input({
        placement: [{ cluster: 'eu-2', replicas: 4 }],
        observations: new Map([
          ['eu-1', ours(4, 4)],
          ['eu-2', unreachable],
        ]),
        knownCopies: new Set(['eu-1']),
        handoverSince: 0,
      }),
    );
    expect(byCluster(p.actions)).to.deep.equal({ 'eu-1': 'wait AwaitingReplacement removal', 'eu-2': 'wait Unreachable' });
    expect(p.requeueAfterMs).to.equal(undefined);
  });

  it('deletes nothing anywhere while the placement is empty', () => {
    const p = planSync(
      input({
        placement: [],
        observations: new Map([
          ['eu-1', ours(6, 6)],
          ['us-1', unreachable],
        ]),
        knownCopies: new Set(['eu-1', 'us-1']),
      }),
    );
    expect(byCluster(p.actions)).to.deep.equal({ 'eu-1': 'wait NoEligibleCluster removal', 'us-1': 'wait NoEligibleCluster removal' });
    expect(p.actions.some((a) => a.action === 'delete')).to.equal(false);
  });

  it('scales down in place without waiting (no cluster takes anything over)', () => {
    const p = planSync(
      input({
        placement: [
          { cluster: 'eu-1', replicas: 3 },
          { cluster: 'us-1', replicas: 1 },
        ],
        observations: new Map([
          ['eu-1', ours(6, 0)],
          ['us-1', ours(2, 0)],
        ]),
      }),
    );
    expect(byCluster(p.actions)).to.deep.equal({ 'eu-1': 'apply 3', 'us-1': 'apply 1' });
  });

  it('removes the copy from a cluster that left the placement once the others are ready', () => {
    const p = planSync(
      input({
        placement: [{ cluster: 'eu-1', replicas: 6 }],
        observations: new Map([
          ['eu-1', ours(6, 6)],
          ['us-1', ours(2, 2)],
        ]),
      }),
    );
    expect(byCluster(p.actions)).to.deep.equal({ 'eu-1': 'apply 6', 'us-1': 'delete' });
  });

  it('moves an object without replicas only after the new copy is in place', () => {
    const placement = [{ cluster: 'eu-2' }];
    const before = planSync(
      input({
        placement,
        observations: new Map([
          ['eu-1', ours(undefined, 0)],
          ['eu-2', absent],
        ]),
      }),
    );
    expect(byCluster(before.actions)).to.deep.equal({ 'eu-1': 'wait AwaitingReplacement removal', 'eu-2': 'apply -' });
    const after = planSync(
      input({
        placement,
        observations: new Map([
          ['eu-1', ours(undefined, 0)],
          ['eu-2', ours(undefined, 0)],
        ]),
      }),
    );
    expect(byCluster(after.actions)).to.deep.equal({ 'eu-1': 'delete', 'eu-2': 'apply -' });
  });

  it('keeps a copy on a cluster that just came back for a moment instead of removing it at once', () => {
    const input0 = {
      placement: [{ cluster: 'eu-1', replicas: 4 }],
      observations: new Map([
        ['eu-1', ours(4, 4)],
        ['us-1', ours(1, 1)],
      ]),
    };
    expect(byCluster(planSync(input({ ...input0, settling: new Set(['us-1']) })).actions)).to.deep.equal({
      'eu-1': 'apply 4',
      'us-1': 'wait Settling removal',
    });
    expect(byCluster(planSync(input(input0)).actions)).to.deep.equal({ 'eu-1': 'apply 4', 'us-1': 'delete' });
  });

  it('leaves an object Canopy did not create untouched', () => {
    const p = planSync(input({ placement: [{ cluster: 'eu-1', replicas: 1 }], observations: new Map([['eu-1', { kind: 'foreign' }]]) }));
    expect(byCluster(p.actions)).to.deep.equal({ 'eu-1': 'wait Conflict' });
  });

  it('on delete removes every copy, keeps unreachable ones pending and forgets unregistered clusters', () => {
    const p = planSync(
      input({
        deleting: true,
        placement: [{ cluster: 'eu-1', replicas: 6 }],
        observations: new Map([
          ['eu-1', ours(6, 6)],
          ['us-1', unreachable],
          ['gone', unreachable],
        ]),
        knownCopies: new Set(['eu-1', 'us-1', 'gone', 'eu-2']),
      }),
    );
    expect(byCluster(p.actions)).to.deep.equal({ 'eu-1': 'delete', 'us-1': 'wait Unreachable removal', gone: 'forget', 'eu-2': 'delete' });
  });

  it('forgets clusters without a copy that are no longer chosen', () => {
    const p = planSync(
      input({
        placement: [{ cluster: 'eu-1', replicas: 1 }],
        observations: new Map([
          ['eu-1', ours(1, 1)],
          ['us-1', absent],
        ]),
        knownCopies: new Set(['us-1']),
      }),
    );
    expect(byCluster(p.actions)).to.deep.equal({ 'eu-1': 'apply 1', 'us-1': 'forget' });
  });
});
