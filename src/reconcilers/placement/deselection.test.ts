import { expect } from 'chai';
import {
  ANNOTATION_DESELECTED_SINCE,
  ANNOTATION_DESELECTION_GRACE,
  decideDeselection,
  deselectedMessage,
  policyGraceSeconds,
  recordedGraceSeconds,
} from './deselection.js';

describe('propagation/deselection', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const generated = (annotations: Record<string, string>) => ({
    metadata: { labels: { 'canopy.dev/managed-by': 'canopy' }, annotations: { 'canopy.dev/source': 'apps/v1/Deployment/web', ...annotations } },
    status: { clusters: [{ cluster: 'eu-2' }, { cluster: 'eu-1' }] },
  });

  it('takes the grace from the policy, the default (300 s) when it sets none, within the schema bounds', () => {
    expect(policyGraceSeconds({ spec: { deselectionGraceSeconds: 5 } })).to.equal(5);
    expect(policyGraceSeconds({ spec: {} })).to.equal(300);
    expect(policyGraceSeconds({ spec: { deselectionGraceSeconds: 10_000_000 } })).to.equal(86_400);
    expect(recordedGraceSeconds({ [ANNOTATION_DESELECTION_GRACE]: '-4' })).to.equal(0);
    expect(recordedGraceSeconds({ [ANNOTATION_DESELECTION_GRACE]: 'soon' })).to.equal(300);
    expect(recordedGraceSeconds(undefined)).to.equal(300);
  });

  it('marks an unmarked PropagatedObject and looks again when the grace ends', () => {
    const d = decideDeselection({ [ANNOTATION_DESELECTION_GRACE]: '30' }, now);
    expect(d).to.deep.equal({ action: 'mark', since: '2026-01-01T12:00:00.000Z', until: new Date(now + 30_000), requeueAfterMs: 30_000 });
  });

  it('keeps a marked one within the grace and deletes it once the grace is over', () => {
    const marked = { [ANNOTATION_DESELECTION_GRACE]: '30', [ANNOTATION_DESELECTED_SINCE]: '2026-01-01T11:59:50Z' };
    expect(decideDeselection(marked, now)).to.deep.equal({ action: 'keep', until: new Date(now + 20_000), requeueAfterMs: 20_000 });
    expect(decideDeselection(marked, now + 20_000)).to.deep.equal({ action: 'delete' });
  });

  it('deletes at once when the grace is zero', () => {
    expect(decideDeselection({ [ANNOTATION_DESELECTION_GRACE]: '0' }, now)).to.deep.equal({ action: 'delete' });
  });

  it('replaces a mark far in the future or unreadable, so editing it cannot extend the grace', () => {
    const future = decideDeselection({ [ANNOTATION_DESELECTION_GRACE]: '30', [ANNOTATION_DESELECTED_SINCE]: '2027-01-01T00:00:00Z' }, now);
    expect(future.action).to.equal('mark');
    expect(decideDeselection({ [ANNOTATION_DESELECTION_GRACE]: '30', [ANNOTATION_DESELECTED_SINCE]: 'yesterday' }, now).action).to.equal('mark');
    // A few seconds ahead is another replica's clock, not an edit.
    expect(decideDeselection({ [ANNOTATION_DESELECTION_GRACE]: '30', [ANNOTATION_DESELECTED_SINCE]: '2026-01-01T12:00:05Z' }, now).action).to.equal('keep');
  });

  it('says which clusters keep their copies and until when', () => {
    const message = deselectedMessage(generated({ [ANNOTATION_DESELECTION_GRACE]: '300', [ANNOTATION_DESELECTED_SINCE]: '2026-01-01T12:00:00Z' }), {
      kind: 'Deployment',
      metadata: { name: 'web' },
    });
    expect(message).to.equal(
      'no PlacementPolicy selects Deployment web any more; copies on eu-1, eu-2 are kept until 2026-01-01T12:05:00.000Z (grace 300 s), then removed. Select it again before then to keep it where it runs',
    );
  });

  it('says nothing for an unmarked PropagatedObject, or one a user wrote carrying the annotation', () => {
    expect(deselectedMessage(generated({}), { kind: 'Deployment', metadata: { name: 'web' } })).to.equal(undefined);
    const userWritten = { metadata: { annotations: { [ANNOTATION_DESELECTED_SINCE]: '2026-01-01T12:00:00Z' } } };
    expect(deselectedMessage(userWritten, { kind: 'Deployment', metadata: { name: 'web' } })).to.equal(undefined);
  });
});
