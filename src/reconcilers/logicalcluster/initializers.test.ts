import { expect } from 'chai';
import { formatWaited, initializersFixed, nextWaitedChangeMs, waitingMessage, workspaceInitializers } from './initializers.js';
import type { WorkspaceLike } from './context.js';
import { nextStatus, statusChanged } from './status.js';
import { validateLogicalClusterStatus, type LogicalClusterStatusView } from './validator.js';
import type { AdmissionInput } from '../../admission/request.js';
import { validatingWebhookConfiguration } from '../../webhooks/configuration.js';

const workspaces: Record<string, WorkspaceLike> = {
  acme: { metadata: { name: 'acme' }, spec: { initializers: ['acme.example.com/audit'] } },
  payments: { metadata: { name: 'payments' }, spec: { parent: 'acme', initializers: ['cost-center', 'acme.example.com/audit'] } },
  team: { metadata: { name: 'team' }, spec: { parent: 'payments' } },
  loop: { metadata: { name: 'loop' }, spec: { parent: 'loop2' } },
  loop2: { metadata: { name: 'loop2' }, spec: { parent: 'loop' } },
};
const lookup = { workspace: (n: string) => workspaces[n] };

describe('LogicalCluster initializers', () => {
  it('takes the union of the workspace and every ancestor, root first', () => {
    expect(workspaceInitializers(lookup, 'team')?.names).to.deep.equal(['acme.example.com/audit', 'cost-center']);
    expect(workspaceInitializers(lookup, 'acme')?.names).to.deep.equal(['acme.example.com/audit']);
  });

  it('has no answer while the chain is broken (missing workspace or cycle)', () => {
    expect(workspaceInitializers(lookup, 'nope')).to.equal(undefined);
    expect(workspaceInitializers(lookup, 'loop')).to.equal(undefined);
  });

  it('fixes the list once: written (even emptied), Initialized seen, or a kubeconfig already issued', () => {
    const meta = { name: 'lc' };
    const spec = { workspace: 'team' };
    expect(initializersFixed({ metadata: meta, spec })).to.equal(false);
    expect(initializersFixed({ metadata: meta, spec, status: { phase: 'Pending' } })).to.equal(false);
    expect(initializersFixed({ metadata: meta, spec, status: { initializers: [] } })).to.equal(true);
    expect(initializersFixed({ metadata: meta, spec, status: { conditions: [{ type: 'Initialized', status: 'True' }] } })).to.equal(true);
    expect(initializersFixed({ metadata: meta, spec, status: { kubeconfigSecretRef: { name: 'k', namespace: 'lc' } } })).to.equal(true);
  });

  it('names every pending initializer and how long it has waited, coarsely', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    expect(waitingMessage(['cost-center'], t0, t0 + 20_000)).to.match(/^waiting on initializer cost-center for less than a minute;/);
    expect(waitingMessage(['a', 'b'], t0, t0 + 3 * 60_000 + 5_000)).to.match(/^waiting on initializers a, b for 3m;/);
    expect(formatWaited(2 * 3600_000 + 5 * 60_000)).to.equal('2h 5m');
    expect(formatWaited(3 * 86_400_000 + 3600_000)).to.equal('3d 1h');
    // The message is next due when its text changes, not before.
    expect(nextWaitedChangeMs(20_000)).to.equal(40_000);
    expect(nextWaitedChangeMs(2 * 86_400_000 + 10 * 60_000)).to.equal(50 * 60_000);
  });

  it('writes status.initializers only when told to, and a write without them leaves them as they are', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const prev = { phase: 'Initializing', initializers: ['cost-center'], conditions: [] };
    const next = nextStatus(prev, { phase: 'Initializing', reason: 'WaitingForInitializers', message: 'm' }, 1, now);
    expect(next).to.not.have.property('initializers');
    const again = nextStatus({ ...next, initializers: ['cost-center'] }, { phase: 'Initializing', reason: 'WaitingForInitializers', message: 'm' }, 1, now);
    expect(statusChanged({ ...next, initializers: ['cost-center'] }, again)).to.equal(false);
    const fixed = nextStatus(undefined, { phase: 'Ready', reason: 'Ready', message: 'm', initializers: [] }, 1, now);
    expect(fixed.initializers).to.deep.equal([]);
  });
});

describe('validateLogicalClusterStatus (writes to logicalclusters/status by others than the operator)', () => {
  const OPERATOR = 'system:serviceaccount:canopy-system:canopy-operator';
  const lc = (status: LogicalClusterStatusView['status']): LogicalClusterStatusView => ({ metadata: { name: 'shop' }, ...(status ? { status } : {}) });
  const update = (
    before: LogicalClusterStatusView['status'],
    after: LogicalClusterStatusView['status'],
    username = 'system:serviceaccount:tools:cost-center',
  ): AdmissionInput<LogicalClusterStatusView> => ({
    operation: 'UPDATE',
    oldObject: lc(before),
    object: lc(after),
    requester: { username, groups: [], admin: false },
  });
  const waiting = { phase: 'Initializing', initializers: ['cost-center', 'ci'], conditions: [{ type: 'Ready', status: 'False' }] };

  it('lets an initializer remove names, one or all, or drop the emptied list', () => {
    expect(validateLogicalClusterStatus(update(waiting, { ...waiting, initializers: ['ci'] }), OPERATOR).allowed).to.equal(true);
    expect(validateLogicalClusterStatus(update(waiting, { ...waiting, initializers: [] }), OPERATOR).allowed).to.equal(true);
    const { initializers: _, ...without } = waiting;
    expect(validateLogicalClusterStatus(update(waiting, without), OPERATOR).allowed).to.equal(true);
  });

  it('refuses adding a name, setting the list first, or touching anything else', () => {
    const added = validateLogicalClusterStatus(update(waiting, { ...waiting, initializers: ['cost-center', 'ci', 'mine'] }), OPERATOR);
    expect(added.allowed).to.equal(false);
    if (!added.allowed) expect(added.denial.reason).to.match(/may not add mine to status.initializers/);
    const first = validateLogicalClusterStatus(update({ phase: 'Pending' }, { phase: 'Pending', initializers: [] }), OPERATOR);
    expect(first.allowed).to.equal(false);
    if (!first.allowed) expect(first.denial.field).to.equal('status.initializers');
    const ready = validateLogicalClusterStatus(update(waiting, { ...waiting, initializers: [], phase: 'Ready' }), OPERATOR);
    expect(ready.allowed).to.equal(false);
    if (!ready.allowed) expect(ready.denial.reason).to.match(/status.phase is written by Canopy alone/);
    const ref = validateLogicalClusterStatus(update(waiting, { ...waiting, kubeconfigSecretRef: { name: 'x', namespace: 'y' } }), OPERATOR);
    expect(ref.allowed).to.equal(false);
  });

  it('does not judge the operator, nor key order', () => {
    expect(validateLogicalClusterStatus(update(waiting, { phase: 'Ready', initializers: ['x'] }, OPERATOR), OPERATOR).allowed).to.equal(true);
    const reordered = { conditions: waiting.conditions, initializers: ['ci'], phase: 'Initializing' };
    expect(validateLogicalClusterStatus(update(waiting, reordered), OPERATOR).allowed).to.equal(true);
  });
});

describe('the logicalcluster-status webhook', () => {
  it('is asked about status updates by anyone but the operator', () => {
    const config = validatingWebhookConfiguration({
      endpoint: { url: 'https://127.0.0.1:9443' },
      operatorUsername: 'system:serviceaccount:canopy-system:canopy-operator',
    });
    const webhook = config.webhooks.find((w) => w['name'] === 'logicalcluster-status.validate.canopy.dev')!;
    expect(webhook['rules']).to.deep.equal([
      { apiGroups: ['canopy.dev'], apiVersions: ['v1alpha1'], resources: ['logicalclusters/status'], operations: ['UPDATE'], scope: 'Cluster' },
    ]);
    expect(webhook['matchConditions']).to.deep.equal([
      { name: 'not-canopy-itself', expression: 'request.userInfo.username != "system:serviceaccount:canopy-system:canopy-operator"' },
    ]);
    expect(webhook['failurePolicy']).to.equal('Fail');
  });
});
