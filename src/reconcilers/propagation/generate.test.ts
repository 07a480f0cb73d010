import { expect } from 'chai';
import { generatePropagatedObject, isGenerated } from './generate.js';
import { generatedName } from './names.js';

describe('propagation/generate', () => {
  const source = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: 'uid-1',
      resourceVersion: '7',
      generation: 2,
      labels: { app: 'web' },
      managedFields: [{}],
      annotations: { 'deployment.kubernetes.io/revision': '1' },
    },
    spec: {
      replicas: 8,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    },
    status: { replicas: 8 },
  };

  it('names it after the object and kind, owns it by the source and copies a portable template', () => {
    const po = generatePropagatedObject(source, { 'canopy.dev/workspace': 'team-a' });
    expect(po.metadata).to.deep.equal({
      name: 'web-deployment',
      namespace: 'shop',
      labels: { 'canopy.dev/workspace': 'team-a', 'canopy.dev/managed-by': 'canopy' },
      annotations: { 'canopy.dev/source': 'apps/v1/Deployment/web' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-1' }],
      finalizers: ['propagation.canopy.dev/cleanup'],
    });
    expect(po.spec.template).to.deep.equal({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } }, spec: source.spec });
    expect(isGenerated(po)).to.equal(true);
  });

  it('records the deselection grace of the policy that selects it, so it still applies once none does', () => {
    const po = generatePropagatedObject(source, {}, 5);
    expect(po.metadata.annotations).to.deep.equal({ 'canopy.dev/source': 'apps/v1/Deployment/web', 'propagation.canopy.dev/deselection-grace-seconds': '5' });
  });

  it('does not treat a PropagatedObject a user wrote as generated', () => {
    expect(isGenerated({ metadata: { labels: { 'canopy.dev/managed-by': 'canopy' } } })).to.equal(false);
    expect(isGenerated({ metadata: { annotations: { 'canopy.dev/source': 'x' } } })).to.equal(false);
  });

  it('keeps generated names within 253 characters', () => {
    expect(generatedName('a'.repeat(250), 'Deployment')).to.have.length(253);
    expect(generatedName('web', 'Service')).to.equal('web-service');
  });
});
