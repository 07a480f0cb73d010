import { expect } from 'chai';
import { buildProgram } from './main.js';
import { rebalancePatch, rebalanceTarget } from './rebalance-command.js';

describe('cli: rebalance', () => {
  it('tells a policy and a ClusterPropagatedObject from an object', () => {
    expect(rebalanceTarget('placementpolicy/fleet')).to.deep.equal({ kind: 'PlacementPolicy', name: 'fleet' });
    expect(rebalanceTarget('plp/fleet')).to.deep.equal({ kind: 'PlacementPolicy', name: 'fleet' });
    expect(rebalanceTarget('placementpolicies.canopy.dev/fleet')).to.deep.equal({ kind: 'PlacementPolicy', name: 'fleet' });
    expect(rebalanceTarget('cpobj/widgets')).to.deep.equal({ kind: 'ClusterPropagatedObject', name: 'widgets' });
    expect(rebalanceTarget('deployment/web')).to.deep.equal({ kind: 'object', target: 'deployment/web' });
    expect(rebalanceTarget('web')).to.deep.equal({ kind: 'object', target: 'web' });
    expect(() => rebalanceTarget('plp/')).to.throw(/needs a name/);
  });

  it('writes the request time as the annotation placement reads', () => {
    expect(rebalancePatch(new Date('2030-01-01T00:00:00Z'))).to.deep.equal({
      metadata: { annotations: { 'canopy.dev/rebalance-requested-at': '2030-01-01T00:00:00.000Z' } },
    });
  });

  it('is a command of the plugin', () => {
    expect(buildProgram().commands.map((c) => c.name())).to.include('rebalance');
  });
});
