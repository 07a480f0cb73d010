import { expect } from 'chai';
import { clusterModeCost, HOURS_PER_MONTH, namespaceModeCost } from './cost.js';
import type { ClusterLike } from './types.js';

const cheap: ClusterLike = { metadata: { name: 'cheap' }, spec: { pricing: { cpuHour: 0.02, memoryGiBHour: 0.002 }, capacity: { cpu: '10', memory: '20Gi' } } };
const dear: ClusterLike = { metadata: { name: 'dear' }, spec: { pricing: { cpuHour: 0.04, memoryGiBHour: 0.005, loadBalancerHour: 0.025 } } };

describe('logicalcluster cost', () => {
  it('prices Namespace mode quota at the most expensive eligible cluster', () => {
    const cost = namespaceModeCost({ cpu: '2', memory: '4Gi', 'services.loadbalancers': '1' }, [cheap, dear]);
    expect(cost).to.have.property('amount');
    expect((cost as { amount: number }).amount).to.be.closeTo(HOURS_PER_MONTH * (2 * 0.04 + 4 * 0.005 + 0.025), 1e-9);
  });

  it('is unbounded without quota on a priced resource', () => {
    const cost = namespaceModeCost({ cpu: '2' }, [cheap]);
    expect(cost).to.deep.equal({ unbounded: 'it has no quota on memory, so its cost has no upper bound; set spec.constraints.quota.hard' });
    expect(namespaceModeCost(undefined, [])).to.deep.equal({ amount: 0 });
  });

  it('prices Cluster mode as the whole cluster', () => {
    expect((clusterModeCost(cheap) as { amount: number }).amount).to.be.closeTo(HOURS_PER_MONTH * (10 * 0.02 + 20 * 0.002), 1e-9);
    expect(clusterModeCost(dear)).to.have.property('unbounded').that.includes('cluster dear declares no spec.capacity');
  });
});
