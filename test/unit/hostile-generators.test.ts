import { expect } from 'chai';
import { compileRule, MAX_RULE_COST } from '../../src/reconcilers/placement/cel.js';
import {
  HOSTILE_KINDS,
  dnsLabel,
  heavyRule,
  hostilePlan,
  LONG_SIZES,
  RULE_AT_COST_LIMIT,
  seedFromEnv,
  SHORT_SIZES,
  sizesFromEnv,
  type HostileWorld,
} from '../e2e/chaos/hostile-generators.js';

const world: HostileWorld = { workspace: 'hostile', secretNamespace: 'canopy-system', member: 'eu-1', plantedToken: 'planted' };

describe('hostile input generator', () => {
  it('is a pure function of the seed: the same seed gives the same objects, another seed other ones', () => {
    const a = JSON.stringify(hostilePlan(7, SHORT_SIZES, world));
    expect(JSON.stringify(hostilePlan(7, SHORT_SIZES, world))).to.equal(a);
    expect(JSON.stringify(hostilePlan(8, SHORT_SIZES, world))).to.not.equal(a);
  });

  it('covers every kind, builds the chain and the flood at the requested sizes, and never repeats a name', () => {
    const plan = hostilePlan(1, SHORT_SIZES, world);
    expect(new Set(plan.cases.map((c) => c.kind))).to.deep.equal(new Set(HOSTILE_KINDS));
    expect(plan.cases.filter((c) => c.id.startsWith('deep-'))).to.have.length(SHORT_SIZES.treeDepth);
    expect(plan.cases.filter((c) => c.id.startsWith('flood-'))).to.have.length(SHORT_SIZES.floodPropagatedObjects);
    const names = plan.cases.flatMap((c) => c.objects.map(({ object }) => `${object.kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name}`));
    expect(new Set(names).size, 'names are unique').to.equal(names.length);
    // Each link names the one before it.
    const chain = plan.cases
      .filter((c) => c.id.startsWith('deep-'))
      .map((c) => c.objects[0]!.object as { metadata: { name: string }; spec: { parent: string } });
    for (const [i, link] of chain.entries()) expect(link.spec.parent).to.equal(i === 0 ? world.workspace : chain[i - 1]!.metadata.name);
  });

  it('judges a PlacementPolicy on the PropagatedObject pinned to it', () => {
    const plan = hostilePlan(3, SHORT_SIZES, world);
    for (const c of plan.cases.filter((c) => c.kind === 'PlacementPolicy')) {
      const [policy, witness] = c.objects;
      expect(policy!.verdictOn).to.deep.equal({ kind: 'PropagatedObject', name: witness!.object.metadata!.name, namespace: world.workspace });
      expect((witness!.object as { spec: { placementRef: { name: string } } }).spec.placementRef.name).to.equal(policy!.object.metadata!.name);
    }
  });

  it('makes names of exactly the asked length, and rules that stay within the 4096-character schema limit', () => {
    for (const n of [12, 20, 63, 64])
      expect(dnsLabel('h12-wor0', n))
        .to.have.length(n)
        .and.match(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(heavyRule(RULE_AT_COST_LIMIT + 1).length).to.be.at.most(4096);
  });

  it("puts its heaviest admitted CEL rule right at the operator's cost limit", () => {
    const at = compileRule(heavyRule(RULE_AT_COST_LIMIT));
    expect('cost' in at && at.cost).to.be.within(MAX_RULE_COST * 0.9, MAX_RULE_COST);
    expect(compileRule(heavyRule(RULE_AT_COST_LIMIT + 1))).to.have.property('message');
  });

  it('reads its form and seed from the environment', () => {
    expect(sizesFromEnv({})).to.deep.equal({ form: 'short', sizes: SHORT_SIZES });
    expect(sizesFromEnv({ CANOPY_CHAOS: 'long' })).to.deep.equal({ form: 'long', sizes: LONG_SIZES });
    expect(sizesFromEnv({ CANOPY_CHAOS_SIZES: '10:1000:5' })).to.deep.equal({
      form: 'short',
      sizes: { treeDepth: 10, floodPropagatedObjects: 1000, randomCases: 5 },
    });
    expect(() => sizesFromEnv({ CANOPY_CHAOS_SIZES: '10:x' })).to.throw(/is not <treeDepth>/);
    expect(seedFromEnv({ CANOPY_CHAOS_SEED: '42' })).to.equal(42);
    expect(() => seedFromEnv({ CANOPY_CHAOS_SEED: 'x' })).to.throw(/not an integer/);
  });
});
