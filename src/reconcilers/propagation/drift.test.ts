import { expect } from 'chai';
import { firstDifference, inSync } from './drift.js';

describe('propagation/drift', () => {
  const desired = {
    metadata: { labels: { app: 'web', 'canopy.dev/managed-by': 'canopy' } },
    spec: { replicas: 6, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } },
  };

  it('ignores fields the apiserver or controllers added', () => {
    const live = {
      metadata: { labels: { app: 'web', 'canopy.dev/managed-by': 'canopy', extra: 'x' }, uid: 'u', resourceVersion: '9' },
      spec: {
        replicas: 6,
        revisionHistoryLimit: 10,
        template: { spec: { containers: [{ name: 'web', image: 'nginx:1', imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always' } },
      },
      status: { replicas: 6 },
    };
    expect(inSync(desired, live)).to.equal(true);
  });

  it('names the first field changed by hand', () => {
    const live = structuredClone(desired);
    live.spec.replicas = 1;
    expect(firstDifference(desired, live)).to.equal('spec.replicas');
    const live2 = structuredClone(desired);
    live2.spec.template.spec.containers[0]!.image = 'evil:latest';
    expect(firstDifference(desired, live2)).to.equal('spec.template.spec.containers[0].image');
    expect([inSync(desired, live), inSync(desired, live2)]).to.deep.equal([false, false]);
  });

  it('sees a removed label and an added list element as drift', () => {
    const noLabel = structuredClone(desired) as { metadata: { labels: Record<string, string> } };
    delete noLabel.metadata.labels['canopy.dev/managed-by'];
    expect(inSync(desired, noLabel)).to.equal(false);
    const extra = structuredClone(desired);
    extra.spec.template.spec.containers.push({ name: 'side', image: 'x' });
    expect(firstDifference(desired, extra)).to.equal('spec.template.spec.containers');
    expect(inSync(desired, extra)).to.equal(false);
  });

  it('treats a deleted object as drifted', () => {
    expect(inSync(desired, undefined)).to.equal(false);
  });
});
