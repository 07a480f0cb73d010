import { expect } from 'chai';
import { objectProfile } from './object-profile.js';
import { parseQuantity } from './quantity.js';
import { deployment } from '../../../test/support/placement-fixtures.js';

describe('placement object profile', () => {
  it('parses Kubernetes quantities', () => {
    expect(parseQuantity('500m')).to.equal(0.5);
    expect(parseQuantity('2')).to.equal(2);
    expect(parseQuantity('1Gi')).to.equal(1024 ** 3);
    expect(parseQuantity('128Mi')).to.equal(128 * 1024 ** 2);
    expect(parseQuantity('1k')).to.equal(1000);
    expect(parseQuantity('1e3')).to.equal(1000);
    expect(parseQuantity(1.5)).to.equal(1.5);
    expect(parseQuantity('lots')).to.equal(undefined);
  });

  it('sums container requests per replica and counts a pod per replica', () => {
    const p = objectProfile(deployment('web', { replicas: 3, cpu: '250m', memory: '512Mi' }));
    expect(p.replicas).to.equal(3);
    expect(p.podCount).to.equal(3);
    expect(p.requestsPerReplica.get('cpu')).to.equal(0.25);
    expect(p.requestsPerReplica.get('memory')).to.equal(512 * 1024 ** 2);
    expect(p.requestsPerReplica.get('pods')).to.equal(1);
    expect(p.group).to.equal('apps');
  });

  it('takes the larger of app containers and an init container, uses limits for missing requests, adds overhead', () => {
    const p = objectProfile({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: {
        jobTemplate: {
          spec: {
            template: {
              spec: {
                initContainers: [{ name: 'migrate', resources: { requests: { cpu: '2' } } }],
                containers: [
                  { name: 'a', resources: { requests: { cpu: '500m' } } },
                  { name: 'b', resources: { limits: { cpu: '1', memory: '1Gi' } } },
                ],
                overhead: { cpu: '100m' },
              },
            },
          },
        },
      },
    });
    expect(p.requestsPerReplica.get('cpu')).to.be.closeTo(2.1, 1e-9);
    expect(p.requestsPerReplica.get('memory')).to.equal(1024 ** 3);
    expect(p.replicas).to.equal(undefined);
    expect(p.podCount).to.equal(1);
  });

  it('has no replicas or requests for objects without pods, and counts LoadBalancer Services', () => {
    const cm = objectProfile({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    expect(cm.replicas).to.equal(undefined);
    expect(cm.podCount).to.equal(0);
    expect(cm.requestsPerReplica.size).to.equal(0);
    const lb = objectProfile({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'LoadBalancer' } });
    expect(lb.loadBalancers).to.equal(1);
  });

  it('reads pinned clusters from the annotation, trimmed and de-duplicated', () => {
    const p = objectProfile(deployment('web', { annotations: { 'placement.canopy.dev/clusters': ' eu-1, eu-2 ,eu-1,' } }));
    expect(p.pinnedClusters).to.deep.equal(['eu-1', 'eu-2']);
    expect(objectProfile(deployment('x')).pinnedClusters).to.equal(undefined);
  });
});
