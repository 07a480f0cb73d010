import { expect } from 'chai';
import { workspaceDeletionHold } from './workspace-deletion.js';

describe('propagation/workspace-deletion', () => {
  const deleted = '2026-01-01T12:00:00Z';
  const start = Date.parse(deleted);
  const po = (annotations: Record<string, string> = {}) => ({ metadata: { deletionTimestamp: deleted, annotations } });
  const home = { metadata: { name: 'team-a', deletionTimestamp: '2026-01-01T11:59:59Z', labels: { 'canopy.dev/workspace': 'team-a' } } };

  it('keeps the copies for the recorded grace when the home namespace is being deleted, and says until when', () => {
    const hold = workspaceDeletionHold(po({ 'propagation.canopy.dev/deselection-grace-seconds': '60' }), home, start + 10_000);
    expect(hold?.remainingMs).to.equal(50_000);
    expect(hold?.message).to.equal(
      'namespace team-a is being deleted with its workspace; the member copies are kept until 2026-01-01T12:01:00.000Z (grace 60 s), then removed. Annotate canopy.dev/force-finalize=true to remove them now',
    );
    // A PropagatedObject a user wrote records no grace: the default.
    expect(workspaceDeletionHold(po(), home, start)?.remainingMs).to.equal(300_000);
  });

  it('lets the deletion go ahead once the grace is over, or at once when forced', () => {
    expect(workspaceDeletionHold(po({ 'propagation.canopy.dev/deselection-grace-seconds': '60' }), home, start + 60_000)).to.equal(undefined);
    expect(workspaceDeletionHold(po({ 'canopy.dev/force-finalize': 'true' }), home, start)).to.equal(undefined);
    expect(workspaceDeletionHold(po({ 'propagation.canopy.dev/deselection-grace-seconds': '0' }), home, start)).to.equal(undefined);
  });

  it("does not hold a deletion made while the namespace is active, nor in a logical cluster's or another namespace", () => {
    expect(workspaceDeletionHold(po(), { metadata: { ...home.metadata, deletionTimestamp: undefined } }, start)).to.equal(undefined);
    expect(
      workspaceDeletionHold(
        po(),
        { metadata: { ...home.metadata, labels: { 'canopy.dev/workspace': 'team-a', 'canopy.dev/logical-cluster': 'team-a' } } },
        start,
      ),
    ).to.equal(undefined);
    expect(workspaceDeletionHold(po(), { metadata: { ...home.metadata, name: 'shop', labels: { 'canopy.dev/workspace': 'team-a' } } }, start)).to.equal(
      undefined,
    );
    expect(workspaceDeletionHold(po(), undefined, start)).to.equal(undefined);
    expect(workspaceDeletionHold({ metadata: {} }, home, start)).to.equal(undefined);
  });
});
