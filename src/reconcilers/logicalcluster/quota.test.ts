import { expect } from 'chai';
import { limitRangeItem, namespaceQuota } from './quota.js';

describe('logicalcluster quota', () => {
  it('gives each namespace an equal share, canonical names, whole object counts', () => {
    expect(namespaceQuota({ cpu: '3', memory: '3Gi', pods: '10', 'count/configmaps': 7 }, 3)).to.deep.equal({
      'count/configmaps': '2',
      pods: '3',
      'requests.cpu': '1',
      'requests.memory': '1Gi',
    });
    expect(namespaceQuota({ 'limits.cpu': '1' }, 3)).to.deep.equal({ 'limits.cpu': '333m' });
    expect(namespaceQuota({ 'requests.cpu': '2' }, 1)).to.deep.equal({ 'requests.cpu': '2' });
    expect(namespaceQuota(undefined, 2)).to.deep.equal({});
  });

  it('sets container defaults that fit the namespace share, requests never above limits', () => {
    expect(limitRangeItem({})).to.deep.equal({
      type: 'Container',
      default: { cpu: '500m', memory: '512Mi' },
      defaultRequest: { cpu: '100m', memory: '128Mi' },
    });
    const small = limitRangeItem({ 'requests.cpu': '50m', 'limits.memory': '64Mi' });
    expect(small.defaultRequest).to.deep.equal({ cpu: '50m', memory: '64Mi' });
    expect(small.default).to.deep.equal({ cpu: '500m', memory: '64Mi' });
  });
});
