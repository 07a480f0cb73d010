import { expect } from 'chai';
import { overrideApplies, patchesFor, renderMemberObject } from './render.js';
import type { PortableObject } from './portable.js';

const deployment = (): PortableObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'team-a',
    uid: 'u-1',
    resourceVersion: '42',
    generation: 3,
    managedFields: [{ manager: 'kubectl' }],
    labels: { app: 'web' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'deployment.kubernetes.io/revision': '2', note: 'keep' },
  },
  spec: {
    replicas: 8,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  },
  status: { replicas: 8, readyReplicas: 8 },
});

const eu1 = { name: 'eu-1', labels: { 'topology.kubernetes.io/region': 'eu-1', 'canopy.dev/geo': 'eu' } };
const us1 = { name: 'us-1', labels: { 'topology.kubernetes.io/region': 'us-1', 'canopy.dev/geo': 'us' } };

describe('propagation/render', () => {
  it("writes the cluster's replica share, Canopy labels and the exact owner annotation", () => {
    const r = renderMemberObject({
      namespace: 'team-a',
      name: 'web-deployment',
      template: deployment(),
      cluster: eu1,
      replicas: 6,
      tenantLabels: { 'canopy.dev/workspace': 'acme' },
    });
    if (!r.ok) throw new Error(r.error);
    expect(r.replicas).to.equal(6);
    expect((r.object['spec'] as { replicas: number }).replicas).to.equal(6);
    expect(r.object.metadata.namespace).to.equal('team-a');
    expect(r.object.metadata.labels).to.deep.equal({
      app: 'web',
      'canopy.dev/workspace': 'acme',
      'canopy.dev/managed-by': 'canopy',
      'canopy.dev/propagated-object': 'team-a.web-deployment',
    });
    expect(r.object.metadata.annotations).to.deep.equal({ note: 'keep', 'canopy.dev/propagated-object': 'team-a/web-deployment' });
  });

  it('drops status and server-set metadata', () => {
    const r = renderMemberObject({ namespace: 'team-a', name: 'web', template: deployment(), cluster: eu1 });
    if (!r.ok) throw new Error(r.error);
    expect(r.object).not.to.have.property('status');
    for (const f of ['uid', 'resourceVersion', 'generation', 'managedFields']) expect(r.object.metadata).not.to.have.property(f);
    expect(r.replicas).to.equal(8);
  });

  it('applies only the overrides whose selector or names match the cluster, in order', () => {
    const overrides = [
      {
        clusterSelector: { matchLabels: { 'canopy.dev/geo': 'us' } },
        patches: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'us.registry/nginx:1.27' }],
      },
      { clusters: ['eu-1'], patches: [{ op: 'add', path: '/metadata/annotations/region', value: 'eu' }] },
      { patches: [{ op: 'add', path: '/metadata/labels/everywhere', value: 'yes' }] },
    ];
    const us = renderMemberObject({ namespace: 'ns', name: 'po', template: deployment(), cluster: us1, overrides, replicas: 2 });
    const eu = renderMemberObject({ namespace: 'ns', name: 'po', template: deployment(), cluster: eu1, overrides, replicas: 6 });
    if (!us.ok || !eu.ok) throw new Error('render failed');
    const image = (o: PortableObject) => (o['spec'] as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image;
    expect(image(us.object)).to.equal('us.registry/nginx:1.27');
    expect(image(eu.object)).to.equal('nginx:1.27');
    expect(eu.object.metadata.annotations?.['region']).to.equal('eu');
    expect(us.object.metadata.annotations?.['region']).to.equal(undefined);
    expect(us.object.metadata.labels?.['everywhere']).to.equal('yes');
    expect(eu.object.metadata.labels?.['everywhere']).to.equal('yes');
  });

  it('lets an explicit per-cluster replicas override win over the divided share', () => {
    const overrides = [{ clusters: ['us-1'], patches: [{ op: 'replace', path: '/spec/replicas', value: 1 }] }];
    const r = renderMemberObject({ namespace: 'ns', name: 'po', template: deployment(), cluster: us1, overrides, replicas: 2 });
    if (!r.ok) throw new Error(r.error);
    expect(r.replicas).to.equal(1);
  });

  it('leaves spec.replicas to the member when an override removes it (a member-side autoscaler owns it)', () => {
    const overrides = [{ clusters: ['us-1'], patches: [{ op: 'remove', path: '/spec/replicas' }] }];
    const r = renderMemberObject({ namespace: 'ns', name: 'po', template: deployment(), cluster: us1, overrides, replicas: 2 });
    if (!r.ok) throw new Error(r.error);
    expect(r.object['spec']).to.not.have.property('replicas');
  });

  it('writes replicas into a Deployment template that omits them (Kubernetes would default to 1)', () => {
    const t = deployment();
    delete (t['spec'] as Record<string, unknown>)['replicas'];
    const r = renderMemberObject({ namespace: 'ns', name: 'po', template: t, cluster: us1, replicas: 3 });
    if (!r.ok) throw new Error(r.error);
    expect((r.object['spec'] as { replicas: number }).replicas).to.equal(3);
  });

  it('never adds replicas to kinds that have none', () => {
    const cm: PortableObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
    const r = renderMemberObject({ namespace: 'ns', name: 'po', template: cm, cluster: us1, replicas: 3 });
    if (!r.ok) throw new Error(r.error);
    expect(r.object).not.to.have.property('spec');
    expect(r.replicas).to.equal(undefined);
  });

  it('reports an override that does not apply instead of applying a half-patched object', () => {
    const overrides = [{ clusters: ['us-1'], patches: [{ op: 'replace', path: '/spec/template/spec/containers/3/image', value: 'x' }] }];
    const r = renderMemberObject({ namespace: 'ns', name: 'po', template: deployment(), cluster: us1, overrides });
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.error).to.match(/override for cluster us-1 does not apply: patch 0/);
  });

  it("refuses overrides that change the object's identity", () => {
    const overrides = [{ patches: [{ op: 'replace', path: '/metadata/name', value: 'other' }] }];
    const r = renderMemberObject({ namespace: 'ns', name: 'po', template: deployment(), cluster: us1, overrides });
    expect(r.ok).to.equal(false);
  });

  it('matches overrides by names or selector; one with neither applies everywhere', () => {
    expect(overrideApplies({ clusters: ['eu-1'], patches: [] }, us1)).to.equal(false);
    expect(overrideApplies({ clusters: ['eu-1'], clusterSelector: { matchLabels: { 'canopy.dev/geo': 'us' } }, patches: [] }, us1)).to.equal(true);
    expect(overrideApplies({ patches: [] }, us1)).to.equal(true);
    expect(patchesFor(undefined, us1)).to.deep.equal([]);
  });

  it('hashes the owner label when <namespace>.<name> exceeds 63 characters', () => {
    const long = 'a'.repeat(70);
    const r = renderMemberObject({ namespace: 'team-a', name: long, template: deployment(), cluster: us1 });
    if (!r.ok) throw new Error(r.error);
    const label = r.object.metadata.labels?.['canopy.dev/propagated-object'] ?? '';
    expect(label.length).to.be.at.most(63);
    expect(label).to.match(/^team-a\.a+-[0-9a-f]{10}$/);
    expect(r.object.metadata.annotations?.['canopy.dev/propagated-object']).to.equal(`team-a/${long}`);
  });
});
