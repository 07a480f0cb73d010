import { expect } from 'chai';
import { lc, MemoryTreeView, ws } from '../../../test/support/memory-view.js';
import type { AdmissionInput, Requester } from '../../admission/request.js';
import type { ClusterLike, LogicalClusterView } from '../../admission/tree.js';
import { denialMessage, type Verdict } from '../../admission/verdict.js';
import { LogicalClusterRules, validateLogicalCluster } from './validator.js';

const admin: Requester = { username: 'admin', groups: ['system:masters'], admin: true };
const alice: Requester = { username: 'alice', groups: [], admin: false };
const bob: Requester = { username: 'bob', groups: ['platform'], admin: false };
const erin: Requester = { username: 'erin', groups: [], admin: false };

const cluster = (name: string, region: string): ClusterLike => ({
  metadata: { name, labels: { 'canopy.dev/geo': region.slice(0, 2) } },
  spec: { region, pricing: { cpuHour: 0.05, memoryGiBHour: 0.01, loadBalancerHour: 0 }, capacity: { cpu: '64', memory: '256Gi' } },
});

function view(extra: { budget?: number; logicalClusters?: LogicalClusterView[] } = {}): MemoryTreeView {
  return new MemoryTreeView({
    workspaces: [
      ws('acme', {
        owners: [{ kind: 'User', name: 'alice' }],
        constraints: {
          regions: ['eu-1', 'eu-2'],
          maxLogicalClusters: 3,
          quota: { hard: { cpu: '10', memory: '20Gi' } },
          podSecurity: 'baseline',
          ...(extra.budget !== undefined ? { costBudget: extra.budget } : {}),
        },
      }),
      ws('team-a', { parent: 'acme', owners: [{ kind: 'Group', name: 'platform' }] }),
      ws('team-b', { parent: 'acme' }),
    ],
    logicalClusters: extra.logicalClusters ?? [lc('shop', { workspace: 'team-a', constraints: { quota: { hard: { cpu: '6', memory: '8Gi' } } } })],
    namespaces: [
      { metadata: { name: 'shop', labels: { 'canopy.dev/logical-cluster': 'shop', 'canopy.dev/workspace': 'team-a' } } },
      { metadata: { name: 'team-a', labels: { 'canopy.dev/workspace': 'team-a' } } },
      { metadata: { name: 'legacy' } },
    ],
    clusters: [cluster('eu-1', 'eu-1'), cluster('us-1', 'us-1')],
  });
}

const small = { quota: { hard: { cpu: '2', memory: '4Gi' } } };

function create(object: LogicalClusterView, requester = admin): AdmissionInput<LogicalClusterView> {
  return { operation: 'CREATE', object, oldObject: undefined, requester };
}

function update(oldObject: LogicalClusterView, object: LogicalClusterView, requester = admin): AdmissionInput<LogicalClusterView> {
  return { operation: 'UPDATE', object, oldObject, requester };
}

function message(verdict: Verdict): string {
  expect(verdict.allowed, 'expected a denial').to.equal(false);
  return verdict.allowed ? '' : denialMessage(verdict.denial);
}

function rule(verdict: Verdict): string {
  return verdict.allowed ? 'allowed' : verdict.denial.rule;
}

describe('logical cluster validator', () => {
  it('admits a logical cluster that fits, created by an owner above its workspace', () => {
    expect(validateLogicalCluster(create(lc('web', { workspace: 'team-a', constraints: small }), alice), view()).allowed).to.equal(true);
    expect(validateLogicalCluster(create(lc('web', { workspace: 'team-a', constraints: small }), bob), view()).allowed).to.equal(true);
  });

  it('denies a workspace that does not exist', () => {
    expect(message(validateLogicalCluster(create(lc('web', { workspace: 'nope' })), view()))).to.equal(
      'spec.workspace: workspace "nope" does not exist; create it first or choose an existing workspace',
    );
  });

  it('explains that spec.workspace and spec.mode are fixed', () => {
    const before = lc('shop', { workspace: 'team-a', constraints: small });
    expect(message(validateLogicalCluster(update(before, lc('shop', { ...before.spec, workspace: 'team-b' })), view()))).to.equal(
      'spec.workspace: cannot change from "team-a" to "team-b" (immutable); create a new LogicalCluster in workspace "team-b" instead',
    );
    expect(message(validateLogicalCluster(update(before, lc('shop', { ...before.spec, mode: 'Cluster' })), view()))).to.contain(
      'spec.mode: cannot change from Namespace to Cluster (immutable)',
    );
  });

  it('denies requesters who do not administer the workspace', () => {
    expect(message(validateLogicalCluster(create(lc('web', { workspace: 'team-b', constraints: small }), bob), view()))).to.equal(
      'spec.workspace: user "bob" may not create logical cluster "web" in workspace "team-b": not an owner of workspace "team-b" or of any workspace above it',
    );
    const del: AdmissionInput<LogicalClusterView> = { operation: 'DELETE', object: undefined, oldObject: lc('shop', { workspace: 'team-a' }), requester: erin };
    expect(message(validateLogicalCluster(del, view()))).to.contain('user "erin" may not delete logical cluster "shop"');
    expect(validateLogicalCluster({ ...del, requester: bob }, view()).allowed).to.equal(true);
  });

  it('denies namespaces that are reserved or belong to someone else', () => {
    expect(message(validateLogicalCluster(create(lc('kube-x', { workspace: 'team-a' })), view()))).to.contain(
      'metadata.name: namespaces starting with "kube-"',
    );
    expect(message(validateLogicalCluster(create(lc('legacy', { workspace: 'team-a' })), view()))).to.equal(
      'metadata.name: namespace "legacy" already exists and belongs to something outside Canopy; choose another name',
    );
    expect(message(validateLogicalCluster(create(lc('team', { workspace: 'team-a', namespaces: ['a'] })), view()))).to.equal(
      'spec.namespaces: namespace "team-a" already exists and belongs to workspace "team-a" (its home namespace); choose another name',
    );
    expect(message(validateLogicalCluster(create(lc('team-b', { workspace: 'team-a' })), view()))).to.contain('home namespace of workspace "team-b"');
  });

  it('admits updates of a logical cluster that already owns its namespaces', () => {
    const before = lc('shop', { workspace: 'team-a', constraints: { quota: { hard: { cpu: '6', memory: '8Gi' } } } });
    const after = lc('shop', { ...before.spec, owners: [{ kind: 'User', name: 'dave' }] });
    expect(validateLogicalCluster(update(before, after), view()).allowed).to.equal(true);
  });

  it('leaves a logical cluster whose workspace disappeared to admins', () => {
    const before = lc('stray', { workspace: 'gone', constraints: small });
    const after = lc('stray', { ...before.spec, owners: [{ kind: 'User', name: 'dave' }] });
    expect(validateLogicalCluster(update(before, after), view()).allowed).to.equal(true);
    expect(rule(validateLogicalCluster(update(before, after, bob), view()))).to.equal(LogicalClusterRules.ownership);
  });

  it('denies constraints wider than the workspace allows', () => {
    const verdict = validateLogicalCluster(create(lc('web', { workspace: 'team-a', constraints: { ...small, regions: ['us-1'] } })), view());
    expect(rule(verdict)).to.equal(LogicalClusterRules.narrow);
    expect(message(verdict)).to.equal('spec.constraints.regions: us-1 is not allowed by ancestor workspace acme (allowed: eu-1, eu-2)');
  });

  it('denies a cluster selector that cannot match inside the workspace constraints', () => {
    const t = new MemoryTreeView({ workspaces: [ws('pci', { constraints: { clusterSelector: { matchLabels: { 'compliance/pci': 'true' } } } })] });
    const object = lc('vault', { workspace: 'pci', mode: 'Cluster', clusterSelector: { matchLabels: { 'compliance/pci': 'false' } } });
    expect(message(validateLogicalCluster(create(object), t))).to.match(/^spec\.clusterSelector: .*contradicts/);
  });

  it('denies a logical cluster beyond maxLogicalClusters of an ancestor', () => {
    const existing = ['a', 'b', 'c'].map((n) =>
      lc(n, { workspace: n === 'c' ? 'team-b' : 'team-a', constraints: { quota: { hard: { cpu: '1', memory: '1Gi' } } } }),
    );
    const verdict = validateLogicalCluster(create(lc('web', { workspace: 'team-a', constraints: small })), view({ logicalClusters: existing }));
    expect(message(verdict)).to.equal(
      'spec.workspace: workspace acme allows at most 3 logical cluster(s) in its subtree and already has 3 (a, b, c); delete one or raise maxLogicalClusters on acme',
    );
  });

  it('does not count logical clusters that are being deleted', () => {
    const existing = ['a', 'b', 'c'].map((n) => ({
      ...lc(n, { workspace: 'team-a', constraints: { quota: { hard: { cpu: '1', memory: '1Gi' } } } }),
      metadata: { name: n, deletionTimestamp: '2024-01-01T00:00:00Z' },
    }));
    expect(validateLogicalCluster(create(lc('web', { workspace: 'team-a', constraints: small })), view({ logicalClusters: existing })).allowed).to.equal(true);
  });

  it('denies quota beyond what the workspace has left', () => {
    const verdict = validateLogicalCluster(create(lc('web', { workspace: 'team-b', constraints: { quota: { hard: { cpu: '5', memory: '1Gi' } } } })), view());
    expect(rule(verdict)).to.equal(LogicalClusterRules.limits);
    expect(message(verdict)).to.equal(
      'spec.constraints.quota.hard: workspace acme limits requests.cpu to 10 over its subtree; 6 is already claimed by shop and this logical cluster asks for 5 (at most 4 is left)',
    );
  });

  it('denies growing an existing logical cluster past the limit, but not unrelated edits', () => {
    const before = lc('shop', { workspace: 'team-a', constraints: { quota: { hard: { cpu: '6', memory: '8Gi' } } } });
    const others = [before, lc('api', { workspace: 'team-a', constraints: { quota: { hard: { cpu: '4', memory: '4Gi' } } } })];
    const grown = lc('shop', { workspace: 'team-a', constraints: { quota: { hard: { cpu: '7', memory: '8Gi' } } } });
    expect(rule(validateLogicalCluster(update(before, grown), view({ logicalClusters: others })))).to.equal(LogicalClusterRules.limits);
    const renamed = lc('shop', { ...before.spec, namespaces: ['main'] });
    expect(validateLogicalCluster(update(before, renamed), view({ logicalClusters: others })).allowed).to.equal(true);
  });

  it("reuses the claims of existing logical clusters until the view's version changes", () => {
    const shop = lc('shop', { workspace: 'team-a', constraints: { quota: { hard: { cpu: '6', memory: '8Gi' } } } });
    class Versioned extends MemoryTreeView {
      constructor(
        readonly v: number,
        price: number,
      ) {
        super({
          workspaces: [ws('acme', { owners: [], constraints: { costBudget: 300 } }), ws('team-a', { parent: 'acme' })],
          logicalClusters: [shop],
          clusters: [{ metadata: { name: 'eu-1' }, spec: { region: 'eu-1', pricing: { cpuHour: price, memoryGiBHour: price / 5, loadBalancerHour: 0 } } }],
        });
      }
      version(): number {
        return this.v;
      }
    }
    const candidate = create(lc('web', { workspace: 'team-a', constraints: small }));
    expect(validateLogicalCluster(candidate, new Versioned(1, 0.05)).allowed).to.equal(false); // shop 277.40 + web 102.20 > 300
    // Prices halve: with the same version the cached claim of shop (277.40) still counts, once the version moves it is recomputed.
    expect(validateLogicalCluster(candidate, new Versioned(1, 0.025)).allowed).to.equal(false);
    expect(validateLogicalCluster(candidate, new Versioned(2, 0.025)).allowed).to.equal(true);
  });

  it('denies a logical cluster whose cost does not fit in the budget', () => {
    // 2 cpu × 0.05 + 4 GiB × 0.01 = 0.14 per hour, 102.20 per month; shop takes 6 × 0.05 + 8 × 0.01 = 0.38 → 277.40.
    const verdict = validateLogicalCluster(create(lc('web', { workspace: 'team-a', constraints: small })), view({ budget: 300 }));
    expect(message(verdict)).to.equal(
      'spec.constraints.quota.hard: workspace acme has a monthly cost budget of 300.00; shop already cost 277.40 and this logical cluster costs 102.20 (at most 22.60 is left)',
    );
    expect(validateLogicalCluster(create(lc('web', { workspace: 'team-a', constraints: small })), view({ budget: 400 })).allowed).to.equal(true);
  });
});
