import { expect } from 'chai';
import { podSpecOf, podTemplateDependencies } from './references.js';

describe('propagation/references', () => {
  it('finds every reference a Deployment pod template makes', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: {
        template: {
          spec: {
            serviceAccountName: 'web-sa',
            imagePullSecrets: [{ name: 'pull' }],
            volumes: [
              { name: 'a', configMap: { name: 'cm-vol' } },
              { name: 'b', secret: { secretName: 'sec-vol' } },
              { name: 'c', persistentVolumeClaim: { claimName: 'data' } },
              {
                name: 'd',
                projected: { sources: [{ configMap: { name: 'cm-proj' } }, { secret: { name: 'sec-proj' } }, { serviceAccountToken: { path: 't' } }] },
              },
              { name: 'e', emptyDir: {} },
              { name: 'f', csi: { driver: 'x', nodePublishSecretRef: { name: 'csi-secret' } } },
            ],
            initContainers: [{ name: 'init', envFrom: [{ configMapRef: { name: 'cm-init' } }] }],
            containers: [
              {
                name: 'app',
                envFrom: [{ secretRef: { name: 'sec-from' } }, { configMapRef: { name: 'cm-vol' } }],
                env: [
                  { name: 'A', valueFrom: { configMapKeyRef: { name: 'cm-key', key: 'a' } } },
                  { name: 'B', valueFrom: { secretKeyRef: { name: 'sec-key', key: 'b', optional: true } } },
                  { name: 'C', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'D', value: 'plain' },
                ],
              },
            ],
          },
        },
      },
    };
    expect(podTemplateDependencies(deployment).map((r) => `${r.kind}/${r.name}`)).to.deep.equal([
      'ConfigMap/cm-init',
      'ConfigMap/cm-key',
      'ConfigMap/cm-proj',
      'ConfigMap/cm-vol',
      'Secret/csi-secret',
      'Secret/pull',
      'Secret/sec-from',
      'Secret/sec-key',
      'Secret/sec-proj',
      'Secret/sec-vol',
      'ServiceAccount/web-sa',
      'PersistentVolumeClaim/data',
    ]);
  });

  it('leaves out the default ServiceAccount, which every namespace has', () => {
    const pod = { kind: 'Pod', spec: { serviceAccountName: 'default', containers: [{ name: 'c' }] } };
    expect(podTemplateDependencies(pod)).to.deep.equal([]);
  });

  it('reads the deprecated serviceAccount field and CronJob job templates', () => {
    const cron = {
      kind: 'CronJob',
      spec: {
        jobTemplate: { spec: { template: { spec: { serviceAccount: 'batch', containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'cfg' } }] }] } } } },
      },
    };
    expect(podTemplateDependencies(cron).map((r) => `${r.kind}/${r.name}`)).to.deep.equal(['ConfigMap/cfg', 'ServiceAccount/batch']);
  });

  it('returns nothing for objects that run no pods', () => {
    expect(podTemplateDependencies({ kind: 'ConfigMap', data: { a: 'b' } })).to.deep.equal([]);
    expect(podSpecOf({ kind: 'Service', spec: { ports: [] } })).to.equal(undefined);
  });

  it('ignores malformed entries instead of failing', () => {
    const bad = { kind: 'Deployment', spec: { template: { spec: { volumes: [null, 'x', { configMap: {} }], containers: [{ env: [{ valueFrom: null }] }] } } } };
    expect(podTemplateDependencies(bad)).to.deep.equal([]);
  });
});
