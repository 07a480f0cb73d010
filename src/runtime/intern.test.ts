import { expect } from 'chai';
import { intern, internMetadata } from './intern.js';

describe('metadata string sharing', () => {
  it('keeps every value as it was', () => {
    const object = {
      metadata: {
        name: 'x',
        namespace: 'team-a',
        creationTimestamp: '2026-01-01T00:00:00Z',
        labels: { app: 'web', 'canopy.dev/managed-by': 'canopy' },
        annotations: { long: 'y'.repeat(200), short: 'z' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'u1', controller: true }],
        finalizers: ['canopy.dev/cleanup'],
      },
    };
    const copy = structuredClone(object);
    internMetadata(object);
    expect(object).to.deep.equal(copy);
    expect(intern('a'.repeat(65))).to.equal('a'.repeat(65));
    internMetadata({});
  });
});
