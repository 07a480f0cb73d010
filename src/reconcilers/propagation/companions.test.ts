import { expect } from 'chai';
import { companionsToRemove, planCompanions } from './companions.js';

const web = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    template: {
      spec: { serviceAccountName: 'web', containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'shared' } }, { secretRef: { name: 'web-secret' } }] }] },
    },
  },
};
const worker = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'worker' },
  spec: { template: { spec: { containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'shared' } }, { configMapRef: { name: 'missing' } }] }] } } },
};
const available = new Set(['ConfigMap/shared', 'Secret/web-secret', 'ServiceAccount/web']);

describe('propagation/companions', () => {
  it('sends dependencies to the clusters of the workloads that reference them, and RBAC to every such cluster', () => {
    const plan = planCompanions({
      workloads: [
        { template: web, clusters: ['eu-1', 'us-1'] },
        { template: worker, clusters: ['eu-2'] },
      ],
      available,
      rbac: ['Role/tenant', 'RoleBinding/tenant'],
    });
    expect(Object.fromEntries([...plan].map(([c, m]) => [c, Object.fromEntries(m)]))).to.deep.equal({
      'eu-1': {
        'Role/tenant': 'rbac',
        'RoleBinding/tenant': 'rbac',
        'ConfigMap/shared': 'dependency',
        'Secret/web-secret': 'dependency',
        'ServiceAccount/web': 'dependency',
      },
      'us-1': {
        'Role/tenant': 'rbac',
        'RoleBinding/tenant': 'rbac',
        'ConfigMap/shared': 'dependency',
        'Secret/web-secret': 'dependency',
        'ServiceAccount/web': 'dependency',
      },
      'eu-2': { 'Role/tenant': 'rbac', 'RoleBinding/tenant': 'rbac', 'ConfigMap/shared': 'dependency' },
    });
  });

  it('keeps a shared dependency while any workload on the cluster needs it', () => {
    const plan = planCompanions({
      workloads: [
        { template: web, clusters: [] },
        { template: worker, clusters: ['eu-1'] },
      ],
      available,
      rbac: [],
    });
    expect([...plan.get('eu-1')!.keys()]).to.deep.equal(['ConfigMap/shared']);
    expect(companionsToRemove(plan.get('eu-1'), ['ConfigMap/shared', 'Secret/web-secret', 'ServiceAccount/web'])).to.deep.equal([
      'Secret/web-secret',
      'ServiceAccount/web',
    ]);
    expect(companionsToRemove(plan.get('us-1'), ['ConfigMap/shared'])).to.deep.equal(['ConfigMap/shared']);
  });

  it('leaves objects that have their own PropagatedObject to it', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared' } };
    const plan = planCompanions({
      workloads: [
        { template: web, clusters: ['eu-1'] },
        { template: cm, clusters: ['eu-1'] },
      ],
      available,
      rbac: [],
    });
    expect(plan.get('eu-1')!.has('ConfigMap/shared')).to.equal(false);
  });
});
