import { expect } from 'chai';
import { cluster, deployment, policy } from '../../test/support/placement-fixtures.js';
import type { ScheduleInput } from '../reconcilers/placement/types.js';
import { CliError } from './errors.js';
import { changesFromFlags } from './what-if-command.js';
import { applyChanges, clusterList, parsePricing, parseTaint, whatIf } from './what-if.js';

const clusters = [
  cluster('eu-1', { region: 'eu-1', labels: { tier: 'gold' } }),
  cluster('eu-2', { region: 'eu-2', labels: {} }),
  cluster('us-1', { region: 'us-1', labels: {} }),
];
const input = (name: string, spec: Parameters<typeof policy>[0], currentPlacement?: ScheduleInput['currentPlacement']): ScheduleInput => ({
  object: deployment(name, { replicas: 2 }),
  policy: policy(spec),
  clusters,
  ...(currentPlacement ? { currentPlacement } : {}),
});

describe('kubectl-canopy what-if', () => {
  it('a label that leaves the only matching cluster makes the object unschedulable, in the engine words', () => {
    const rows = whatIf([input('gold', { clusterSelector: { matchLabels: { tier: 'gold' } } })], [{ kind: 'remove-label', cluster: 'eu-1', key: 'tier' }]);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.deep.include({ name: 'gold', outcome: 'Unschedulable', after: [] });
    expect(rows[0]!.before.map((p) => p.cluster)).to.deep.equal(['eu-1']);
    expect(rows[0]!.message).to.match(/tier/);
  });

  it('a label a second cluster gets adds that cluster to a Duplicate placement', () => {
    const gold = { clusterSelector: { matchLabels: { tier: 'gold' } } };
    const rows = whatIf([input('dup', gold)], [{ kind: 'set-label', cluster: 'eu-2', key: 'tier', value: 'gold' }]);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.deep.include({ outcome: 'Moves', message: 'to eu-2' });
  });

  it('losing a cluster moves what ran there to the rest', () => {
    const rows = whatIf([input('one', { maxClusters: 1, regions: ['eu-1', 'eu-2'] }, [{ cluster: 'eu-1', replicas: 2 }])], [{ kind: 'lose', cluster: 'eu-1' }]);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.deep.include({ outcome: 'Moves', message: 'leaves eu-1 to eu-2' });
  });

  it('a NoSchedule taint the policy does not tolerate pushes the object off the cluster', () => {
    const rows = whatIf([input('eu', { regions: ['eu-1'] })], [{ kind: 'taint', cluster: 'eu-1', taint: { key: 'maintenance', effect: 'NoSchedule' } }]);
    expect(rows[0]).to.deep.include({ outcome: 'Unschedulable' });
    expect(rows[0]!.message).to.contain('maintenance');
    const tolerated = whatIf(
      [input('eu', { regions: ['eu-1'], tolerations: [{ key: 'maintenance', operator: 'Exists' }] })],
      [{ kind: 'taint', cluster: 'eu-1', taint: { key: 'maintenance', effect: 'NoSchedule' } }],
    );
    expect(tolerated).to.deep.equal([]);
  });

  it('a price change moves a LowestFirst object to the now cheaper cluster', () => {
    const priced = [cluster('a', { pricing: { cpuHour: 0.01, memoryGiBHour: 0.001 } }), cluster('b', { pricing: { cpuHour: 0.02, memoryGiBHour: 0.002 } })];
    const cheap: ScheduleInput = {
      object: deployment('web', { replicas: 1, cpu: '1', memory: '1Gi' }),
      policy: policy({ cost: 'LowestFirst', maxClusters: 1 }),
      clusters: priced,
    };
    const rows = whatIf([cheap], [{ kind: 'price', cluster: 'a', pricing: { cpuHour: 0.5, memoryGiBHour: 0.05 } }]);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.deep.include({ outcome: 'Moves', message: 'leaves a to b' });
  });

  it('applyChanges refuses a cluster that does not exist, and leaves the input untouched', () => {
    expect(() => applyChanges(clusters, [{ kind: 'lose', cluster: 'mars-1' }])).to.throw(CliError, 'cluster mars-1 not found');
    const after = applyChanges(clusters, [{ kind: 'set-label', cluster: 'eu-2', key: 'tier', value: 'gold' }]);
    expect(after[1]!.metadata.labels).to.deep.equal({ tier: 'gold' });
    expect(clusters[1]!.metadata.labels).to.deep.equal({});
  });

  it('parses taints and prices as kubectl taint and the Cluster spec write them, and refuses anything else in one sentence', () => {
    expect(parseTaint('maintenance=true:NoSchedule')).to.deep.equal({ key: 'maintenance', value: 'true', effect: 'NoSchedule' });
    expect(parseTaint('dedicated:NoExecute')).to.deep.equal({ key: 'dedicated', effect: 'NoExecute' });
    expect(() => parseTaint('dedicated:Sometimes')).to.throw(CliError, /key\[=value\]:Effect/);
    expect(() => parseTaint('dedicated')).to.throw(CliError);
    expect(parsePricing('cpuHour=0.04,memoryGiBHour=0.005')).to.deep.equal({ cpuHour: 0.04, memoryGiBHour: 0.005 });
    for (const bad of ['cpuHour=-1', 'cpuHour=abc', 'gpuHour=1', 'cpuHour', '']) expect(() => parsePricing(bad), bad).to.throw(CliError);
  });

  it('turns flags into changes, refusing a change without a cluster and a cluster without a change', () => {
    expect(
      changesFromFlags({ cluster: 'eu-1', setLabel: ['a=b,c=d'], removeLabel: ['x'], taint: ['k:NoSchedule'], price: 'cpuHour=1', loseCluster: ['us-1'] }).map(
        (c) => c.kind,
      ),
    ).to.deep.equal(['set-label', 'set-label', 'remove-label', 'taint', 'price', 'lose']);
    expect(() => changesFromFlags({ setLabel: ['a=b'] })).to.throw(CliError, 'need --cluster');
    expect(() => changesFromFlags({ cluster: 'eu-1' })).to.throw(CliError, '--cluster needs a change');
    expect(() => changesFromFlags({})).to.throw(CliError, 'what-if needs a change');
    expect(() => changesFromFlags({ cluster: 'eu-1', setLabel: ['a!=b'] })).to.throw(CliError, 'is not key=value');
    expect(() => changesFromFlags({ cluster: 'eu-1', removeLabel: ['bad key'] })).to.throw(CliError, 'is not a label key');
  });

  it('lists placements as eu-1(2), eu-2(1), and nowhere as -', () => {
    expect(clusterList([{ cluster: 'eu-1', replicas: 2 }, { cluster: 'eu-2' }])).to.equal('eu-1(2), eu-2');
    expect(clusterList([])).to.equal('-');
  });
});
