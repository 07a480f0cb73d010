import { expect } from 'chai';
import type { PO } from './explain.js';
import { renderExplain } from './explain.js';
import { approvePatch, pausePatch, previousRevision, rolloutLines, undoSourcePatch, undoTemplatePatch } from './rollout.js';

const template = (image: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'app', image }] } } },
});

function po(over: Record<string, unknown> = {}): PO {
  return {
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'PropagatedObject',
    metadata: { name: 'web-deployment', namespace: 'shop', annotations: { 'canopy.dev/rollout-approved-stage': 'canary@r1,eu@r2' } },
    spec: { template: template('nginx:broken') },
    status: {
      placement: [{ cluster: 'eu-1' }, { cluster: 'us-1' }],
      clusters: [
        { cluster: 'eu-1', syncedGeneration: 3, appliedRevision: 'r2' },
        { cluster: 'us-1', syncedGeneration: 2, appliedRevision: 'r1', readyRevision: 'r1' },
      ],
      rollout: {
        strategy: 'Staged',
        revision: 'r2',
        generation: 3,
        phase: 'WaitingForApproval',
        stage: 'us',
        waitingFor: ['approval of stage us'],
        message: 'stage us (us-1) waits for approval',
        history: [
          { revision: 'r0', template: template('nginx:1.26') },
          { revision: 'r1', template: template('nginx:1.27') },
          { revision: 'r2', template: template('nginx:broken') },
        ],
      },
    },
    ...over,
  } as unknown as PO;
}

describe('cli: rollout', () => {
  it('status and explain say where the rollout stands, per cluster, and what it waits for', () => {
    const lines = rolloutLines(po()).join('\n');
    expect(lines).to.contain('Staged WaitingForApproval (stage us), generation 3, revision r2');
    expect(lines).to.contain('waiting for: approval of stage us');
    expect(lines).to.contain('eu-1: new revision r2, not Ready yet');
    expect(lines).to.contain('us-1: previous revision r1');
    expect(renderExplain(po())).to.contain('waiting for: approval of stage us');
    expect(rolloutLines(po({ status: {} }))).to.deep.equal([]);
  });

  it('approve adds stage@revision and keeps only approvals of the same revision; pause and resume set and clear the annotation', () => {
    expect(approvePatch(po(), 'us')).to.deep.equal({ metadata: { annotations: { 'canopy.dev/rollout-approved-stage': 'eu@r2,us@r2' } } });
    expect(pausePatch(true)).to.deep.equal({ metadata: { annotations: { 'canopy.dev/rollout-paused': 'true' } } });
    expect(pausePatch(false)).to.deep.equal({ metadata: { annotations: { 'canopy.dev/rollout-paused': null } } });
  });

  it('undo goes back to the newest revision that is not the current one, in the template or in the plain object', () => {
    const entry = previousRevision(po());
    expect(entry.revision).to.equal('r1');
    expect(undoTemplatePatch(po(), entry)).to.deep.equal([{ op: 'replace', path: '/spec/template', value: template('nginx:1.27') }]);
    expect(undoSourcePatch(entry)).to.deep.equal([{ op: 'replace', path: '/spec', value: template('nginx:1.27').spec }]);
    const onlyOne = po();
    (onlyOne.status as { rollout: { history: unknown[] } }).rollout.history = [{ revision: 'r2', template: template('nginx:broken') }];
    expect(() => previousRevision(onlyOne)).to.throw('no previous revision');
  });
});
