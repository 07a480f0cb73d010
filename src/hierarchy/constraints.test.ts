import { expect } from 'chai';
import { checkNarrows, effectiveConstraints, intersectRegistries, narrowConstraints, registryCovers, UNCONSTRAINED } from './constraints.js';
import { matchesSelector } from '../kube/label-selector.js';

describe('constraints', () => {
  describe('effectiveConstraints', () => {
    it('is unconstrained for an empty chain or a chain without constraints', () => {
      expect(effectiveConstraints([])).to.equal(UNCONSTRAINED);
      expect(effectiveConstraints([{ workspace: 'acme' }, { workspace: 'team', constraints: {} }])).to.equal(UNCONSTRAINED);
    });

    it('intersects every field down the chain and remembers who set each limit', () => {
      const effective = effectiveConstraints([
        {
          workspace: 'acme',
          constraints: {
            regions: ['eu-1', 'eu-2', 'us-1'],
            clusterSelector: { matchLabels: { tier: 'prod' } },
            maxLogicalClusters: 10,
            quota: { hard: { cpu: '100', 'requests.memory': '64Gi', pods: '50' } },
            podSecurity: 'baseline',
            costBudget: '1000',
            allowedRegistries: ['ghcr.io', 'docker.io/library'],
          },
        },
        {
          workspace: 'team-a',
          constraints: {
            regions: ['eu-1', 'eu-2', 'ap-1'],
            clusterSelector: { matchExpressions: [{ key: 'compliance/pci', operator: 'Exists' }] },
            maxLogicalClusters: 20,
            quota: { hard: { 'requests.cpu': '20', memory: '128Gi' } },
            podSecurity: 'privileged',
            costBudget: 250.5,
            allowedRegistries: ['ghcr.io/acme', 'quay.io'],
          },
        },
        { workspace: 'app', constraints: { regions: ['eu-2', 'eu-1'], podSecurity: 'restricted' } },
      ]);
      expect(effective.constraints).to.deep.equal({
        regions: ['eu-1', 'eu-2'],
        clusterSelector: {
          matchLabels: { tier: 'prod' },
          matchExpressions: [{ key: 'compliance/pci', operator: 'Exists' }],
        },
        maxLogicalClusters: 10,
        quota: { hard: { 'requests.cpu': '20', 'requests.memory': '64Gi', pods: '50' } },
        podSecurity: 'restricted',
        costBudget: 250.5,
        allowedRegistries: ['ghcr.io/acme'],
      });
      expect(effective.origins).to.deep.equal({
        regions: 'team-a',
        clusterSelector: { tier: ['acme'], 'compliance/pci': ['team-a'] },
        maxLogicalClusters: 'acme',
        quota: { 'requests.cpu': 'team-a', 'requests.memory': 'acme', pods: 'acme' },
        podSecurity: 'app',
        costBudget: 'team-a',
        allowedRegistries: 'team-a',
      });
      expect(effective.unsatisfiable).to.deep.equal([]);
      expect(effective.invalid).to.deep.equal([]);
    });

    it('flags disjoint regions and registries as unsatisfiable', () => {
      const effective = effectiveConstraints([
        { workspace: 'acme', constraints: { regions: ['eu-1'], allowedRegistries: ['ghcr.io'] } },
        { workspace: 'team', constraints: { regions: ['us-1'], allowedRegistries: ['quay.io'] } },
      ]);
      expect(effective.constraints.regions).to.deep.equal([]);
      expect(effective.constraints.allowedRegistries).to.deep.equal([]);
      expect(effective.unsatisfiable).to.deep.equal([
        'regions: no region is allowed by both acme (eu-1) and team (us-1)',
        'allowedRegistries: no registry is allowed by both acme (ghcr.io) and team (quay.io)',
      ]);
    });

    it('ANDs cluster selectors and flags conflicting matchLabels', () => {
      const effective = effectiveConstraints([
        { workspace: 'acme', constraints: { clusterSelector: { matchLabels: { region: 'eu' } } } },
        { workspace: 'team', constraints: { clusterSelector: { matchLabels: { region: 'us', pci: 'true' } } } },
      ]);
      expect(matchesSelector(effective.constraints.clusterSelector, { region: 'eu', pci: 'true' })).to.equal(false);
      expect(matchesSelector(effective.constraints.clusterSelector, { region: 'us', pci: 'true' })).to.equal(false);
      expect(effective.unsatisfiable).to.deep.equal(['clusterSelector: no cluster can match region=eu, region=us (set by acme, team)']);
    });

    it('reports unreadable values and ignores them', () => {
      const effective = effectiveConstraints([
        {
          workspace: 'acme',
          constraints: {
            quota: { hard: { cpu: 'lots', pods: '5' } },
            podSecurity: 'paranoid',
            costBudget: '-3',
            maxLogicalClusters: 1.5,
          },
        },
      ]);
      expect(effective.constraints).to.deep.equal({ quota: { hard: { pods: '5' } } });
      expect(effective.invalid).to.have.length(4);
      expect(effective.invalid[0]).to.equal('maxLogicalClusters: 1.5 in acme is not a non-negative integer');
    });

    it('returns the parent result itself when a level adds nothing, so caches share it', () => {
      const parent = effectiveConstraints([{ workspace: 'acme', constraints: { regions: ['eu-1'] } }]);
      expect(narrowConstraints(parent, { workspace: 'team' })).to.equal(parent);
      const same = narrowConstraints(parent, { workspace: 'team', constraints: { regions: ['eu-1', 'us-1'] } });
      expect(same.constraints.regions).to.deep.equal(['eu-1']);
      expect(same.origins.regions).to.equal('acme');
    });
  });

  describe('registries', () => {
    it('matches prefixes at a path boundary only', () => {
      expect(registryCovers('ghcr.io/acme', 'ghcr.io/acme/app:1')).to.equal(true);
      expect(registryCovers('ghcr.io/acme/', 'ghcr.io/acme/app')).to.equal(true);
      expect(registryCovers('ghcr.io/acme', 'ghcr.io/acme')).to.equal(true);
      expect(registryCovers('ghcr.io/acme', 'ghcr.io/acme-evil/app')).to.equal(false);
    });

    it('intersects to the narrower entries', () => {
      expect(intersectRegistries(['docker.io', 'ghcr.io/acme'], ['docker.io/acme', 'ghcr.io'])).to.deep.equal(['ghcr.io/acme', 'docker.io/acme']);
      expect(intersectRegistries(['a.io', 'a.io/x'], ['a.io'])).to.deep.equal(['a.io']);
    });
  });

  describe('checkNarrows', () => {
    const acme = effectiveConstraints([
      {
        workspace: 'acme',
        constraints: {
          regions: ['eu-1', 'eu-2'],
          clusterSelector: { matchLabels: { tier: 'prod' } },
          maxLogicalClusters: 10,
          quota: { hard: { 'requests.cpu': '10', 'limits.memory': '8Gi' } },
          podSecurity: 'baseline',
          costBudget: '500',
          allowedRegistries: ['ghcr.io/acme'],
        },
      },
    ]);

    it('accepts a child that only narrows (or says nothing)', () => {
      expect(checkNarrows(acme, undefined)).to.deep.equal([]);
      expect(
        checkNarrows(
          acme,
          {
            regions: ['eu-1'],
            clusterSelector: { matchLabels: { tier: 'prod', pci: 'true' } },
            maxLogicalClusters: 10,
            quota: { hard: { cpu: '10', 'limits.memory': '8192Mi', pods: '100' } },
            podSecurity: 'restricted',
            costBudget: 499.99,
            allowedRegistries: ['ghcr.io/acme/team'],
          },
          { parent: 'acme' },
        ),
      ).to.deep.equal([]);
    });

    it('names the field, the value, the limit and the workspace that set it', () => {
      const violations = checkNarrows(
        acme,
        {
          regions: ['us-1', 'eu-1'],
          clusterSelector: { matchLabels: { tier: 'dev' } },
          maxLogicalClusters: 11,
          quota: { hard: { cpu: '12', 'limits.memory': '9Gi' } },
          podSecurity: 'privileged',
          costBudget: '501',
          allowedRegistries: ['ghcr.io/acme/x', 'docker.io'],
        },
        { parent: 'acme' },
      );
      expect(violations.map((v) => v.message)).to.deep.equal([
        'spec.constraints.regions: us-1 is not allowed by parent workspace acme (allowed: eu-1, eu-2)',
        'spec.constraints.clusterSelector: tier=dev contradicts tier=prod required by parent workspace acme; no cluster could match',
        'spec.constraints.maxLogicalClusters: 11 exceeds the limit 10 set by parent workspace acme',
        'spec.constraints.quota.hard.requests.cpu: 12 exceeds the limit 10 set by parent workspace acme',
        'spec.constraints.quota.hard.limits.memory: 9Gi exceeds the limit 8Gi set by parent workspace acme',
        'spec.constraints.podSecurity: privileged is less strict than baseline required by parent workspace acme',
        'spec.constraints.costBudget: 501 exceeds the budget 500 set by parent workspace acme',
        'spec.constraints.allowedRegistries: docker.io is not allowed by parent workspace acme (allowed: ghcr.io/acme)',
      ]);
      expect(violations[0]!.field).to.equal('spec.constraints.regions');
    });

    it('says "ancestor" when the limit comes from above the parent, and adapts to logical clusters', () => {
      const team = narrowConstraints(acme, { workspace: 'team-a', constraints: { regions: ['eu-1'] } });
      const [regions, pods] = checkNarrows(team, { regions: ['eu-2'], podSecurity: 'privileged' }, { parent: 'team-a' });
      expect(regions!.message).to.equal('spec.constraints.regions: eu-2 is not allowed by parent workspace team-a (allowed: eu-1)');
      expect(pods!.message).to.contain('required by ancestor workspace acme');
      const [lc] = checkNarrows(team, { regions: ['us-1'] }, { parent: 'team-a', subject: 'logical cluster' });
      expect(lc!.message).to.equal('spec.constraints.regions: us-1 is not allowed by workspace team-a (allowed: eu-1)');
    });

    it('rejects malformed values', () => {
      const messages = checkNarrows(UNCONSTRAINED, {
        maxLogicalClusters: -1,
        quota: { hard: { cpu: 'x' } },
        podSecurity: 'loose',
        costBudget: 'free',
        clusterSelector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] },
      }).map((v) => v.message);
      expect(messages).to.deep.equal([
        'spec.constraints.clusterSelector: a In needs at least one value',
        'spec.constraints.maxLogicalClusters: -1 is not a non-negative integer',
        'spec.constraints.quota.hard.cpu: "x" is not a quantity',
        'spec.constraints.podSecurity: "loose" is not one of privileged, baseline, restricted',
        'spec.constraints.costBudget: "free" is not a non-negative amount',
      ]);
    });

    it('flags a selector that contradicts a NotIn set above it', () => {
      const parent = effectiveConstraints([
        { workspace: 'acme', constraints: { clusterSelector: { matchExpressions: [{ key: 'region', operator: 'NotIn', values: ['us'] }] } } },
      ]);
      const [violation] = checkNarrows(parent, { clusterSelector: { matchLabels: { region: 'us' } } }, { parent: 'acme' });
      expect(violation!.message).to.equal(
        'spec.constraints.clusterSelector: region=us contradicts region!=us required by parent workspace acme; no cluster could match',
      );
    });

    it('flags a child selector that contradicts itself', () => {
      const [violation] = checkNarrows(UNCONSTRAINED, {
        clusterSelector: { matchLabels: { pci: 'true' }, matchExpressions: [{ key: 'pci', operator: 'DoesNotExist' }] },
      });
      expect(violation!.message).to.equal('spec.constraints.clusterSelector: pci=true, !pci can never match any cluster');
    });

    it('treats a parent with no regions left as allowing none', () => {
      const empty = effectiveConstraints([
        { workspace: 'a', constraints: { regions: ['eu-1'] } },
        { workspace: 'b', constraints: { regions: ['us-1'] } },
      ]);
      const [violation] = checkNarrows(empty, { regions: ['eu-1'] }, { parent: 'b' });
      expect(violation!.message).to.equal('spec.constraints.regions: eu-1 is not allowed by parent workspace b (allowed: none)');
    });
  });
});
