import { expect } from 'chai';
import { portableObject } from './portable.js';

describe('propagation/portable', () => {
  it('drops the cluster IP a Service got on the source cluster but keeps a headless one', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { clusterIP: '10.96.0.7', clusterIPs: ['10.96.0.7'], type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] },
    };
    expect(portableObject(svc).spec).to.deep.equal({ type: 'NodePort', ports: [{ port: 80 }] });
    const headless = { ...svc, spec: { clusterIP: 'None', ports: [] } };
    expect(portableObject(headless).spec).to.deep.equal({ clusterIP: 'None', ports: [] });
  });

  it('unbinds PVCs and drops token Secrets from ServiceAccounts', () => {
    expect(
      portableObject({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'd', annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } },
        spec: { volumeName: 'pv-1', resources: {} },
      }),
    ).to.deep.equal({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'd' },
      spec: { resources: {} },
    });
    expect(portableObject({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a', namespace: 'x' }, secrets: [{ name: 'a-token' }] })).to.deep.equal(
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a' } },
    );
  });

  it('drops the generated selector of a Job unless it is manual', () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      spec: {
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } },
        template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': 'u', 'job-name': 'j', app: 'x' } } },
      },
    };
    expect(portableObject(job).spec).to.deep.equal({ template: { metadata: { labels: { app: 'x' } } } });
  });
});
