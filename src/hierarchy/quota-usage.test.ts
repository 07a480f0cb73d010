import { expect } from 'chai';
import { Forest } from './forest.js';
import { formatQuantity } from '../kube/quantity.js';
import { namespaceUsage, quotaResources, subtreeAllotment, subtreeUsage, type QuotaObject } from './quota-usage.js';

const quota = (namespace: string, used: Record<string, string>): QuotaObject => ({ metadata: { name: 'q', namespace }, status: { used } });
const show = (m: ReadonlyMap<string, { nanos: bigint; format: 'DecimalSI' | 'BinarySI' | 'DecimalExponent' }>) =>
  Object.fromEntries([...m].map(([k, v]) => [k, formatQuantity(v)]));

describe('hierarchical quota usage', () => {
  const forest = new Forest();
  forest.setWorkspace('org', '', { constraints: { quota: { hard: { cpu: '4', 'requests.memory': '8Gi' } } } });
  forest.setWorkspace('team', 'org');
  forest.attachNamespace('shop', 'team', 'shop');
  const quotas: Record<string, QuotaObject[]> = {
    org: [quota('org', { 'requests.cpu': '100m' })],
    team: [quota('team', { 'requests.cpu': '250m', 'requests.memory': '64Mi' })],
    // Two quotas in one namespace count the same pods: the larger reading, not the sum.
    shop: [quota('shop', { 'requests.cpu': '500m' }), quota('shop', { cpu: '500m', pods: '3' })],
  };

  it('reads a namespace as the largest of its quotas', () => {
    expect(show(namespaceUsage(quotas.shop!))).to.deep.equal({ 'requests.cpu': '500m', pods: '3' });
  });

  it('sums home and logical-cluster namespaces over the subtree, for the resources the quota names', () => {
    const resources = quotaResources(forest, 'team');
    expect([...resources].sort()).to.deep.equal(['requests.cpu', 'requests.memory']);
    expect(show(subtreeUsage(forest, 'org', (ns) => quotas[ns] ?? [], resources))).to.deep.equal({ 'requests.cpu': '850m', 'requests.memory': '64Mi' });
    expect(show(subtreeUsage(forest, 'team', (ns) => quotas[ns] ?? [], resources))).to.deep.equal({ 'requests.cpu': '750m', 'requests.memory': '64Mi' });
  });

  it("counts each logical cluster's claim, its own quota narrowed by its workspace's", () => {
    const lcs = {
      team: [
        { metadata: { name: 'shop' }, spec: { workspace: 'team', constraints: { quota: { hard: { cpu: '1500m' } } } } },
        { metadata: { name: 'big' }, spec: { workspace: 'team' } },
      ],
    };
    const allotted = subtreeAllotment(forest, 'org', (ws) => lcs[ws as 'team'] ?? [], quotaResources(forest, 'org'));
    // "big" states no quota of its own, so it claims the whole effective quota; "shop" inherits the memory limit.
    expect(show(allotted)).to.deep.equal({ 'requests.cpu': '5500m', 'requests.memory': '16Gi' });
  });
});
